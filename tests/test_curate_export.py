"""The curated set is a pure function of examples + decisions; exports are deterministic,
atomic and explained by their manifest."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from curation.curate import auto_decisions, derive
from curation.resolutions import from_records
from curation.formats import read_examples
from curation.schema import Finding
from curation.workbench import curated_rows, export_dataset, ingest_file


def _statuses(rows):
    return {r.row: r.status for r in rows if r.row is not None}


def test_replay_merge_pick_edit_add_and_undo(workspace, alpaca_file):
    ds, _, _ = ingest_file(workspace, alpaca_file)
    ws = workspace
    ws.record_decision(ds.id, "merge", "ana", rows=[0, 1, 2], finding_id="dup-a", payload={"keep_row": 1})
    ws.record_decision(ds.id, "pick", "ana", rows=[3, 4], finding_id="con-b", payload={"keep_row": 4})
    ws.record_decision(ds.id, "edit", "ben", rows=[5], payload={"answer": "Deleted notes stay in Trash for 60 days."})
    dropped = ws.record_decision(ds.id, "drop", "ben", rows=[6])
    ws.undo(ds.id, dropped, "ben")
    ws.record_decision(
        ds.id,
        "add",
        "cat",
        payload={
            "messages": [
                {"role": "user", "content": "¿Cómo cambio mi contraseña?"},
                {"role": "assistant", "content": "Abre Ajustes > Cuenta y elige Restablecer contraseña."},
            ]
        },
    )
    rows = curated_rows(ws, ds)
    assert _statuses(rows) == {
        0: "dropped",
        1: "kept",
        2: "dropped",
        3: "dropped",
        4: "kept",
        5: "edited",
        6: "unchanged",
    }
    assert rows[5].turns[-1].content.endswith("60 days.")
    added = [r for r in rows if r.status == "added"]
    assert len(added) == 1 and added[0].decision.actor == "cat"


def test_later_decision_wins_and_edit_survives_keep(workspace, alpaca_file):
    ds, _, _ = ingest_file(workspace, alpaca_file)
    workspace.record_decision(ds.id, "drop", "ana", rows=[0])
    workspace.record_decision(ds.id, "keep", "ben", rows=[0])
    workspace.record_decision(ds.id, "edit", "ana", rows=[1], payload={"answer": "Yes."})
    workspace.record_decision(ds.id, "keep", "ben", rows=[1])
    rows = curated_rows(workspace, ds)
    assert rows[0].status == "kept" and rows[1].status == "edited"


def test_auto_policy_merges_duplicates_and_keeps_undecided_contradictions(alpaca_file):
    examples = read_examples(alpaca_file).examples
    findings = [
        Finding("duplicate", "exact", (0, 3), 1.0, "same", {"representative": 3}),
        Finding("contradiction", "numeric", (1, 2), 0.9, "12 vs 14 dollars"),
    ]
    rows = derive(examples, auto_decisions(findings))
    assert _statuses(rows) == {
        0: "dropped",
        1: "unchanged",
        2: "unchanged",
        3: "kept",
        4: "unchanged",
        5: "unchanged",
        6: "unchanged",
    }


def test_resolutions_file_becomes_decisions(alpaca_file):
    examples = read_examples(alpaca_file).examples
    decisions = from_records(
        [
            {"action": "pick", "rows": [1, 2], "keep_row": 2, "reason": "new price"},
            {
                "action": "edit",
                "row": 0,
                "messages": [
                    {"role": "user", "content": "Reset?"},
                    {"role": "assistant", "content": "Settings > Account."},
                ],
            },
            {
                "action": "add",
                "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
                "category": "greeting",
            },
        ]
    ).decisions
    rows = derive(examples, [d.__class__(**{**d.__dict__, "id": i}) for i, d in enumerate(decisions, 1)])
    assert [r.status for r in rows[:3]] == ["edited", "dropped", "kept"]
    assert rows[-1].status == "added" and rows[-1].decision.payload["category"] == "greeting"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "hf"])
def test_export_is_deterministic_with_manifest(workspace, alpaca_file, tmp_path, fmt):
    ds, _, _ = ingest_file(workspace, alpaca_file)
    workspace.record_decision(ds.id, "drop", "ana", rows=[2], reason="outdated price")
    workspace.record_decision(ds.id, "edit", "ben", rows=[0], payload={"answer": "Use Settings > Account."})
    out1, out2 = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    m1 = export_dataset(workspace, ds, out1, fmt)
    m2 = export_dataset(workspace, ds, out2, fmt)
    assert m1["output_sha256"] == m2["output_sha256"]
    assert m1["n_out"] == ds.n_examples - 1 and m1["by_status"]["dropped"] == 1
    assert m1["reviewers"] == ["ana", "ben"] and m1["input_sha256"] == ds.content_hash
    changes = {c["row"]: c for c in m1["changes"]}
    assert changes[2]["reason"] == "outdated price" and changes[2]["actor"] == "ana"
    assert changes[0]["messages"][-1]["content"] == "Use Settings > Account."
    manifest = json.loads((tmp_path / f"a.{fmt}.manifest.json").read_text())
    assert manifest["output_sha256"] == m1["output_sha256"]
    if fmt != "hf":
        back = read_examples(out1).examples
        assert len(back) == ds.n_examples - 1
        assert back[0].turns[-1].content == "Use Settings > Account."
    if fmt == "jsonl":
        source = alpaca_file.read_text().splitlines()
        exported = out1.read_text().splitlines()
        assert exported[1] == source[1]  # untouched rows come back byte-for-byte
    if fmt == "csv":
        assert len(pd.read_csv(out1)) == ds.n_examples - 1


def test_failed_export_leaves_previous_file(workspace, alpaca_file, tmp_path, monkeypatch):
    ds, _, _ = ingest_file(workspace, alpaca_file)
    out = tmp_path / "curated.jsonl"
    export_dataset(workspace, ds, out, "jsonl")
    before = out.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("curation.export._fsync", boom)
    workspace.record_decision(ds.id, "drop", "ana", rows=[0])
    with pytest.raises(OSError):
        export_dataset(workspace, ds, out, "jsonl")
    assert out.read_bytes() == before
    assert not list(tmp_path.glob(".curated.jsonl.*"))


def test_resolutions_are_attached_to_the_findings_they_settle():
    from curation.curate import attach_findings

    findings = [
        Finding("duplicate", "exact", (0, 3, 5), 1.0, "same"),
        Finding("contradiction", "numeric", (3, 4), 0.9, "12 vs 14"),
        Finding("contradiction", "numeric", (1, 2), 0.8, "yes vs no"),
    ]
    decisions = from_records(
        [
            {"action": "merge", "rows": [0, 3, 5], "keep_row": 5},
            {"action": "pick", "rows": [3, 4], "keep_row": 4},
            {"action": "pick", "rows": [2, 9], "keep_row": 9},  # shares one row only: not this finding
            {"action": "add", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi!"}]},
        ]
    ).decisions
    attached = attach_findings(decisions, findings)
    assert [d.finding_id for d in attached] == [findings[0].finding_id, findings[1].finding_id, None, None]


def test_export_auto_keeps_rewordings_unless_asked_to_merge_them(workspace, tmp_path):
    """`curate export --auto` merges copies and keeps a reworded request; `--merge-rewordings`
    merges the whole group; without --auto the option is refused."""
    from typer.testing import CliRunner

    from curation.cli import app

    src = tmp_path / "d.jsonl"
    rows = [
        ("How do I reset my password?", "Open Settings > Account."),
        ("How do I reset my password?", "Open Settings > Account."),
        ("What is the way to change my password?", "Open Settings > Account."),
        ("Do you offer a student discount?", "Yes, 50% off with a school email."),
    ]
    src.write_text("".join(json.dumps({"instruction": q, "input": "", "output": a}) + "\n" for q, a in rows))
    ds, _, _ = ingest_file(workspace, src)
    workspace.add_scan(
        ds.id, [Finding("duplicate", "semantic", (0, 1, 2), 0.97, "same request", {"representative": 0})], {}, {}
    )
    run = CliRunner().invoke
    out = {}
    for name, extra in (("auto", []), ("merged", ["--merge-rewordings"])):
        path = tmp_path / f"{name}.jsonl"
        res = run(app, ["export", str(path), "-w", str(workspace.root), "--auto", *extra])
        assert res.exit_code == 0, res.output
        out[name] = [json.loads(line)["instruction"] for line in path.read_text().splitlines()]
    assert out["auto"] == [rows[0][0], rows[2][0], rows[3][0]]  # the copy merged, the rewording kept
    assert out["merged"] == [rows[0][0], rows[3][0]]
    res = run(app, ["export", str(tmp_path / "x.jsonl"), "-w", str(workspace.root), "--merge-rewordings"])
    assert res.exit_code == 2 and "add --auto" in res.output
