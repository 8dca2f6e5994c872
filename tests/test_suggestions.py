"""Suggested resolutions with their evidence, and the no-review policy that applies them
only when the evidence is decisive (never dropping both sides of a conflict)."""

from __future__ import annotations

import itertools

import pytest

from curation import suggestions
from curation.curate import auto_decisions, derive, policy_summary
from curation.review_items import Group
from curation.schema import Example, Finding, Turn

PHRASINGS = [
    "How much is the Pro plan?",
    "What does the Pro plan cost?",
    "Pro plan price?",
    "How much do I pay for Pro?",
    "What is the monthly price of the Pro plan?",
    "Pro plan: how much per month?",
    "Tell me the price of the Pro plan.",
    "What's Pro's price?",
]


def ex(row: int, request: str, answer: str, **record) -> Example:
    return Example(
        row=row,
        turns=(Turn("user", request), Turn("assistant", answer)),
        record={"instruction": request, "output": answer, **record},
    )


def disagreement(n_new: int, n_old: int, copies: int = 0, **dates):
    """Rows 0..n_new-1 say $14 (each a distinct phrasing), the next n_old say $11, then
    ``copies`` word-for-word copies of row 0; one contradiction finding per $14/$11 pair."""
    rows, sides = [], {}
    for k in range(n_new):
        rows.append(ex(k, PHRASINGS[k], "The Pro plan costs $14 per month.", **dates.get("new", {})))
        sides[k] = "$14"
    for k in range(n_new, n_new + n_old):
        rows.append(ex(k, PHRASINGS[-1 - (k - n_new)], "The Pro plan costs $11 per month.", **dates.get("old", {})))
        sides[k] = "$11"
    for k in range(n_new + n_old, n_new + n_old + copies):
        rows.append(ex(k, PHRASINGS[0], "The Pro plan costs $14 per month.", **dates.get("new", {})))
        sides[k] = "$14"
    findings = [
        Finding(
            "contradiction",
            "contradiction",
            (a, b),
            0.9,
            "$14 vs $11",
            {"disagreement": "dis-1", "sides": {str(r): sides[r] for r in (a, b)}},
        )
        for a in range(n_new)
        for b in range(n_new, n_new + n_old)
    ]
    if copies:
        findings.append(
            Finding(
                "duplicate",
                "exact",
                (0, *range(n_new + n_old, n_new + n_old + copies)),
                1.0,
                "copies",
                {"representative": 0},
            )
        )
    return rows, findings


def group_of(rows, findings) -> Group:
    from curation.review_items import groups

    return groups(findings, "contradiction")[0]


def texts(rows):
    return ({e.row: e.answer for e in rows}, {e.row: e.user_request for e in rows}, {e.row: e.record for e in rows})


def test_support_counts_phrasings_not_copies():
    rows, findings = disagreement(1, 1, copies=6)
    answers, requests, records = texts(rows)
    s = suggestions.suggest(group_of(rows, findings), answers, requests, None, records)
    sides = s.evidence[-1].detail["sides"]
    assert sides["$14"] == {"rows": 7, "phrasings": 1} and sides["$11"] == {"rows": 1, "phrasings": 1}
    assert s.side is None and not s.decisive  # seven rows, but one source against one


@pytest.mark.parametrize(
    "n_new, n_old, side, decisive",
    [
        (2, 1, "$14", False),
        (7, 1, "$14", True),
        (1, 1, None, False),
        (1, 4, "$11", False),
    ],
    ids=["2-vs-1", "7-vs-1", "tie", "1-vs-4"],
)
def test_support_alone_decides_only_with_a_clear_margin(n_new, n_old, side, decisive):
    rows, findings = disagreement(n_new, n_old)
    s = suggestions.suggest(group_of(rows, findings), *texts(rows)[:2], None, texts(rows)[2])
    assert (s.side, s.decisive) == (side, decisive)
    assert 0 <= s.confidence <= 1


