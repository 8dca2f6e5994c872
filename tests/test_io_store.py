"""What the store keeps for lossless exports, and the schema v1 -> v2 migration that added it."""

from __future__ import annotations

import json
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq

from curation.migrations import SCHEMA_VERSION
from curation.store import Workspace
from curation.workbench import export_dataset, ingest_file


def test_v1_workspace_is_migrated_and_its_old_datasets_still_export(tmp_path, alpaca_file):
    ws = Workspace(tmp_path / "ws")
    ds, _, _ = ingest_file(ws, alpaca_file)
    ws.engine.dispose()
    with sqlite3.connect(tmp_path / "ws" / "workspace.db") as conn:  # make it a v1 database
        conn.execute("ALTER TABLE examples DROP COLUMN raw")
        conn.execute("ALTER TABLE datasets DROP COLUMN source_json")
        conn.execute("DROP TABLE source_chunks")
        conn.execute("DROP TABLE review_settings")  # and what v2 added
        conn.execute("DROP INDEX ux_decisions_idem_key")
        conn.execute("ALTER TABLE decisions DROP COLUMN idem_key")
        conn.execute("ALTER TABLE datasets DROP COLUMN reference_role")  # and what v4 added
        conn.execute("ALTER TABLE datasets DROP COLUMN staging_since")  # and what v5 added
        conn.execute("ALTER TABLE users DROP COLUMN disabled")
        for table in ("signin_throttle", "sessions", "audit_events"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    ws = Workspace(tmp_path / "ws")
    assert ws.schema_version() == SCHEMA_VERSION == 5
    old = ws.dataset(ds.id)
    assert old.source == {}
    export_dataset(ws, old, tmp_path / "old.jsonl")  # re-serialised: no original bytes were kept then
    assert [json.loads(x) for x in (tmp_path / "old.jsonl").read_text().splitlines()] == [
        json.loads(x) for x in alpaca_file.read_text().splitlines()
    ]
    p = tmp_path / "new.parquet"
    pq.write_table(pa.table({"prompt": ["p"], "response": ["r"], "n": pa.array([1], pa.int8())}), p)
    new, _, _ = ingest_file(ws, p)
    export_dataset(ws, new, tmp_path / "new.out.parquet")
    assert pq.read_schema(tmp_path / "new.out.parquet").field("n").type == pa.int8()


def test_what_is_stored_per_row_and_per_dataset(tmp_path, workspace):
    p = tmp_path / "d.jsonl"
    p.write_bytes(b'{"id": 7, "prompt": "p", "response": "r"}\r\n\n{"id": 8, "prompt": "q", "response": "s"}')
    ds, _, _ = ingest_file(workspace, p)
    assert ds.source["kind"] == "jsonl" and ds.source["id_column"] == "id" and ds.source["newline"] == "\r\n"
    assert ds.source["file_sha256"] == ds.content_hash  # read the default way: identity = the bytes
    ex = workspace.examples(ds.id, with_raw=True)
    assert [e.raw for e in ex] == [
        b'{"id": 7, "prompt": "p", "response": "r"}\r\n',
        b'\n{"id": 8, "prompt": "q", "response": "s"}',
    ]
    assert [e.source_id for e in ex] == ["7", "8"] and ex[1].record["prompt"] == "q"
    assert workspace.examples(ds.id)[0].raw is None  # only exports ask for the bytes


def test_columnar_sources_keep_arrow_chunks(tmp_path, workspace):
    p = tmp_path / "d.parquet"
    pq.write_table(
        pa.table({"prompt": [f"p{i}" for i in range(5000)], "response": ["r"] * 5000}), p, row_group_size=1500
    )
    ds, _, _ = ingest_file(workspace, p)
    chunks = list(workspace.iter_chunks(ds.id))
    assert [c[0] for c in chunks] == sorted(c[0] for c in chunks) and sum(c[1] for c in chunks) == 5000
    assert all(c[1] <= 2048 for c in chunks)
