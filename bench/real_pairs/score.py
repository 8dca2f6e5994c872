"""Score the contradiction detector on the labelled real-data pairs (see GUIDELINE.md).

usage: python bench/real_pairs/score.py [--workspace DIR]

For each labelled pair of ``labels.jsonl`` the scan's verdict (flagged as a contradiction or
not) is compared with the label, per class, for the default settings and two ablations
(without the request-form markers, without the closed/open classifier). Needs the public
files in ``../shared/data``; says so and exits 0 without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pairs  # noqa: E402

sys.path.insert(0, str(pairs.ROOT))
HERE = Path(__file__).resolve().parent
VARIANTS = {
    "default": {},
    "no form markers": {"open_markers": False},
    "no list answers": {"list_answers": False},
    "no classifier": {"open_threshold": 1.0},
    "neither (rules only)": {"open_markers": False, "open_threshold": 1.0},
}


def load_labels(path: Path = HERE / "labels.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def report(labels: list[dict], flagged: set[tuple[str, int, int]], title: str) -> None:
    n, hit = Counter(), Counter()
    for lb in labels:
        key = (lb["source"], *sorted(lb["rows"]))
        n[lb["label"]] += 1
        hit[lb["label"]] += key in flagged
    total = sum(hit.values())
    conflicts = hit["conflict"]
    precision = conflicts / total if total else float("nan")
    recall = conflicts / n["conflict"] if n["conflict"] else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if total and conflicts else 0.0
    print(f"\n{title}: {len(labels)} pairs, {total} flagged")
    for label in pairs.LABELS:
        print(f"  {label:11s} n={n[label]:4d}  flagged {hit[label]:4d} ({hit[label] / max(1, n[label]):.1%})")
    print(f"  contradiction precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(
        f"  goal: precision >= 0.8: {'met' if precision >= 0.8 else 'NOT met'}; compatible flagged "
        f"<= 25%: {'met' if hit['compatible'] <= 0.25 * n['compatible'] else 'NOT met'} "
        f"({hit['compatible'] / max(1, n['compatible']):.1%})"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default=str(pairs.ROOT / ".workspace" / "bench"))
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), help="settings to score")
    args = ap.parse_args()
    if not pairs.DATA.exists():
        print(f"no public data at {pairs.DATA}: nothing to score")
        return 0
    from curation.detectors.contradiction import Contradictions

    labels = load_labels()
    by_source = defaultdict(list)
    for lb in labels:
        by_source[lb["source"]].append(lb)
    flagged: dict[str, set] = defaultdict(set)
    for source in sorted(by_source):
        ctx = pairs.context(source, Path(args.workspace))
        for name in args.variants:
            flagged[name] |= {(source, a, b) for a, b in pairs.flagged(ctx, Contradictions(**VARIANTS[name]))}
    for name in args.variants:
        report(labels, flagged[name], f"{name}, all sources")
    dolly = [lb for lb in labels if lb["source"].startswith("dolly")]
    other = [lb for lb in labels if not lb["source"].startswith("dolly")]
    report(dolly, flagged["default"], "default, Dolly sources (the classifier's training family)")
    report(other, flagged["default"], "default, other sources (held out from the classifier)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
