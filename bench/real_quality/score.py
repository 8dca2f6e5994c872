"""Precision of two quality rules on real public rows, with and without their latest change.

``--rule repeats_request`` (the default): ``labels.jsonl`` holds, by reference (source, row),
every row the "the answer repeats the request" rule flagged before 2026-11-30 on nine public
sets, each labelled by reading it (GUIDELINE.md): ``repeat`` (the answer adds nothing to the
request) or ``not_repeat``. "dev" rows were read while the rule's new checks (``adds_content``,
``recases``) were written; "held_out" rows only after. The checks only ever clear a flag, so
these rows are every row either version flags.

``--rule placeholder``: ``labels_placeholder.jsonl`` holds every row of ten public sets
where the placeholder rule matched TODO, TBD or FIXME in any case before it was made to
match them in capitals only (the change: "todo" is a Spanish and Portuguese word).
``placeholder`` or ``not_placeholder``; "dev" rows (OASST Guanaco) were read while the change
was made, "held_out" rows (Alpagasus Claude, LLaMA-Factory KTO demo, HaluEval) after. Rows
the rule flags for another match ([insert ...], lorem ipsum) are not changed by it and not
listed.

``--rule truncated``: ``labels_truncated.jsonl`` holds every row the "cut off" rule flagged on
nine public sets before it stopped counting a final semicolon (a code statement's end), a run
of dashes (a table border, "--- Fin ---") or a connective in capitals ("Company A", "END
WHILE") as a text cut off. The changes were read off the "dev" rows (Alpagasus Claude and
Alpaca, OASST Guanaco); "held_out" rows (Dolly, Dolly open QA, the LLaMA-Factory demos,
TruthfulQA, HaluEval, whose ChatGPT answers are often really cut off) were labelled in the
same pass, not used to choose them. The changes only clear flags, so these rows are every
row either version flags.

    python bench/real_quality/score.py [--rule placeholder|truncated]   # needs ../shared/data

prints, per split, what the rule flags with the change and without it (the ablation).
"""

from __future__ import annotations

import csv
import argparse
import json
import re
import sys
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

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
# the patterns before their changes: TODO, TBD and FIXME in any case; a text ending on a
# semicolon, any dash or a connective in capitals counted as cut off
_OLD_PLACEHOLDERS = re.compile(quality.PLACEHOLDERS.pattern.replace("(?-i:", "(?:"), re.IGNORECASE)
_OLD_DANGLING = re.compile(
    quality._DANGLING.pattern.replace("[,:(]|(?<![-–])[-–]|", "[,;:(\\-–]|").replace("(?-i:(?![A-Z]+\\b))", ""),
    re.IGNORECASE,
)


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


def _before(rule: str) -> dict[str, object]:
    """The ``quality`` attributes a rule's change replaced, as they were before it."""
    if rule == "placeholder":
        return {"PLACEHOLDERS": _OLD_PLACEHOLDERS}
    if rule == "truncated":
        return {"_DANGLING": _OLD_DANGLING}
    return dict.fromkeys(("adds_content", "recases"), lambda answer, request: False)


@contextmanager
def change_off(rule: str):
    """The rule as it was before its change (the ablation)."""
    with ExitStack() as stack:
        for name, old in _before(rule).items():
            stack.enter_context(mock.patch.object(quality, name, old))
        yield


def flagged(rule: str, request: str, answer: str) -> bool:
    return any(issue == rule for issue, _, _ in quality.issues(request, answer))


RULES = {  # rule -> (labels file, the label of a true finding, the change's name in the table)
    "repeats_request": ("labels.jsonl", "repeat", "checks"),
    "placeholder": ("labels_placeholder.jsonl", "placeholder", "capitals only"),
    "truncated": ("labels_truncated.jsonl", "truncated", "code, rules, capitals"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rule", choices=sorted(RULES), default="repeats_request")
    rule = ap.parse_args().rule
    path, true_label, change = RULES[rule]
    labels = [json.loads(line) for line in (HERE / path).open()]
    texts = {s: rows(s) for s in sorted({x["source"] for x in labels})}
    table = defaultdict(lambda: defaultdict(int))
    for x in labels:
        req, ans = texts[x["source"]][x["row"]]
        with change_off(rule):
            before = flagged(rule, req, ans)
        after = flagged(rule, req, ans)
        for split in (x["split"], "all"):
            t = table[split]
            t["rows"] += 1
            t["true"] += x["label"] == true_label
            for name, hit in (("without", before), ("with", after)):
                t[f"{name}_flagged"] += hit
                t[f"{name}_true"] += hit and x["label"] == true_label
    print(f"| split | labelled rows ({true_label}) | {change} | flagged | true | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    for split in ("dev", "held_out", "all"):
        t = table[split]
        for name in ("without", "with"):
            n, ok = t[f"{name}_flagged"], t[f"{name}_true"]
            prec = f"{ok / n:.3f}" if n else "-"
            rec = f"{ok / t['true']:.3f}" if t["true"] else "-"
            print(f"| {split} | {t['rows']} ({t['true']}) | {name} | {n} | {ok} | {prec} | {rec} |")


if __name__ == "__main__":
    main()
