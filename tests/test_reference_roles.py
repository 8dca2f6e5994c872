"""Reference roles: a reference file is a coverage reference (prompts users ask: coverage gaps)
or an eval set (held-out prompts: leakage), chosen on import, stored, and kept apart by the
scan. No model: scans run with the model-free hashing encoder (``embedding_model: hashing``)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import write_jsonl
from typer.testing import CliRunner

from curation import review
from curation.cli import app as cli
from curation.migrations import SCHEMA_VERSION
from curation.store import RoleError, Workspace
from curation.workbench import ingest_file, scan_dataset

TOPICS = ["password reset", "billing invoice", "dark mode theme", "sync devices", "export notes pdf"]
TRAIN = [
    {"instruction": f"How do I handle {t} number {i} in the app?", "input": "", "output": "Like this."}
    for i in range(8)
    for t in TOPICS
]
GAP = [
    f"Translate this sentence into French: the {w} is on the table."
    for w in ("cat", "book", "lamp", "key", "phone", "cup")
]
COVERAGE = [{"prompt": f"How do I handle {t} number {i} in the app?"} for i in range(3) for t in TOPICS] + [
    {"prompt": g} for g in GAP
]
EVAL = [
    {"id": "e1", "messages": [{"role": "user", "content": "How do I handle dark mode theme number 2 in the app?"}]},
    {"id": "e2", "messages": [{"role": "user", "content": "Which planet is the largest in our solar system?"}]},
]


@pytest.fixture
def files(tmp_path):
    return (
        write_jsonl(tmp_path / "train.jsonl", TRAIN),
        write_jsonl(tmp_path / "coverage.jsonl", COVERAGE),
        write_jsonl(tmp_path / "eval.jsonl", EVAL),
        tmp_path,
    )


def curate(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_a_file_has_one_role_chosen_on_import(files):
    train, coverage, evals, tmp = files
    ws = Workspace(tmp / "ws")
    data, _, _ = ingest_file(ws, train)
    ref, _, _ = ingest_file(ws, coverage, reference_role="coverage")
    ev, _, _ = ingest_file(ws, evals, reference_role="eval")
    assert (data.role, ref.role, ev.role) == ("data", "coverage", "eval")
    assert (ref.role_label, ev.role_label) == ("coverage reference", "eval set")
    assert [d.name for d in ws.datasets(role="eval")] == ["eval"]
    assert [d.name for d in ws.datasets(include_reference=False)] == ["train"]
    assert ingest_file(ws, evals, reference_role="eval")[1] is False  # the same file twice: a no-op
    with pytest.raises(RoleError, match="already in this workspace as eval set 'eval'.*cannot also be a coverage"):
        ingest_file(ws, evals, reference_role="coverage")
    with pytest.raises(RoleError, match="as dataset 'train'"):
        ingest_file(ws, train, reference_role="eval")
    assert ingest_file(ws, coverage, is_reference=True)[0].role == "coverage"  # --reference meant coverage
    with pytest.raises(ValueError, match="eval set, not a coverage reference"):
        scan_dataset(ws, data, ev)
    with pytest.raises(ValueError, match="coverage reference, not a eval set|coverage reference, not an? eval"):
        scan_dataset(ws, data, None, eval_set=ref)


def test_scan_finds_gaps_against_the_coverage_reference_and_leakage_against_the_eval_set(files):
    train, coverage, evals, tmp = files
    cfg = tmp / "scan.json"
    cfg.write_text(json.dumps({"embedding_model": "hashing", "detectors": ["coverage", "leakage"]}))
    out = tmp / "findings.jsonl"
    result = curate(
        "scan",
        train,
        "--reference",
        coverage,
        "--eval-set",
        evals,
        "--findings-out",
        out,
        "-w",
        tmp / "ws",
        "--config",
        cfg,
    )
    assert result.exit_code == 0, result.output
    found = [json.loads(x) for x in out.read_text().splitlines()]
    gaps = [f for f in found if f["kind"] == "coverage_gap"]
    leaks = [f for f in found if f["kind"] == "leakage"]
    assert [sorted(g["reference_rows"]) for g in gaps] == [list(range(15, 21))]
    # the copied eval prompt leaks; the 15 covered coverage prompts are coverage, never leakage
    assert [(f["reference_rows"], f["rows"]) for f in leaks] == [([0], [12])]
    assert leaks[0]["reason"].startswith("Eval prompt 0 ")
    ws = Workspace(tmp / "ws")
    ds = ws.dataset("train")
    info = ws.scan_info(ws.latest_scan_id(ds.id))
    assert ws.dataset(info["reference_dataset_id"]).role == "coverage"
    assert ws.dataset(info["eval_dataset_id"]).role == "eval"
    # each finding's reference rows are read from the set of its role
    items = {i.finding.kind: i for i in review.load_items(ws, ds.id, [f["finding_id"] for f in found])}
    assert items["leakage"].references[0].user_request == EVAL[0]["messages"][0]["content"]
    assert items["coverage_gap"].references[15].user_request == GAP[0]


def test_without_an_eval_set_no_leakage_is_reported(files):
    """The demo's old mistake: a coverage reference read as an eval set reported 43 'leakage'
    findings recommending to drop exactly the rows that give coverage."""
    train, coverage, _, tmp = files
    cfg = tmp / "scan.json"
    cfg.write_text(json.dumps({"embedding_model": "hashing", "detectors": ["coverage", "leakage"]}))
    out = tmp / "findings.jsonl"
    assert (
        curate(
            "scan", train, "--reference", coverage, "--findings-out", out, "-w", tmp / "ws", "--config", cfg
        ).exit_code
        == 0
    )
    assert {json.loads(x)["kind"] for x in out.read_text().splitlines()} == {"coverage_gap"}


def test_cli_ingest_records_the_role_and_refuses_a_second_one(files):
    train, coverage, evals, tmp = files
    ws_dir = tmp / "ws"
    result = curate("ingest", evals, "--eval-set", "-w", ws_dir)
    assert result.exit_code == 0 and "as eval set" in result.output
    result = curate("ingest", coverage, "--reference", "-w", ws_dir)
    assert result.exit_code == 0 and "as coverage reference" in result.output
    both = curate("ingest", train, "--reference", "--eval-set", "-w", ws_dir)
    assert both.exit_code != 0 and "not both" in both.output
    again = curate("scan", train, "--reference", evals, "--findings-out", tmp / "f.jsonl", "-w", ws_dir)
    assert again.exit_code != 0 and "already in this workspace as eval set" in again.output
    assert {d.name: d.role for d in Workspace(ws_dir).datasets()} == {
        "eval": "eval",
        "coverage": "coverage",
        "train": "data",
    }


def test_demo_scans_against_its_coverage_reference_and_its_eval_set(tmp_path, monkeypatch):
    import curation.cli as cli_module

    seen = {}
    monkeypatch.setattr(cli_module, "scan", lambda *a: seen.setdefault("args", a))
    assert curate("demo", "-w", tmp_path / "ws").exit_code == 0
    train, _, ref, *_, evals = seen["args"]
    assert (train.name, ref.name, evals.name) == ("train.jsonl", "reference.jsonl", "eval.jsonl")


def test_a_version_2_workspace_gets_reference_roles(tmp_path):
    """Migration step 3 (v2 -> v3): references stored before roles served both checks; they
    become coverage references (what --reference meant), datasets stay data; idempotent."""
    from curation import migrations

    ws = Workspace(tmp_path / "ws")
    with sqlite3.connect(ws.root / "workspace.db") as conn:  # what version 2 looked like
        for i, ref in ((1, 0), (2, 1)):
            conn.execute(
                "INSERT INTO datasets (id, name, path, format, content_hash, n_examples, is_reference, "
                "skipped_json, created_at) VALUES (?, ?, 'x', 'prompt', ?, 3, ?, '[]', 0)",
                (i, f"d{i}", f"h{i}", ref),
            )
        conn.execute(
            "INSERT INTO scans (dataset_id, reference_dataset_id, settings_json, timings_json, started_at, "
            "finished_at, n_findings) VALUES (1, 2, '{}', '{}', 0, 0, 0)"
        )
        conn.execute("ALTER TABLE datasets DROP COLUMN reference_role")
        conn.execute(
            "CREATE TABLE scans_v2 (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES "
            "datasets (id), reference_dataset_id INTEGER REFERENCES datasets (id), settings_json TEXT NOT "
            "NULL, timings_json TEXT NOT NULL, started_at FLOAT NOT NULL, finished_at FLOAT NOT NULL, "
            "n_findings INTEGER NOT NULL)"
        )
        conn.execute(
            "INSERT INTO scans_v2 SELECT id, dataset_id, reference_dataset_id, settings_json, timings_json, "
            "started_at, finished_at, n_findings FROM scans"
        )
        conn.execute("DROP TABLE scans")
        conn.execute("ALTER TABLE scans_v2 RENAME TO scans")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    ws.engine.dispose()
    again = Workspace(tmp_path / "ws")
    assert again.schema_version() == SCHEMA_VERSION >= 3
    assert {d.name: d.role for d in again.datasets()} == {"d1": "data", "d2": "coverage"}
    scan = again.scan_info(again.latest_scan_id(1))
    assert scan["reference_dataset_id"] == 2 and scan["eval_dataset_id"] is None
    with again.tx() as conn:  # a second run of the step changes nothing
        migrations.MIGRATIONS[3](conn)
    assert {d.name: d.role for d in again.datasets()} == {"d1": "data", "d2": "coverage"}


def test_the_data_page_chooses_a_role_on_import_lists_roles_and_scans_with_both(files, monkeypatch):
    """Data & scans: a file is added as data, a coverage reference or an eval set; the files
    table says which; a scan takes one coverage reference and one eval set."""
    from streamlit.testing.v1 import AppTest
    from test_app import APP

    from app.lib import jobs

    train, coverage, evals, tmp = files
    ws = Workspace(tmp / "ws")
    ingest_file(ws, train)
    for f in (coverage, evals):
        (ws.root / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.delenv("CURATE_TEAM_MODE", raising=False)
    started = {}
    monkeypatch.setattr(
        jobs,
        "start_scan",
        lambda ws_, ds, ref, settings, actor, eval_set=None: (
            started.update(ref=ref.name if ref else None, eval=eval_set.name if eval_set else None) or "r1"
        ),
    )
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/data.py").run()
    for name, role in (("coverage.jsonl", "coverage"), ("eval.jsonl", "eval")):
        at.text_input(key="data_path").input(name).run()
        at.radio(key="data_path_role").set_value(role).run()
        at.button(key="data_ingest_path").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Ingested eval as eval set" in s.value for s in at.success)
    assert {d.name: d.role for d in ws.datasets()} == {"train": "data", "coverage": "coverage", "eval": "eval"}
    table = at.dataframe[0].value
    assert dict(zip(table["name"], table["role"])) == {
        "train": "dataset",
        "coverage": "coverage reference",
        "eval": "eval set",
    }
    # each choice lists only the files of its role
    assert at.selectbox(key="scan_reference").options == ["none", "coverage"]
    assert at.selectbox(key="scan_eval").options == ["none", "eval"]
    at.selectbox(key="scan_reference").set_value(ws.dataset("coverage").id)
    at.selectbox(key="scan_eval").set_value(ws.dataset("eval").id)
    at.button(key="scan_start").click().run()
    assert started == {"ref": "coverage", "eval": "eval"}
    at.text_input(key="data_path").input("eval.jsonl").run()
    at.radio(key="data_path_role").set_value("coverage").run()
    at.button(key="data_ingest_path").click().run()
    assert any("already in this workspace as eval set" in e.value for e in at.error)
