"""The representative of a duplicate group: the clean original is kept, and the reason says
what the others did to it. Table-driven on small hand-written groups; one test measures the
scorer on every planted duplicate group of the demo (data/demo/truth.json), no model needed.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from curation.detectors.damage import MAX_PAIRWISE, Vocabulary
from curation.detectors.representative import choose
from curation.detectors.text import normalize
from curation.formats import read_examples

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
Q = "How do I export my notes to PDF?"
A = "Open the note, click Share, then choose Export as PDF. The file downloads right away."
PRICE = "The Pro plan costs $12 per month, billed monthly."

CASES = {  # id -> (members as (request, answer), index of the clean original, words in the reason)
    "wrapper": (
        [("Hi! Quick question: " + Q + " Thanks!", A), (Q, A)],
        1,
        "adds words around the request (row 0: “Hi! Quick question:” … “Thanks!”)",
    ),
    "greeting-on-a-rewording": (
        [
            ("Hello! Which plan has single sign-on?", "SSO comes with the Business plan."),
            ("Which plan includes single sign-on?", "SSO comes with the Business plan."),
        ],
        1,
        "adds a greeting, sign-off or polite phrase (row 0)",
    ),
    "opener": (
        [("What does Pro cost?", "Sure! " + PRICE), ("What does Pro cost?", PRICE)],
        1,
        "puts words before the answer (row 0: “Sure!”)",
    ),
    "label-prefix": (
        [("What does Pro cost?", PRICE), ("What does Pro cost?", "**Answer:** " + PRICE)],
        0,
        "puts words before the answer (row 1: “**Answer:**”)",
    ),
    "closer": (
        [("What does Pro cost?", PRICE + " Hope that helps!"), ("What does Pro cost?", PRICE)],
        1,
        "adds a closing phrase to the answer (row 0: “Hope that helps!”)",
    ),
    "lower-cased": ([(Q.lower(), A), (Q, A)], 1, "is lower-cased (row 0)"),
    "capitals": ([(Q, A), (Q.upper(), A)], 0, "is in capitals (row 1)"),
    "typos-against-the-majority": (
        [
            ("Where can I chnage my billing address?", A),
            ("Where can I change my billing address?", A),
            ("Where can I change my billing adress?", A),
        ],
        1,
        "misspell words (row 0: “chnage” for “change”; row 2: “adress” for “address”)",
    ),
    "truncated": ([(Q, A), (Q, "Open the note, click Share, then choose")], 0, "cuts the answer short (row 1)"),
    "markup": ([(Q, "> " + A), (Q, A)], 1, "adds markup (row 0)"),
    "whitespace": (
        [("  " + Q + " \n", A.replace(". ", ".  ") + "\n"), (Q, A)],
        1,
        "adds stray spaces or line breaks (row 0)",
    ),
    "identical": ([(Q, A), (Q, A)], 0, "is identical (row 1)"),
    "several-kinds": (
        [(Q.lower(), A), ("Hey team, " + Q + " Cheers.", A), (Q, A), (Q, "Sure! " + A)],
        2,
        "the others are lower-cased (row 0), add words around the request (row 1: “Hey team,” … "
        "“Cheers.”), put words before the answer (row 3: “Sure!”)",
    ),
    "prompt-only": (
        [("Summarise this article in three bullet points.", ""), ("summarise this article in three bullet points", "")],
        0,
        "is lower-cased (row 1)",
    ),
}


@pytest.mark.parametrize("members, keep, words", CASES.values(), ids=CASES.keys())
def test_the_clean_original_is_kept_and_the_reason_says_why(members, keep, words):
    at, why = choose(list(range(len(members))), *zip(*members))
    assert at == keep, why
    assert words in why
    assert f"row {keep}" not in why.split(";")[0]  # the kept row is never listed as damaged


@pytest.mark.parametrize("case", ["several-kinds", "typos-against-the-majority", "whitespace"])
def test_member_order_does_not_change_the_choice(case):
    members, keep, _ = CASES[case]
    for order in itertools.permutations(range(len(members))):
        at, _ = choose(list(order), *zip(*(members[i] for i in order)))
        assert order[at] == keep


def test_a_typo_in_a_pair_is_settled_by_the_rest_of_the_data():
    pair = [("Can I chnage my plan later?", A), ("Can I change my plan later?", A)]
    # in a pair each spelling has one vote: without the scan's vocabulary nothing is a typo
    assert "misspell" not in choose([0, 1], *zip(*pair))[1]
    rows = [(f"how do i change my {w}", "") for w in ("email", "theme", "avatar", "name")]
    rows.append(("can i change my plan later", ""))
    at, why = choose([0, 1], *zip(*pair), Vocabulary(rows + [("can i chnage my plan later", "")]))
    assert at == 1 and "misspells words (row 0: “chnage” for “change”)" in why


def test_a_word_the_data_uses_elsewhere_is_no_typo():
    pair = [("Which plans include SSO?", A), ("Which plan includes SSO?", A)]
    rows = [(f"the {w} page", "") for w in ("plan", "plans", "include", "includes") for _ in range(5)]
    assert "misspell" not in choose([0, 1], *zip(*pair), Vocabulary(rows))[1]


def test_a_repeated_version_outweighs_a_lone_one():
    members = [(Q, "Sure! " + A), (Q, "Sure! " + A), ("Hi! " + Q, A)]
    at, why = choose([0, 1, 2], *zip(*members))
    assert at == 0 and "is identical" not in why and "identical (row 1)" in why


def test_large_groups_use_only_the_per_text_signals():
    members = [(f"{Q} ", A)] * (MAX_PAIRWISE + 5) + [(Q, A)]
    at, why = choose(list(range(len(members))), *zip(*members))
    assert at == len(members) - 1 and "and 60 more" in why


def test_demo_planted_originals_are_kept():
    """Every planted duplicate group of the demo, scored as one group: the kept row is the
    planted original (or a row identical to it) in at least 95% of them (the old rule, the
    longest complete answer, kept it in 45.8% of the groups a scan reports)."""
    examples = read_examples(DEMO / "train.jsonl").examples
    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
    vocabulary = Vocabulary([(normalize(e.request), normalize(e.answer)) for e in examples])
    kept = 0
    for g in truth["duplicates"]:
        rows = g["rows"]
        at, _ = choose(rows, [examples[r].user_request for r in rows], [examples[r].answer for r in rows], vocabulary)
        kept += examples[rows[at]].turns == examples[g["original_row"]].turns
    assert kept / len(truth["duplicates"]) >= 0.95, (kept, len(truth["duplicates"]))
