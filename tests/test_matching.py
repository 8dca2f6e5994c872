"""The text checks of ``matching``, one table keyed by rule id: each check fires on the pair it
is about and stays quiet on a rewording of the same thing. A check's id is what code decides
on (``rules.fired``); its sentence can be reworded freely."""

from __future__ import annotations

import pytest

from curation.detectors import text as tx
from curation.detectors.matching import compare_requests, compare_texts, key_conflicts, order_conflicts, role_swaps
from curation.detectors.rules import RULES, TEXT_CHECKS, rule_of


def checks(a: str, b: str) -> set[str]:
    """Every text check that fires between two texts, by the paths the detectors use."""
    found = key_conflicts(a, b, wording=True) + order_conflicts(a, b, same_length=len(a) >= 0.9 * len(b))
    found += role_swaps(a, b)
    found += compare_requests(a, b, tx.normalize(a), tx.normalize(b), cos=0.85).conflicts
    return {rule_of(c) for c in found}


TABLE = {
    "number_mismatch": [
        ("A spider has 8 legs.", "A spider has 6 legs.", True),
        ("A spider has 8 legs.", "Spiders have eight legs, like all arachnids... 8 of them.", False),
    ],
    "number_order": [
        ("Count from 1 to 10.", "Count from 10 to 1.", True),
        ("Count from 1 to 10.", "Count from 1 to 10 please.", False),
    ],
    "name_mismatch": [
        ("The capital of France is Paris.", "The capital of France is Lyon.", True),
        ("The capital of France is Paris.", "France's capital is Paris.", False),
    ],
    "negation": [("Pigs can fly.", "Pigs cannot fly.", True), ("Pigs cannot fly.", "Pigs are not able to fly.", False)],
    "word_change": [
        ("Store the carrots in a cool place.", "Store the potatoes in a cool place.", True),
        ("Store the carrots in a cool place.", "Store the carrots in a cool place.", False),
    ],
    "name_swap": [
        ("In the final, Germany beat Brazil.", "In the final, Brazil beat Germany.", True),
        ("In the final, Germany beat Brazil.", "In the final Germany beat Brazil.", False),
    ],
    "role_swap": [
        ("Convert miles to km.", "Convert km to miles.", True),
        ("Convert miles to km.", "Please convert miles to km.", False),
    ],
    "word_replaced": [
        ("The French are French.", "The French are rude.", True),
        ("The French are French.", "The French are french.", False),
    ],
    "template_slot": [
        (
            'Given the review "crashes on start every time", would you recommend this app?',
            'Given the review "battery drain is awful lately", would you recommend this app?',
            True,
        ),
        (
            'Given the review "crashes on start every time", would you recommend this app?',
            'Given the review "crashes on start every time", do you recommend this app?',
            False,
        ),
    ],
}


def test_the_table_covers_every_text_check():
    assert set(TABLE) == set(TEXT_CHECKS)
    assert all(f"contra.{name}" in RULES and f"dup.{name}" in RULES for name in TABLE)


@pytest.mark.parametrize("rule_id, a, b, fires", [(r, a, b, f) for r, rows in TABLE.items() for a, b, f in rows])
def test_a_text_check_fires_on_its_pair_and_not_on_a_rewording(rule_id, a, b, fires):
    assert (rule_id in checks(a, b)) is fires, checks(a, b)


def test_a_near_copy_with_a_changed_number_is_not_the_same_text_and_says_why():
    rel = compare_texts(
        "The Pro plan costs $12 per month.",
        "The Pro plan costs $15 per month.",
        "the pro plan costs 12 per month",
        "the pro plan costs 15 per month",
    )
    assert not rel.same and "number_mismatch" in {rule_of(c) for c in rel.conflicts}
