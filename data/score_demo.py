"""Score a findings file against the demo's planted defects (data/demo/truth.json).

    python data/score_demo.py FINDINGS.jsonl [--truth data/demo/truth.json] [--json]

Findings use the contract format (``rows`` are 0-based positions in data/demo/train.jsonl,
``reference_rows`` positions in data/demo/reference.jsonl). Reported per planted kind:

- duplicates: a planted copy is found when one ``duplicate`` finding holds it together with
  another member of its planted group; recall per copy kind (exact, format, typo, wrapper,
  truncated, paraphrase), and pair precision over every pair the findings assert.
- contradictions: a planted fact group is found when one ``contradiction`` finding holds a
  row with the current value and a row with the outdated value; recall per fact kind
  (number, entity, polarity, policy), and the share of contradiction findings whose rows
  all come from one planted group (the rest pair unrelated requests).
- gaps: a category is found when ``coverage_gap`` findings list at least half of its
  reference prompts; recall is the share of its reference prompts listed.

Stdlib only, like the generator, so it runs anywhere the findings file can be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

TRUTH = Path(__file__).resolve().parent / "demo" / "truth.json"
GAP_HIT = 0.5


def _ratio(hit: int, total: int) -> float:
    return round(hit / total, 4) if total else 0.0


def score_duplicates(findings: list[dict], truth: dict) -> dict:
    together: dict[int, set[int]] = defaultdict(set)
    pairs = set()
    for f in findings:
        if f["kind"] == "duplicate":
            rows = sorted(set(f["rows"]))
            pairs.update(combinations(rows, 2))
            for r in rows:
                together[r].update(rows)
    group_of = {r: i for i, g in enumerate(truth["duplicates"]) for r in g["rows"]}
    hit, total = defaultdict(int), defaultdict(int)
    for g in truth["duplicates"]:
        copies = [r for r in g["rows"] if r != g["original_row"]]
        for row, kind in zip(copies, g["kinds"], strict=True):
            total[kind] += 1
            hit[kind] += bool((together[row] - {row}) & set(g["rows"]))
    true_pairs = sum(1 for a, b in pairs if a in group_of and group_of[a] == group_of.get(b))
    return {
        "recall_by_kind": {k: _ratio(hit[k], total[k]) for k in sorted(total)},
        "found": sum(hit.values()),
        "planted": sum(total.values()),
        "recall": _ratio(sum(hit.values()), sum(total.values())),
        "pairs_asserted": len(pairs),
        "pair_precision": _ratio(true_pairs, len(pairs)),
    }


def score_contradictions(findings: list[dict], truth: dict) -> dict:
    contra = [set(f["rows"]) for f in findings if f["kind"] == "contradiction"]
    group_of = {r: i for i, g in enumerate(truth["contradictions"]) for r in g["rows"]}
    hit, total = defaultdict(int), defaultdict(int)
    for g in truth["contradictions"]:
        correct, outdated = set(g["correct_rows"]), set(g["outdated_rows"])
        total[g["kind"]] += 1
        hit[g["kind"]] += any(rows & correct and rows & outdated for rows in contra)
    within = sum(1 for rows in contra if len({group_of.get(r, -1 - r) for r in rows}) == 1)
    return {
        "recall_by_kind": {k: _ratio(hit[k], total[k]) for k in sorted(total)},
        "found": sum(hit.values()),
        "planted": sum(total.values()),
        "recall": _ratio(sum(hit.values()), sum(total.values())),
        "findings": len(contra),
        "precision": _ratio(within, len(contra)),
    }


def score_gaps(findings: list[dict], truth: dict) -> dict:
    listed = {r for f in findings if f["kind"] == "coverage_gap" for r in f.get("reference_rows") or ()}
    recall = {}
    for g in truth["gaps"]:
        ref = set(g["reference_rows"])
        recall[g["category"]] = _ratio(len(ref & listed), len(ref))
    gap_rows = {r for g in truth["gaps"] for r in g["reference_rows"]}
    return {
        "recall_by_category": recall,
        "found": sum(v >= GAP_HIT for v in recall.values()),
        "planted": len(recall),
        "listed_outside_gaps": len(listed - gap_rows),
    }


def score(findings: list[dict], truth: dict) -> dict:
    return {
        "duplicates": score_duplicates(findings, truth),
        "contradictions": score_contradictions(findings, truth),
        "gaps": score_gaps(findings, truth),
    }


def format_report(result: dict) -> str:
    d, c, g = result["duplicates"], result["contradictions"], result["gaps"]
    lines = [
        f"duplicates: {d['found']}/{d['planted']} planted copies found (recall {d['recall']:.2f}), "
        f"pair precision {d['pair_precision']:.2f} over {d['pairs_asserted']} pairs"
    ]
    lines += [f"  {k:<11} recall {v:.2f}" for k, v in d["recall_by_kind"].items()]
    lines.append(
        f"contradictions: {c['found']}/{c['planted']} planted fact groups found "
        f"(recall {c['recall']:.2f}); {c['findings']} findings, "
        f"{c['precision']:.2f} within one planted group"
    )
    lines += [f"  {k:<11} recall {v:.2f}" for k, v in c["recall_by_kind"].items()]
    lines.append(
        f"gaps: {g['found']}/{g['planted']} categories found; {g['listed_outside_gaps']} other reference prompts listed"
    )
    lines += [f"  {k:<11} {v:.2f} of its reference prompts" for k, v in g["recall_by_category"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("findings", type=Path)
    ap.add_argument("--truth", type=Path, default=TRUTH)
    ap.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = ap.parse_args(argv)
    findings = [json.loads(line) for line in args.findings.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(findings, json.loads(args.truth.read_text(encoding="utf-8")))
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
