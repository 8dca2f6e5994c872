"""Per-row answer quality rules."""

from __future__ import annotations

import pytest
from test_detectors_support import MIXED, build, qa

from curation.detectors import ScanContext
from curation.detectors.quality import Quality, adds_content, issues, recases


@pytest.mark.parametrize(
    "request_, answer, expected",
    [
        ("Name a fruit.", "", ["empty_answer"]),
        ("Name a fruit.", "   ", ["empty_answer"]),
        ("Write a bio.", "Jane is a [insert job title] based in [your city].", ["placeholder"]),
        ("Explain gravity.", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", ["placeholder"]),
        ("Write a function.", "TODO: implement this later", ["placeholder"]),
        ("Write a function.", "def area(w, h):\n    # FIXME: handle negative sizes\n    return w * h", ["placeholder"]),
        (
            "¿Qué es la depresión?",
            "La depresión es un trastorno común en todo el mundo. Todo tratamiento empieza por un diagnóstico.",
            [],
        ),
        (
            "Explain gravity.",
            "Gravity is the force by which a planet or other body draws objects toward",
            ["truncated"],
        ),
        ("Show code.", "Here it is:\n```python\nprint('hi')\n", ["truncated"]),
        ("Query the users.", "SELECT name, email FROM users WHERE status = 'active' ORDER BY name;", []),
        (
            "Write a short reply to the supplier.",
            "Thank you for the quick delivery, we will order again next month.\n\nSincerely,\nCompany A",
            [],
        ),
        (
            "Tabulate the sales.",
            "| Month | Sales |\n|-------|-------|\n| Jan   | 1,200 |\n| Feb   | 1,350 |\n---------",
            [],
        ),
        ("Design a game.", "Design a game where the player has to guess a secret number between 1-", ["truncated"]),
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
        "fixme",
        "spanish-todo",
        "mid-sentence",
        "open-fence",
        "sql-semicolon",
        "signed-company-a",
        "table-border",
        "lone-dash",
        "parrot",
        "one-word",
        "sentence",
        "list",
        "short-translation",
    ],
)
def test_issue_rules(request_, answer, expected):
    assert [i[0] for i in issues(request_, answer)] == expected


def test_a_letter_signed_your_name_is_a_template_low_in_the_queue_not_a_gap():
    letter = "Thank you for the interview on Monday; I look forward to hearing from you.\n\nSincerely,\n[Your Name]"
    gap = "Dear [Insert hiring manager's name],\n\nThank you for the interview.\n\nSincerely,\n[Your Name]"
    (signed,) = issues("Write a thank-you note after an interview.", letter)
    (unfinished,) = issues("Write a thank-you note after an interview.", gap)
    assert signed[0] == unfinished[0] == "placeholder"
    assert signed[1] < 0.5 < unfinished[1]  # sorted after every other quality finding
    assert "sender's name" in signed[2] and "[Insert hiring manager" in unfinished[2]


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


_MINUTES = (
    "The comittee recieved the annual report from the treasurer on Tuesday morning and approved it after a "
    "short discussion of the budget for the coming year, the repairs to the hall roof and the summer fair."
)


@pytest.mark.parametrize(
    "request_, answer",
    [
        # the answer restates the question around the word that answers it
        (
            "Name a planet in our solar system that has a large system of bright rings around it.",
            "Saturn is a planet in our solar system that has a large system of bright rings around it.",
        ),
        (
            "What is the boiling point of pure water at sea level when it is measured in degrees Celsius?",
            "The boiling point of pure water at sea level when it is measured in degrees Celsius is 100.",
        ),
        (
            "What happens if you whistle indoors at night in an old house?",
            "Nothing happens if you whistle indoors at night in an old house.",
        ),
        # an edit that changes only the case of the words it copies
        (
            "Capitalize properly.\n\nthe old man and the sea is a short novel written by ernest hemingway in cuba in 1951",
            "The Old Man and the Sea is a short novel written by Ernest Hemingway in Cuba in 1951",
        ),
        # a passage corrected in two words: the task done
        (
            f"Fix the spelling.\n\n{_MINUTES}",
            _MINUTES.replace("comittee", "committee").replace("recieved", "received"),
        ),
    ],
    ids=["restated-answer", "restated-number", "restated-nothing", "recased", "corrected"],
)
def test_a_close_copy_that_says_something_new_is_not_a_repeat(request_, answer):
    assert [i[0] for i in issues(request_, answer)] == []


@pytest.mark.parametrize(
    "request_, answer, why",
    [
        # a first-person echo that claims the task, inflected and cut off
        (
            "Draw a diagram that shows the water cycle from 1900-2000",
            "I have drawn a diagram that shows the water cycle from 1900-20",
            "the request",
        ),
        ("Compose a 30-second jingle for a bakery.", "Composed a 30-second jingle for a bakery.", "the request"),
        # a long pasted passage with one word changed (and its accents dropped) is still a paste
        (
            "Tell me about the Lakeside Observatory.\n\n"
            + "The Lakeside Observatory is an astronomical observatory near Jönköping, Sweden, founded in 1931 by "
            "the amateur astronomer Åsa Lindqvist. Its main instrument is a 60 cm reflecting telescope installed in "
            "1974, and the site hosts public viewing evenings on clear Fridays during the winter months. The "
            "observatory is run by a volunteer society with about two hundred members.",
            "The Lakeside Observatory is an astronomical observatory near Jonkoping, Sweden, established in 1931 by "
            "the amateur astronomer Asa Lindqvist. Its main instrument is a 60 cm reflecting telescope installed in "
            "1974, and the site hosts public viewing evenings on clear Fridays during the winter months. The "
            "observatory is run by a volunteer society with about two hundred members.",
            "its context passage",
        ),
    ],
    ids=["drawn-echo", "composed-echo", "paste-one-word-changed"],
)
def test_a_copy_that_adds_nothing_is_still_a_repeat(request_, answer, why):
    assert [(i[0], i[2]) for i in issues(request_, answer)] == [("repeats_request", f"the answer just repeats {why}")]


def test_new_words_are_counted_without_function_words_inflections_or_accents():
    assert not adds_content("I have made a list of the rivers", "Make a list of the rivers")
    assert not adds_content("The Malmö office closes", "Does the Malmo office close?")
    assert adds_content("Oslo is the capital", "What is the capital?")
    # one new word in a long copy is a stray change; two are not
    long_request = " ".join(f"word{k}" for k in range(40))
    assert not adds_content(long_request.replace("word7", "zebra"), long_request)
    assert adds_content(long_request.replace("word7", "zebra").replace("word9", "quartz"), long_request)
    assert recases("Paris Is Lovely", "say: paris is lovely") and not recases("paris is lovely", "say: paris is lovely")
