"""Closed vs open requests, context-aware request equivalence and agreement across forms."""

from __future__ import annotations

import numpy as np
import pytest
from test_detectors_contradiction import flagged

from curation.detectors import request_form as rf
from curation.detectors import text as tx


@pytest.mark.parametrize(
    "request_, is_open",
    [
        ('Give me a title of one of the "Harry Potter" novels.', True),
        ("Name a fruit that is red.", True),
        ("What is your favourite colour?", True),
        ("Write a short poem about autumn.", True),
        ("Rewrite this sentence in the passive voice.\n\nThe cat chased the mouse.", True),
        ("Which one of the planets is the largest?", False),
        ("Name the capital of France.", False),
        ("Who wrote Hamlet?", False),
        ("How many legs does a spider have?", False),
    ],
    ids=["one-of", "name-a", "opinion", "creative", "rewrite", "which-one-of", "name-the", "who", "how-many"],
)
def test_request_form(request_, is_open):
    """Open by form marker or by the trained model (form-only: no embedder here)."""
    p = rf.open_probability([request_])[0]
    assert bool(rf.open_form(request_) or p >= 0.5) is is_open


def test_the_model_ranks_brainstorms_above_facts():
    p = rf.open_probability(
        [
            "Brainstorm ideas for a birthday party theme.",
            "Suggest some names for a bakery.",
            "What year did the Berlin Wall fall?",
            "What is the boiling point of water?",
        ]
    )
    assert min(p[:2]) > 0.5 > max(p[2:])


def test_the_model_takes_embeddings_of_the_trained_width():
    requests = ["Who wrote Hamlet?"]
    width = len(rf._models()["form+minilm"]["coef"]) - (rf.BUCKETS + 4)
    p = rf.open_probability(requests, np.zeros((1, width), dtype=np.float32))
    assert 0 < p[0] < 1


def test_instruction_is_split_from_its_passage():
    assert rf.instruction("Who founded it?\n\nAcme was founded in 1990 by Ann.") == ("Who founded it?", True)
    passage = "Acme " * 80
    assert rf.instruction(f"{passage}\n\nWho founded it?") == ("Who founded it?", True)
    assert rf.instruction("Who founded Acme?") == ("Who founded Acme?", False)


HP = "Give me a title of one of the Harry Potter novels."


@pytest.mark.parametrize(
    "a, b, conflict",
    [
        ((HP, "Harry Potter and the Chamber of Secrets"), (HP, "Harry Potter and the Prisoner of Azkaban"), False),
        (("Name a fruit that is red.", "Strawberry"), ("Name a fruit that is red.", "Cherry"), False),
        (("Who wrote the novel Dracula?", "Bram Stoker"), ("Who wrote the novel Dracula?", "Mary Shelley"), True),
    ],
    ids=["one-of-titles", "name-a-fruit", "closed-author"],
)
def test_only_closed_requests_conflict(a, b, conflict):
    assert flagged(a, b) is conflict


PASSAGE = (
    "The Hall of Fame in Springfield honours the athletes of the region. The local athletic "
    "association founded it, and its first class of inductees was named two years later."
)


@pytest.mark.parametrize(
    "a, b, conflict",
    [
        (
            (f"When was the Hall of Fame founded?\n\n{PASSAGE}", "1959"),
            (f"When was the first class of inductees named?\n\n{PASSAGE}", "1961"),
            False,
        ),
        (
            (f"When was the Hall of Fame founded?\n\n{PASSAGE}", "1959"),
            (f"When was the Hall of Fame founded?\n\n{PASSAGE}", "1961"),
            True,
        ),
    ],
    ids=["two-questions-one-passage", "one-question-one-passage"],
)
def test_equivalence_weighs_the_instruction_not_the_passage(a, b, conflict):
    assert flagged(a, b) is conflict


Q = "At what temperature does water boil at sea level?"


@pytest.mark.parametrize(
    "a, b, conflict",
    [
        ((Q, "Water boils at 100 degrees Celsius."), (Q, "It boils at 212 °F."), False),
        ((Q, "Water boils at 100 °C."), (Q, "Water boils at 90 °C."), True),
        (("How long is the race?", "The race is 5 km."), ("How long is the race?", "The race is 5000 meters."), False),
        (("How many moons does Mars have?", "Mars has two moons."), ("How many moons does Mars have?", "2"), False),
    ],
    ids=["celsius-fahrenheit", "other-temperature", "km-m", "number-word"],
)
def test_agreement_across_forms(a, b, conflict):
    assert flagged(a, b) is conflict


def test_quantities_convert_units_and_keep_dimensions_apart():
    assert tx.converted("100 degrees Celsius", "212 °F") == {"100"}
    assert tx.converted("5 km", "5000 m") == {"5"}
    assert tx.converted("5 km", "5000 kg") == frozenset()
    assert tx.converted("version 5 c", "5 celsius") == frozenset()  # a bare 'c' is no unit


def test_numbers_with_dots_between_thousands_are_read_not_fatal():
    """A Spanish answer's "17.000.000 km²" crashed a 200,000-row scan at its end (float()
    of "17.000.000"). Dots between groups of three are thousands; other dotted digit runs
    (versions, dates) carry no quantity."""
    assert tx.quantities("Rusia, con más de 17.000.000 km² de superficie") == {"17.000.000": ("length", 17e9)}
    assert tx.converted("17.000.000 km", "17000000 kilometers") == {"17.000.000"}
    assert tx.quantities("release 1.2.3 mb patch, on 12.10.2024 days") == {}
    assert tx.quantities("1,500.5 kg") == {"1500.5": ("mass", 1500.5e3)}


@pytest.mark.parametrize(
    "a, b, conflict",
    [
        (
            ("Which countries start with S?", "Spain, Sweden, Sudan"),
            ("Which countries start with S?", "Somalia, Senegal, Serbia"),
            False,
        ),
        (("Which planet is the largest?", "Jupiter"), ("Which planet is the largest?", "Saturn"), True),
    ],
    ids=["list-members", "single-claim"],
)
def test_list_answers_differ_by_members_not_claims(a, b, conflict):
    assert flagged(a, b) is conflict
    assert bool(tx.list_items(a[1])) is not conflict
