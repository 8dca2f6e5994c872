"""Precision of the quality detector's "the answer repeats the request" rule on real public rows.

``labels.jsonl`` holds, by reference (source, row), every row the rule flagged before
2026-11-30 on nine public sets, each labelled by reading it (GUIDELINE.md): ``repeat`` (the
answer adds nothing to the request) or ``not_repeat``. "dev" rows were read while the rule's
new checks (``adds_content``, ``recases``) were written; "held_out" rows only after. The
checks only ever clear a flag, so these rows are every row either version flags.

    python bench/real_quality/score.py      # needs ../shared/data (not in a fresh clone)

prints, per split, what the rule flags with the checks and without them (the ablation).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import curation.detectors.quality as quality
from curation.formats import read_examples

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "real_pairs"))
from pairs import DATA, SOURCES  # noqa: E402  (the real-pairs benchmark's sources, same names)

FILES = {
    **{name: SOURCES[name] for name in ("dolly_3k", "alpaca_9k", "dolly_open_qa", "alpaca_gpt4_demo")},
    "claude_t45": "alpagasus_filtered/claude_t45.json",
    "guanaco": "oasst_guanaco_llama2_1k/guanaco_1k_messages.jsonl",
    "kto_demo": "llamafactory_demo/kto_en_demo.json",
}


def rows(source: str) -> dict[int, tuple[str, str]]:
    """row -> (request, answer) of a source."""
    if source == "truthfulqa_best":
        with (DATA / "truthfulqa" / "TruthfulQA.csv").open(encoding="utf-8") as f:
            return {k: (r["Question"], r["Best Answer"]) for k, r in enumerate(csv.DictReader(f))}
    if source == "halueval_general":
        with (DATA / "halueval_general" / "general_data.json").open(encoding="utf-8") as f:
            return {k: (r["user_query"], r["chatgpt_response"]) for k, r in enumerate(map(json.loads, f))}
    examples = read_examples(DATA / FILES[source], skip_bad=True).examples
    return {e.row: (e.request, e.answer) for e in examples if e.has_answer}


@contextmanager
def checks_off():
    saved = quality.adds_content, quality.recases
    quality.adds_content = quality.recases = lambda answer, request: False
    try:
        yield
    finally:
        quality.adds_content, quality.recases = saved


def flagged(request: str, answer: str) -> bool:
    return any(issue == "repeats_request" for issue, _, _ in quality.issues(request, answer))


def main() -> None:
    labels = [json.loads(line) for line in (HERE / "labels.jsonl").open()]
    texts = {s: rows(s) for s in sorted({x["source"] for x in labels})}
    table = defaultdict(lambda: defaultdict(int))
    for x in labels:
        req, ans = texts[x["source"]][x["row"]]
        with checks_off():
            before = flagged(req, ans)
        after = flagged(req, ans)
        for split in (x["split"], "all"):
            t = table[split]
            t["rows"] += 1
            t["repeats"] += x["label"] == "repeat"
            for name, hit in (("without", before), ("with", after)):
                t[f"{name}_flagged"] += hit
                t[f"{name}_true"] += hit and x["label"] == "repeat"
    print("| split | labelled rows (repeats) | checks | flagged | true | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    for split in ("dev", "held_out", "all"):
        t = table[split]
        for name in ("without", "with"):
            n, ok = t[f"{name}_flagged"], t[f"{name}_true"]
            prec = f"{ok / n:.3f}" if n else "-"
            rec = f"{ok / t['repeats']:.3f}" if t["repeats"] else "-"
            print(f"| {split} | {t['rows']} ({t['repeats']}) | {name} | {n} | {ok} | {prec} | {rec} |")


if __name__ == "__main__":
    main()
