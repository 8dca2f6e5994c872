"""Per-row answer quality rules."""

from __future__ import annotations

import pytest
from test_detectors_support import MIXED, build, qa

from curation.detectors import ScanContext
from curation.detectors.quality import Quality, issues


@pytest.mark.parametrize(
    "request_, answer, expected",
    [
        ("Name a fruit.", "", ["empty_answer"]),
        ("Name a fruit.", "   ", ["empty_answer"]),
        ("Write a bio.", "Jane is a [insert job title] based in [your city].", ["placeholder"]),
        ("Explain gravity.", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", ["placeholder"]),
        ("Write a function.", "TODO: implement this later", ["placeholder"]),
        (
            "Explain gravity.",
            "Gravity is the force by which a planet or other body draws objects toward",
            ["truncated"],
        ),
        ("Show code.", "Here it is:\n```python\nprint('hi')\n", ["truncated"]),
        ("Repeat after me: the sky is blue.", "Repeat after me: the sky is blue.", ["repeats_request"]),
        ("Name a fruit.", "Apple", []),
        ("Explain gravity.", "Gravity pulls masses toward each other.", []),
        ("List three colours.", "1. Red\n2. Green\n3. Blue", []),
        ("Translate 'chat' to English.", "cat", []),
    ],
    ids=[
        "empty",
        "blank",
        "insert",
        "lorem",
        "todo",
        "mid-sentence",
        "open-fence",
        "parrot",
        "one-word",
        "sentence",
        "list",
        "short-translation",
    ],
)
def test_issue_rules(request_, answer, expected):
    assert [i[0] for i in issues(request_, answer)] == expected


def test_detector_reports_one_finding_per_issue_and_row():
    found = Quality().detect(ScanContext(examples=MIXED))
    assert {(f.rows, f.evidence["issue"]) for f in found} == {((14,), "placeholder"), ((15,), "empty_answer")}
    assert all(f.detector.startswith("quality.") for f in found)


def test_missing_answer_and_prompt_only():
    rows = [qa(0, "Hello?", "Hi."), qa(1, "Anyone there?")]
    assert [f.evidence["issue"] for f in Quality().detect(ScanContext(examples=rows))] == ["missing_answer"]
    assert Quality().detect(ScanContext(examples=build([("Only a prompt", None)]))) == []


def test_a_pasted_context_passage_is_named_as_such():
    passage = (
        "The Naismith Memorial Basketball Hall of Fame is a history museum in Springfield, Massachusetts. "
        "It honours players, coaches and referees, and opened in 1959 on the campus of Springfield College."
    )
    pasted = issues(f"Where is the basketball Hall of Fame?\n\n{passage}", passage)
    parrot = issues("Repeat after me: the sky is blue.", "Repeat after me: the sky is blue.")
    assert [(i[0], i[2]) for i in pasted] == [("repeats_request", "the answer just repeats its context passage")]
    assert [(i[0], i[2]) for i in parrot] == [("repeats_request", "the answer just repeats the request")]
    # an answer that quotes the passage in part and then answers is not a repeat
    assert issues(f"Where is the basketball Hall of Fame?\n\n{passage}", "In Springfield, Massachusetts.") == []