def test_facts_sheet_outweighs_support_and_says_why():
    rows, findings = disagreement(1, 4)  # the majority says $11; the facts sheet says $14
    facts = {"pro_price": {"value": "$14", "label": "Pro plan price"}}
    answers, requests, records = texts(rows)
    s = suggestions.suggest(group_of(rows, findings), answers, requests, facts, records)
    assert s.side == "$14" and s.basis == "facts" and s.decisive
    assert s.confidence < suggestions.RANK["facts"]  # support points the other way
    assert any("facts sheet" in line and "pro_price" in line for line in suggestions.render(s, ["$14", "$11"]))


def test_recency_points_at_the_newer_side():
    rows, findings = disagreement(1, 1, new={"date": "2024-05-01"}, old={"date": "2022-01-10"})
    s = suggestions.suggest(group_of(rows, findings), *texts(rows)[:2], None, texts(rows)[2])
    assert s.side == "$14" and s.basis == "recency" and s.decisive
    rows, findings = disagreement(1, 1, new={"date": "2024-05-01"})  # one side undated: no recency
    assert suggestions.suggest(group_of(rows, findings), *texts(rows)[:2], None, texts(rows)[2]).basis == "none"


@pytest.mark.parametrize("n_new, n_old, copies", list(itertools.product([1, 2, 7], [1, 3], [0, 2])))
def test_the_policy_never_drops_both_sides(n_new, n_old, copies):
    rows, findings = disagreement(n_new, n_old, copies)
    kept = {r.row for r in derive(rows, auto_decisions(findings, examples=rows)) if r.included}
    assert kept & set(range(n_new)) or kept & set(range(n_new, n_new + n_old))
    decided = suggestions.suggest(group_of(rows, findings), *texts(rows)[:2], None, texts(rows)[2]).decisive
    assert kept >= set(range(n_new + n_old)) or decided  # undecided: every original row stays


def test_the_policy_applies_a_decisive_suggestion_and_counts_it():
    rows, findings = disagreement(7, 1)
    decisions = auto_decisions(findings, examples=rows)
    kept = {r.row for r in derive(rows, decisions) if r.included}
    assert kept == set(range(7))
    summary = policy_summary(decisions, findings)
    assert summary["disagreements_resolved"] == {"support": 1} and summary["contradictions_left_open"] == 0


def test_the_policy_leaves_an_undecided_disagreement_open():
    rows, findings = disagreement(2, 1)
    decisions = auto_decisions(findings, examples=rows)
    assert decisions == [] and policy_summary(decisions, findings)["contradictions_left_open"] == 2


def test_copies_merge_and_rewordings_stay_unless_asked():
    rows = [
        ex(0, "How do I reset my password?", "Open Settings > Account."),
        ex(1, "How do I reset my password?", "Open Settings > Account."),
        ex(2, "How can I change my password?", "Open Settings > Account."),
    ]
    dup = [Finding("duplicate", "semantic", (0, 1, 2), 0.97, "same", {"representative": 0})]
    kept = {r.row for r in derive(rows, auto_decisions(dup, examples=rows)) if r.included}
    assert kept == {0, 2}
    merged = {r.row for r in derive(rows, auto_decisions(dup, examples=rows, merge_rewordings=True)) if r.included}
    assert merged == {0}


def test_the_policy_leaves_the_copies_of_an_undecided_disagreement_alone():
    """$14 twice (row 0 and its copy) against $11 twice in other words: not decisive, so no row
    changes: merging the copy would leave the wrong price as often as the right one."""
    rows, findings = disagreement(1, 2, copies=1)
    group = group_of(rows, findings)
    assert not suggestions.suggest(group, *texts(rows)[:2], None, texts(rows)[2]).decisive
    decisions = auto_decisions(findings, examples=rows)
    assert decisions == []
    assert {r.row for r in derive(rows, decisions) if r.included} == {0, 1, 2, 3}
    # without the disagreement the same copy merges
    dup_only = [f for f in findings if f.kind == "duplicate"]
    assert [d.action for d in auto_decisions(dup_only, examples=rows)] == ["merge"]
