"""Inline fixtures for the detector tests: small hand-written examples and a fake encoder.

No model, no network, nothing from the shared development data: the fake encoder maps a few synonyms to one token, then
hashes words and character trigrams (``HashingEncoder``), so rewordings built from those
synonyms land close together while unrelated texts do not.
"""

from __future__ import annotations

import re

import numpy as np

from curation.embeddings import HashingEncoder
from curation.schema import Example, Turn

SYNONYMS = {
    "boost": "improve",
    "increase": "improve",
    "fix": "repair",
    "automobile": "car",
    "quickest": "fastest",
    "speediest": "fastest",
    "named": "called",
    "approves": "confirms",
}


class SynonymEncoder:
    """A deterministic stand-in for a sentence model (see module docstring)."""

    model_key = "test-synonym-encoder"

    def __init__(self) -> None:
        self.base = HashingEncoder(dim=512)
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        canon = [" ".join(SYNONYMS.get(w, w) for w in re.findall(r"\w+", t.casefold())) for t in texts]
        return self.base.encode(canon)


def qa(row: int, request: str, answer: str | None = None, system: str | None = None) -> Example:
    turns = ((Turn("system", system),) if system else ()) + (Turn("user", request),)
    if answer is not None:
        turns += (Turn("assistant", answer),)
    return Example(row=row, turns=turns, record={"q": request, "a": answer})


def build(pairs: list[tuple[str, str | None]]) -> list[Example]:
    return [qa(i, q, a) for i, (q, a) in enumerate(pairs)]


MIXED = build(
    [
        ("How do I reset my password?", "Open Settings > Account and choose Reset password; we email you a link."),
        ("How do I reset my password?", "Open Settings > Account and choose Reset password; we email you a link."),
        ("how do i reset my PASSWORD", "Open settings > account and choose reset password; we email you a link"),
        ("What is the capital of France?", "Paris"),
        ("What is the capital of France?", "The capital is Paris."),
        ("What is the capital of France? Answer concisely.", "Sure! The capital of France is Paris."),
        ("What is the capital of Australia?", "Sydney"),
        ("What is the capital of Australia?", "Canberra"),
        (
            "Is the Great Wall of China visible from space with the naked eye?",
            "No, it is not visible to the naked eye.",
        ),
        ("Is the Great Wall of China visible from space with the naked eye?", "Yes, it is clearly visible."),
        (
            "Write a short poem about the sea.",
            "Waves fold silver light / over the sleeping harbour / gulls stitch the grey sky.",
        ),
        (
            "Write a short poem about the sea.",
            "The tide comes in with salt and foam, it calls the fishing boats back home.",
        ),
        ("How many legs does a spider have?", "A spider has 8 legs."),
        ("How many legs does a spider have?", "A spider has 6 legs."),
        (
            "Summarize the plot of Hamlet.",
            "Prince Hamlet seeks revenge on his uncle Claudius, who murdered his father and married his mother. TODO",
        ),
        ("Translate 'good morning' into Spanish.", ""),
    ]
)

REFERENCE = build(
    [
        ("How do I reset my password?", None),
        ("Welche Farbe hat der Himmel an einem klaren Tag?", None),
        ("Wie spät ist es in Berlin, wenn es in New York Mittag ist?", None),
        ("Wo finde ich die nächste Apotheke in der Nähe des Bahnhofs?", None),
        ("Wie viele Einwohner hat die Stadt München ungefähr?", None),
        ("What does the Pro plan cost?", None),
    ]
)
