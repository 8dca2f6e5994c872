"""`curate explain`: every check the detectors ran on one pair, and the rule that decided it."""

from __future__ import annotations

import json

import pytest
from test_detectors_support import SynonymEncoder, build
from typer.testing import CliRunner

from curation.cli import app
from curation.embeddings import Embedder
from curation.explain import explain_pair, render

ROWS = build(
    [
        ("How many legs does a spider have?", "A spider has 8 legs."),
        ("How many legs does a spider have?", "A spider has 6 legs."),
        ("Name one of the Harry Potter novels.", "Harry Potter and the Chamber of Secrets"),
        ("Name one of the Harry Potter novels.", "Harry Potter and the Goblet of Fire"),
        ("What is the capital of France?", "Paris"),
        ("What is the capital of Spain?", "Madrid"),
        ("How do I reset my password?", "Open Settings > Account and choose Reset password."),
        ("how do i reset my PASSWORD", "Open settings > account and choose reset password"),
    ]
)


def explain(a, b):
    return explain_pair(ROWS, a, b, embedder=Embedder(encoder=SynonymEncoder()))


def test_a_flagged_pair_names_the_rule_that_decided_it():
    e = explain(0, 1)
    assert e.compared and e.status == "conflict" and not e.duplicate
    assert "contra.number_mismatch" in [r["id"] for r in e.contradiction_rules]
    assert e.steps[-1] == ("changed_value", True) and all(not d for _, d in e.steps[:-1])
    text = render(e)
    assert "-> changed_value: DECIDED" in text and "flagged: yes" in text and "6 legs" in text


def test_a_cleared_pair_says_which_rule_cleared_it():
    e = explain(2, 3)
    assert e.status == "open" and [r["id"] for r in e.contradiction_rules] == ["contra.open_form"]
    assert ("open_form", True) in e.steps and "flagged: no" in render(e)


def test_different_requests_are_not_assessed_and_duplicates_name_their_rules():
    e = explain(4, 5)
    assert not e.compared and "not the same request" in e.why_not_compared and e.status is None
    assert "contra.number_mismatch" not in render(e)
    dup = explain(6, 7)
    assert dup.duplicate and dup.duplicate_rules and all(r.startswith("dup.") for r in dup.duplicate_rules)
    assert "duplicate: yes" in render(dup) and dup.status in (None, "agree")


def test_unknown_rows_are_an_error_naming_the_range():
    with pytest.raises(KeyError, match="no row 99"):
        explain(0, 99)
    with pytest.raises(ValueError, match="two different rows"):
        explain(1, 1)


def test_curate_explain_on_a_workspace(tmp_path):
    data = tmp_path / "qa.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"instruction": q, "input": "", "output": a})
            for q, a in [
                ("How many legs does a spider have?", "A spider has 8 legs."),
                ("How many legs does a spider have?", "A spider has 6 legs."),
                ("What is the capital of France?", "Paris"),
            ]
        )
        + "\n"
    )
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["ingest", str(data), "-w", str(ws)]).exit_code == 0
    out = runner.invoke(app, ["explain", "0", "1", "-w", str(ws)])
    assert out.exit_code == 0, out.output
    assert "contra.number_mismatch" in out.output and "flagged: yes" in out.output
    assert "no finding names both rows" in out.output  # not scanned yet
    as_json = json.loads(runner.invoke(app, ["explain", "0", "1", "-w", str(ws), "--json"]).output)
    assert as_json["status"] == "conflict" and as_json["rows"] == [0, 1]
    bad = runner.invoke(app, ["explain", "0", "7", "-w", str(ws)])
    assert bad.exit_code == 2 and "no row 7" in bad.output
