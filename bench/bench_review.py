"""How many reviewer actions the demo takes: a scripted review through the review API.

The demo's ground truth (data/demo/truth.json) plants 86 duplicate groups, 31 outdated facts
(contradictions) and 5 coverage gaps, for which the expert resolutions (resolutions.jsonl)
write 113 new examples and rewrite 8 outdated rows. A *planted defect* here is one of those
86 + 31 + 113 + 8 = 238 things the expert fixes. The script reviews the scan's queues the way
a reviewer with the ground truth in mind would, one click per decision, through the same
functions the app calls (``review.queue`` / ``review.decide``):

- each contradiction item (a disagreement): the side with the fact's current value is right
  (1 action);
- the scan does not flag every row that states an outdated value, so for each outdated fact
  the reviewer searches the Example browser for the old value (data/demo/facts.json) and
  drops every row it finds in one bulk action (not for yes/no facts: no value to search); the 8 rows the expert rewrites instead are
  edited and restored there (2 actions each);
- each duplicate item still open after that: merge onto the planted original (M when the
  representative is the original, "keep only row X" otherwise: 1 action either way);
  groups the contradiction decisions settled cost nothing; an unplanned group is judged too;
- each example the expert writes for a gap: one add;
- other findings (leakage, quality) are not part of the planted defects and are left alone.

It prints the actions by kind, actions per planted defect (the issue's goal: at most 1.3),
the same count for the flow before review items (one action per pairwise contradiction and
per duplicate finding), and how the curated set compares with the expert resolutions'.

    python bench/bench_review.py [--workspace DIR]   # scans data/demo first (MiniLM, ~1-3 min)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation import review, review_items  # noqa: E402
from curation.resolutions import read as read_resolutions  # noqa: E402
from curation.store import Workspace  # noqa: E402
from curation.workbench import ingest_file, scan_dataset  # noqa: E402

DEMO = ROOT / "data" / "demo"
EXPERT = "expert"


def build(root: Path) -> tuple[Workspace, int]:
    ws = Workspace(root)
    ds, _, _ = ingest_file(ws, DEMO / "train.jsonl")
    if ws.latest_scan_id(ds.id) is None:
        ref, _, _ = ingest_file(ws, DEMO / "reference.jsonl", reference_role="coverage")
        evals, _, _ = ingest_file(ws, DEMO / "eval.jsonl", reference_role="eval")
        scan_dataset(ws, ds, ref, eval_set=evals)
    return ws, ds.id


def scripted_review(ws: Workspace, ds: int) -> Counter:
    """Review the demo as the script says; returns actions by kind."""
    truth = json.loads((DEMO / "truth.json").read_text())
    correct = {r for g in truth["contradictions"] for r in g["correct_rows"]}
    resolutions = [json.loads(x) for x in (DEMO / "resolutions.jsonl").read_text().splitlines() if x.strip()]
    rewrites = {int(r["row"]): r for r in resolutions if r["action"] == "edit"}
    original = {r: g["original_row"] for g in truth["duplicates"] for r in g["rows"]}
    actions: Counter = Counter()
    for item in _all(ws, ds, "contradiction"):
        g = item.group
        sides = review_items.side_rows(g)
        right = max(sides, key=lambda s: sum(r in correct for r in sides[s]))
        action, rows, payload = review_items.side_decision(g, right)
        _decide(ws, ds, item, action, rows, payload)
        actions["contradiction: choose the right side"] += 1
    facts = json.loads((DEMO / "facts.json").read_text())["facts"]
    for fact in facts:  # the rows the scan did not pair: one bulk drop per outdated value
        if fact["kind"] == "polarity":
            continue  # a yes/no fact has no value to search for: its rows are the disagreements' rows
        stale = fact.get("outdated_check_values") or []
        hits = sorted({r for v in stale for r in ws.rows_with_text(ds, v)} - set(correct))
        if hits:
            review.decide_rows(
                ws,
                ds,
                "drop",
                hits,
                {},
                EXPERT,
                "curator",
                reason=f"states the old {fact['key']}",
                bulk=f"fact-{fact['key']}",
            )
            actions["fact: drop every row with the old value (one search, one bulk action)"] += 1
    for r, res in sorted(rewrites.items()):
        review.decide_rows(ws, ds, "edit", [r], {"messages": res["messages"]}, EXPERT, "curator")
        review.decide_rows(ws, ds, "keep", [r], {}, EXPERT, "curator")
        actions["fact: rewrite an outdated row and restore it (2 actions)"] += 2
    for item in _all(ws, ds, "duplicate"):
        f = item.finding
        keep = original.get(f.rows[0], int(f.evidence.get("representative", f.rows[0])))
        _decide(ws, ds, item, "merge", f.rows, {"keep_row": keep})
        rep = int(f.evidence.get("representative", -1))
        actions[
            "duplicate: merge onto the representative (M)"
            if keep == rep
            else "duplicate: keep only the original (the representative was another row)"
        ] += 1
    adds = [
        d
        for d in read_resolutions(DEMO / "resolutions.jsonl", actor=EXPERT, dataset_id=ds).decisions
        if d.action == "add"
    ]
    gaps = _all(ws, ds, "coverage_gap")
    for d in adds:  # on the gap of the example's category when the scan names one, else the first gap
        gap = next(
            (
                g
                for g in gaps
                if d.payload.get("category")
                in (g.finding.evidence.get("category"), g.finding.evidence.get("edge_case"))
            ),
            gaps[0],
        )
        _decide(ws, ds, gap, "add", (), {"messages": d.payload["messages"]})
        actions["gap: write an example"] += 1
    return actions


def _all(ws: Workspace, ds: int, kind: str) -> list[review.QueueItem]:
    page = review.queue(ws, ds, kind, EXPERT, page_size=100_000)
    return [i for i in page.items if i.state.status not in ("resolved", "settled")]


def _decide(ws: Workspace, ds: int, item: review.QueueItem, action: str, rows, payload) -> None:
    fresh = review.load_items(ws, ds, [item.finding.finding_id])[0]
    review.decide(ws, ds, item.finding.finding_id, fresh.state.version, action, rows, payload, EXPERT, "curator")


def compare_with_expert(ws: Workspace, ds: int) -> dict:
    """Rows whose inclusion or text differs from the expert resolutions' curated set."""
    other = Workspace(Path(tempfile.mkdtemp(prefix="bench-review-expert-")))
    ods, _, _ = ingest_file(other, DEMO / "train.jsonl")
    other.record(ods.id, read_resolutions(DEMO / "resolutions.jsonl", dataset_id=ods.id).decisions)
    mine = {r.row: r for r in ws.ledger(ds).curated(ws.examples(ds)) if r.row is not None}
    theirs = {r.row: r for r in other.ledger(ods.id).curated(other.examples(ods.id)) if r.row is not None}
    differ = [r for r in mine if (mine[r].included, mine[r].turns) != (theirs[r].included, theirs[r].turns)]
    truth = json.loads((DEMO / "truth.json").read_text())
    outdated = {r for g in truth["contradictions"] for r in g["outdated_rows"]}
    copies = {r for g in truth["duplicates"] for r in g["rows"] if r != g["original_row"]}
    return {
        "rows that differ": len(differ),
        "outdated rows kept": sum(mine[r].included and r in outdated and mine[r].status != "edited" for r in mine),
        "planted copies kept": sum(mine[r].included and r in copies for r in mine),
        "differ, kept by us, dropped by the expert": sum(mine[r].included and not theirs[r].included for r in differ),
        "differ, dropped by us, kept by the expert": sum(theirs[r].included and not mine[r].included for r in differ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, default=None, help="scan once into DIR and reuse it")
    args = ap.parse_args()
    root = args.workspace or Path(tempfile.mkdtemp(prefix="bench-review-"))
    t0 = time.perf_counter()
    ws, ds = build(root)
    print(f"demo scanned in {time.perf_counter() - t0:.0f}s ({root})")
    if ws.decisions(ds):
        print("the workspace already has decisions: use a fresh --workspace")
        return 2
    findings = ws.findings(ds)
    before = {k: sum(f.kind == k for f in findings) for k in ("contradiction", "duplicate")}
    items = {k: review.queue(ws, ds, k, EXPERT, page_size=1).total for k in ("contradiction", "duplicate")}
    actions = scripted_review(ws, ds)
    defects = 86 + 31 + 113 + 8
    total = sum(actions.values())
    old = before["contradiction"] + before["duplicate"] + 113 + 8
    print(
        f"review items: contradiction {items['contradiction']} (pairwise findings {before['contradiction']}), "
        f"duplicate {items['duplicate']}"
    )
    for what, n in sorted(actions.items()):
        print(f"  {n:4d}  {what}")
    print(f"actions {total} for {defects} planted defects: {total / defects:.2f} per defect (goal <= 1.3)")
    print(
        f"one action per pairwise finding instead (the flow before review items): {old} = "
        f"{old / defects:.2f} per defect"
    )
    for what, n in compare_with_expert(ws, ds).items():
        print(f"  {what}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
