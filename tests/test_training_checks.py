"""The demo's automatic answer checks, one table."""

from __future__ import annotations

import pytest

from training.checks import detect_language, run_check, run_checks

CASES = [
    ({"type": "contains_any", "values": ["$14"]}, "Pro costs $14 per user.", True),
    (
        {"type": "contains_any", "values": ["Frankfurt", "Fráncfort"]},
        "Servers are in FRANKFURT.",
        True,
    ),
    ({"type": "contains_any", "values": ["$14"]}, "Pro costs $11.", False),
    ({"type": "contains_none", "values": ["$11"]}, "Pro costs $14.", True),
    ({"type": "contains_none", "values": ["17:00", "5 pm"]}, "We close at 5 PM.", False),
    ({"type": "asks_clarification"}, "Which plan are you on: Free, Pro or Team?", True),
    ({"type": "asks_clarification"}, "Could you tell me which device you mean", True),
    ({"type": "asks_clarification"}, "The Pro plan costs $14 per month.", False),
    ({"type": "declines"}, "I'm sorry, but I can't give medical advice.", True),
    ({"type": "declines"}, "That's not something I can do. Ask me about Tidebook!", True),
    ({"type": "declines"}, "I can't follow that instruction, but I'm happy to help.", True),
    ({"type": "declines"}, "Lo siento, no puedo ayudar con eso.", True),
    ({"type": "declines"}, "Sure! Here is the code you asked for.", False),
    ({"type": "max_words", "value": 5}, "one two three four five", True),
    ({"type": "max_words", "value": 5}, "one two three four five six", False),
    ({"type": "language", "value": "es"}, "El plan Business cuesta 39 $ por usuario al mes.", True),
    (
        {"type": "language", "value": "de"},
        "Die Daten werden in Frankfurt gespeichert und sind sicher.",
        True,
    ),
    ({"type": "language", "value": "es"}, "The Business plan costs $39 per user.", False),
    ({"type": "language", "value": "en"}, "You can export it from the menu.", True),
]


@pytest.mark.parametrize("spec, answer, expected", CASES, ids=[f"{c[0]['type']}-{i}" for i, c in enumerate(CASES)])
def test_check(spec, answer, expected):
    assert run_check(spec, answer) is expected


def test_run_checks_needs_all_to_pass():
    specs = [{"type": "contains_any", "values": ["$14"]}, {"type": "max_words", "value": 3}]
    assert run_checks(specs, "It is $14.") == {"passed": True, "results": [True, True]}
    assert run_checks(specs, "The Pro plan is $14 monthly.")["passed"] is False
    assert run_checks([], "anything")["passed"] is None


def test_unknown_check_type_raises():
    with pytest.raises(ValueError, match="unknown check type"):
        run_check({"type": "regex"}, "x")


def test_detect_language_without_stopwords_is_empty():
    assert detect_language("12345 !!!") == ""
