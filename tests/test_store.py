"""Workspace database: idempotent import, all-or-nothing writes under kill -9, append-only
decisions with optimistic locking, migrations."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import SUPPORT_QA, write_jsonl
from curation.migrations import SCHEMA_VERSION
from curation.store import ConflictError, Workspace
from curation.workbench import ingest_file


def test_sqlite_defaults_wal_and_foreign_keys(workspace):
    with workspace.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert workspace.schema_version() == SCHEMA_VERSION
    assert (workspace.root / "workspace.db").exists()


def test_any_sqlalchemy_url_through_one_setting(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("CURATE_DB_URL", url)
    ws = Workspace(tmp_path / "ws")
    assert ws.url == url and (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "ws" / "workspace.db").exists()


def test_ingest_twice_is_idempotent(workspace, alpaca_file):
    first, created1, _ = ingest_file(workspace, alpaca_file)
    second, created2, _ = ingest_file(workspace, alpaca_file)
    assert created1 and not created2 and first.id == second.id
    assert len(workspace.datasets()) == 1
    examples = workspace.examples(first.id)
    assert len(examples) == len(SUPPORT_QA) + 1
    assert examples[0].record == json.loads(alpaca_file.read_text().splitlines()[0])


def test_failed_import_leaves_workspace_as_it_was(workspace, alpaca_file, tmp_path):
    from curation.formats import DataError

    ingest_file(workspace, alpaca_file)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(alpaca_file.read_text() + '{"instruction": "x", "output": 3}\n', encoding="utf-8")
    before = _dump(workspace)
    with pytest.raises(DataError):
        ingest_file(workspace, bad)
    assert _dump(workspace) == before


def _dump(ws: Workspace) -> dict:
    with sqlite3.connect(ws.root / "workspace.db") as conn:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("datasets", "examples", "scans", "findings", "decisions")
        }


def test_decisions_are_append_only_and_undo_is_an_event(workspace, alpaca_file):
    ds, _, _ = ingest_file(workspace, alpaca_file)
    d1 = workspace.record_decision(ds.id, "drop", "ana", rows=[1], finding_id="dup-1", reason="copy")
    d2 = workspace.undo(ds.id, d1, "ana")
    history = workspace.decisions(ds.id, finding_id="dup-1")
    assert [(d.id, d.action, d.undoes) for d in history] == [(d1, "drop", None), (d2, "undo", d1)]
    assert workspace.decisions(ds.id, row=1)[0].actor == "ana"
    with pytest.raises(ValueError, match="unknown action"):
        workspace.record_decision(ds.id, "delete", "ana", rows=[1])
    with pytest.raises(ValueError, match="actor"):
        workspace.record_decision(ds.id, "drop", "", rows=[1])


def test_second_annotator_sees_the_item_changed(workspace, alpaca_file):
    ds, _, _ = ingest_file(workspace, alpaca_file)
    seen_by_both = workspace.version(ds.id, "con-9")
    workspace.record_decision(
        ds.id, "pick", "ana", rows=[2, 3], finding_id="con-9", payload={"keep_row": 2}, expected_version=seen_by_both
    )
    with pytest.raises(ConflictError):
        workspace.record_decision(
            ds.id,
            "pick",
            "ben",
            rows=[2, 3],
            finding_id="con-9",
            payload={"keep_row": 3},
            expected_version=seen_by_both,
        )
    fresh = workspace.version(ds.id, "con-9")
    workspace.record_decision(ds.id, "keep", "ben", rows=[2, 3], finding_id="con-9", expected_version=fresh)
    assert [d.actor for d in workspace.decisions(ds.id, finding_id="con-9")] == ["ana", "ben"]


def test_newer_schema_is_refused(tmp_path):
    ws = Workspace(tmp_path / "ws")
    with ws.tx() as conn:
        conn.execute(sa.text("UPDATE meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(RuntimeError, match="newer than this program"):
        Workspace(tmp_path / "ws")


def test_migrations_upgrade_an_empty_database_once(tmp_path):
    Workspace(tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")  # second open: nothing to do, nothing broken
    assert ws.schema_version() == SCHEMA_VERSION


_INGEST_SCRIPT = """
import sys
from curation.store import Workspace
from curation.workbench import ingest_file
ws = Workspace(sys.argv[1])
print("start", flush=True)
ingest_file(ws, sys.argv[2])
print("done", flush=True)
"""


def _big_file(path: Path, n: int) -> Path:
    recs = [
        {"instruction": f"{q} (ticket {i})", "input": "", "output": f"{a} Ref {i}."}
        for i in range(n)
        for q, a in [SUPPORT_QA[i % len(SUPPORT_QA)]]
    ]
    return write_jsonl(path, recs)


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_kill_9_during_import_leaves_database_consistent(tmp_path, delay):
    data = _big_file(tmp_path / "big.jsonl", 60_000)
    ws_dir = tmp_path / "ws"
    Workspace(ws_dir)
    proc = subprocess.Popen(
        [sys.executable, "-c", _INGEST_SCRIPT, str(ws_dir), str(data)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(ws_dir / "workspace.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # a dataset is visible whole or not at all; an interrupted one is still staging (invisible)
        datasets = conn.execute("SELECT id, n_examples FROM datasets WHERE staging_since IS NULL").fetchall()
        for ds_id, n in datasets:
            assert conn.execute("SELECT COUNT(*) FROM examples WHERE dataset_id = ?", (ds_id,)).fetchone()[0] == n
    ws = Workspace(ws_dir)
    assert [d.n_examples for d in ws.datasets()] in ([], [60_000])
    ds, _, _ = ingest_file(ws, data)  # and the import can simply be run again
    assert ds.n_examples == 60_000 and len(ws.datasets()) == 1
    ws._drop_stale_staging(idle=0)  # what a later ingest does once the interrupted one is clearly dead
    with sqlite3.connect(ws_dir / "workspace.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM datasets").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == 60_000


_DECIDE_SCRIPT = """
import sys
from curation.store import Workspace
ws = Workspace(sys.argv[1])
ds = ws.datasets()[0]
i = 0
while True:
    did = ws.record_decision(ds.id, "drop" if i % 2 else "keep", "ana", rows=[i % 5], finding_id=f"f-{i}",
                             payload={"note": "x" * 2000}, reason="stress")
    print(did, flush=True)
    i += 1
