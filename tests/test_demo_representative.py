"""The duplicate groups a real scan of the demo reports keep the planted original.

`curate scan` on data/demo with the bundled MiniLM (as tests/test_demo_recall.py does); for
every planted group of data/demo/truth.json whose original row a duplicate finding holds with
at least one of its copies, the finding's representative must be the original, or a row
identical to it (an exact copy is as good as the original, and nothing can tell them apart).

Slow (real embedding model, ~1-2 minutes on 2 cores); `pytest -m slow -s` prints the figure.
The share is computed by ``kept_originals``, checked fast on hand-made findings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.formats import read_examples

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def kept_originals(findings: list[dict], truth: dict, turns: list) -> tuple[int, int]:
    """(groups whose planted original is kept, planted groups the findings report)."""
    dups = [f for f in findings if f["kind"] == "duplicate"]
    kept = reported = 0
    for g in truth["duplicates"]:
        original, copies = g["original_row"], set(g["rows"]) - {g["original_row"]}
        f = next((f for f in dups if original in f["rows"] and copies & set(f["rows"])), None)
        if f is not None:
            reported += 1
            kept += turns[f["evidence"]["representative"]] == turns[original]
    return kept, reported


def test_kept_originals_counts_identical_rows_and_reported_groups():
    truth = {
        "duplicates": [
            {"rows": [0, 1, 2], "original_row": 1},
            {"rows": [3, 4], "original_row": 4},
            {"rows": [5, 6], "original_row": 5},
            {"rows": [7, 8], "original_row": 7},
        ]
    }
    turns = ["a", "b", "b", "c", "d", "e", "e", "f", "g"]  # row 2 is an exact copy of row 1
    findings = [
        {"kind": "duplicate", "rows": [0, 1, 2], "evidence": {"representative": 2}},
        {"kind": "duplicate", "rows": [3, 4], "evidence": {"representative": 3}},
        {"kind": "duplicate", "rows": [5, 6], "evidence": {"representative": 5}},
        {"kind": "contradiction", "rows": [7, 8], "evidence": {}},
    ]
    assert kept_originals(findings, truth, turns) == (2, 3)


@pytest.mark.slow
def test_demo_scan_keeps_the_planted_original(demo_scan_findings, capsys):
    findings = demo_scan_findings
    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
    turns = [e.turns for e in read_examples(DEMO / "train.jsonl").examples]
    kept, reported = kept_originals(findings, truth, turns)
    with capsys.disabled():
        print(f"\nplanted original kept in {kept} of {reported} reported planted groups ({kept / reported:.3f})")
    # measured: 80 of 83 (0.964); the old rule (longest complete answer) kept 38 of 83
    assert reported >= 80, reported
    assert kept / reported >= 0.95, (kept, reported)
    reasons = [f["evidence"]["representative_reason"] for f in findings if f["kind"] == "duplicate"]
    assert all(r.startswith("kept row ") and " the other" in r for r in reasons)