"""


def test_kill_9_mid_review_loses_no_recorded_decision(tmp_path, alpaca_file):
    ws_dir = tmp_path / "ws"
    ds, _, _ = ingest_file(Workspace(ws_dir), alpaca_file)
    proc = subprocess.Popen([sys.executable, "-c", _DECIDE_SCRIPT, str(ws_dir)], stdout=subprocess.PIPE, text=True)
    acknowledged = [int(proc.stdout.readline()) for _ in range(40)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acknowledged += [int(x) for x in proc.stdout.read().split()]
    ws = Workspace(ws_dir)
    stored = {d.id for d in ws.decisions(ds.id)}
    assert set(acknowledged) <= stored
    with sqlite3.connect(ws_dir / "workspace.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_version_1_workspace_is_migrated_keeping_its_review_settings(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ds_id = 1
    with sqlite3.connect(ws.root / "workspace.db") as conn:  # what version 1 looked like
        conn.execute(
            "INSERT INTO datasets (id, name, path, format, content_hash, n_examples, is_reference, "
            "skipped_json, created_at) VALUES (1, 'train', 'x', 'messages', 'h', 3, 0, '[]', 0)"
        )
        conn.execute("DROP TABLE review_settings")
        conn.execute("DROP INDEX ux_decisions_idem_key")
        conn.execute("ALTER TABLE decisions DROP COLUMN idem_key")
        conn.execute(
            "INSERT INTO runs VALUES ('review-settings-1', 'settings', ?, '', 'active', '{}', '{}', 0, 5)",
            (json.dumps({"double_blind": True, "annotators": ["ann", "bob"]}),),
        )
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    ws.engine.dispose()
    again = Workspace(tmp_path / "ws")
    assert again.schema_version() == SCHEMA_VERSION
    assert again.review_settings(ds_id).double_blind and again.review_settings(ds_id).annotators == ("ann", "bob")
    assert again.runs(kind="settings") == []
    first = again.record_decision(ds_id, "drop", "ann", [1], key="k1")
    assert again.record_decision(ds_id, "drop", "ann", [1], key="k1") == first
