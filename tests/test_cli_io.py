"""The command line around data in and out: global flags, findings listing, and the workspace
and target problems that must be one line (read-only, disk full, newer schema, concurrent
ingest, bad export target), plus re-ingest with another mapping and contract rows."""

from __future__ import annotations

import errno
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_hostile_inputs import G1, G2, jl, row, run_cli

from curation.schema import Finding


@pytest.fixture
def cli(capsys, monkeypatch):
    return lambda *args, stdin=None: run_cli(list(args), capsys, monkeypatch, stdin)


def _one_error(code: int, err: str, pattern: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and pattern in lines[0], err


def _counts(ws: Path) -> tuple[int, int]:
    with sqlite3.connect(ws / "workspace.db") as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("datasets", "examples"))


@pytest.fixture
def data(tmp_path) -> Path:
    p = tmp_path / "d.jsonl"
    p.write_bytes(jl(*[row(i) for i in range(5)]))
    return p


def test_version_quiet_and_verbose(cli, data, tmp_path):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("curate ")
    code, out, err = cli("-q", "ingest", data, "-w", tmp_path / "ws")
    assert code == 0 and out == "" and err == ""
    code, out, err = cli("-v", "ingest", data, "-w", tmp_path / "ws2")
    assert code == 0 and "ingested d" in out and "jsonl, 5 records, format alpaca" in err


def _scanned(tmp_path: Path) -> Path:
    from curation.store import Workspace
    from curation.workbench import ingest_file

    ws = Workspace(tmp_path / "ws")
    p = tmp_path / "d.jsonl"
    p.write_bytes(jl(*[row(i) for i in range(80)]))
    ds, _, _ = ingest_file(ws, p)
    findings = [Finding("quality", "quality.x", (i,), 0.5, f"Row {i}: plain reason.") for i in range(70)]
    findings += [
        Finding("quality", "quality.y", (70,), 0.9, "Row 70: 50% of the answer is cut."),
        Finding("quality", "quality.y", (71,), 0.8, "Row 71: the field snake_case is odd."),
    ]
    ws.add_scan(ds.id, findings, {}, {})
    return tmp_path / "ws"


def test_findings_json_lists_everything_unless_limited(cli, tmp_path):
    ws = _scanned(tmp_path)
    code, out, _ = cli("findings", "-w", ws, "--json")
    assert code == 0 and len(out.splitlines()) == 72
    code, out, _ = cli("findings", "-w", ws, "--json", "--limit", "5")
    assert len(out.splitlines()) == 5
    code, out, err = cli("findings", "-w", ws)
    assert len(out.splitlines()) == 51 and "showing 50 of 72" in err


@pytest.mark.parametrize(
    "option,value,pattern",
    [
        ("--kind", "bogus", "unknown --kind 'bogus' (choose from"),
        ("--status", "done", "unknown --status 'done' (choose from"),
        ("--limit", "-1", "--limit must be"),
    ],
)
def test_findings_unknown_filters_are_errors(cli, tmp_path, option, value, pattern):
    ws = _scanned(tmp_path)
    _one_error(*cli("findings", "-w", ws, option, value)[::2], pattern)


@pytest.mark.parametrize(
    "text,rows", [("%", [70]), ("_", [71]), ("50%", [70]), ("snake_case", [71]), ("snake%case", []), ("5_%", [])]
)
def test_findings_search_is_literal(cli, tmp_path, text, rows):
    ws = _scanned(tmp_path)
    code, out, _ = cli("findings", "-w", ws, "--json", "--search", text)
    assert code == 0 and sorted(json.loads(x)["rows"][0] for x in out.splitlines()) == rows


def test_contract_rows_are_input_positions_with_skip_bad(cli, tmp_path):
    p = tmp_path / "d.jsonl"
    dup = row(9, output="The same answer.")
    p.write_bytes(jl(row(0), b"{broken", dup, row(3), dup, row(5, output=""), row(6)))
    cfg = tmp_path / "scan.json"
    cfg.write_text(json.dumps({"detectors": ["duplicates"], "duplicates": {"semantic": None}}))
    out = tmp_path / "findings.jsonl"
    code, _, err = cli("scan", p, "--findings-out", out, "-w", tmp_path / "ws", "--skip-bad", "--config", cfg)
    assert code == 0, err
    findings = [json.loads(x) for x in out.read_text().splitlines()]
    assert [f["rows"] for f in findings if f["kind"] == "duplicate"] == [[2, 4]]  # positions in the file
    code, listed, _ = cli("findings", "-w", tmp_path / "ws", "--json", "--kind", "duplicate")
    assert json.loads(listed)["rows"] == [2, 4]


def test_missing_scan_config_is_one_line(cli, data, tmp_path):
    code, _, err = cli(
        "scan", data, "--findings-out", tmp_path / "f.jsonl", "-w", tmp_path / "ws", "--config", tmp_path / "nope.toml"
    )
    _one_error(code, err, "nope.toml: cannot read the scan settings")


def test_reingest_with_another_mapping_is_a_new_version(cli, tmp_path):
    p = tmp_path / "qa.jsonl"
    p.write_bytes(jl({"q": "How?", "a": "So.", "c": "Why?"}, {"q": "When?", "a": "Now.", "c": "Who?"}))
    ws = tmp_path / "ws"
    code, out, _ = cli("ingest", p, "-w", ws, "--format", "alpaca", "--map", "instruction=q", "--map", "output=a")
    assert code == 0 and "ingested qa (id 1)" in out
    code, out, _ = cli("ingest", p, "-w", ws, "--format", "alpaca", "--map", "instruction=q", "--map", "output=a")
    assert "already in workspace: qa (id 1)" in out
    code, out, _ = cli("ingest", p, "-w", ws, "--format", "alpaca", "--map", "instruction=c", "--map", "output=a")
    assert code == 0 and "ingested qa (id 2)" in out and "a new version of the same data (id 1)" in out
    from curation.store import Workspace

    w = Workspace(ws)
    assert [e.turns[0].content for e in w.examples(2)] == ["Why?", "Who?"]
    assert [e.turns[0].content for e in w.examples(1)] == ["How?", "When?"]


def test_read_only_workspace_can_be_read_not_changed(cli, data, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert cli("ingest", data, "-w", ws)[0] == 0
    before = _counts(ws)
    monkeypatch.setattr("curation.store._writable", lambda root, db: False)  # as if chmod a-w (we run as root)
    code, out, err = cli("findings", "-w", ws)
    assert code == 0 and "finding_id" in out, err
    assert cli("export", tmp_path / "out.jsonl", "-w", ws)[0] == 0
    assert (tmp_path / "out.jsonl").read_bytes() == data.read_bytes()
    other = tmp_path / "other.jsonl"
    other.write_bytes(jl(row(7)))
    code, _, err = cli("ingest", other, "-w", ws)
    _one_error(code, err, "the workspace is read-only; nothing was stored")
    assert _counts(ws) == before


def test_read_only_by_environment_in_a_fresh_process(data, tmp_path):
    ws = tmp_path / "ws"
    subprocess.run([sys.executable, "-m", "cli", "ingest", str(data), "-w", str(ws)], check=True, capture_output=True)
    env = {"CURATE_READ_ONLY": "1", "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    ok = subprocess.run(
        [sys.executable, "-m", "cli", "findings", "-w", str(ws)], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(tmp_path / "x.jsonl"), "-w", str(ws)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_disk_full_during_ingest_is_one_line_and_stores_nothing(cli, data, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert cli("ingest", data, "-w", ws)[0] == 0
    before = _counts(ws)
    with sqlite3.connect(ws / "workspace.db") as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    import curation.store as store

    original = store._sqlite_pragmas

    def tiny_disk(engine, read_only=False):
        original(engine, read_only)
        sa.event.listen(engine, "connect", lambda c, _r: c.execute(f"PRAGMA max_page_count={pages + 2}"))

    monkeypatch.setattr(store, "_sqlite_pragmas", tiny_disk)
    big = tmp_path / "big.jsonl"
    big.write_bytes(jl(*[row(i, output="a long answer " * 40) for i in range(3000)]))
    code, out, err = cli("ingest", big, "-w", ws)
    _one_error(code, err, "the disk is full; nothing was stored")
    assert "a long answer" not in err + out
    monkeypatch.setattr(store, "_sqlite_pragmas", original)
    assert _counts(ws) == before


def test_disk_full_during_export_keeps_the_previous_file(cli, data, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    cli("ingest", data, "-w", ws)
    out = tmp_path / "curated.jsonl"
    assert cli("export", out, "-w", ws)[0] == 0
    before = out.read_bytes()

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("curation.io.writer.write_jsonl", full)
    code, _, err = cli("export", out, "-w", ws)
    _one_error(code, err, "No space left on device")
    assert out.read_bytes() == before and not list(tmp_path.glob(".curated.jsonl.*"))


def test_newer_schema_is_one_line(cli, data, tmp_path):
    ws = tmp_path / "ws"
    cli("ingest", data, "-w", ws)
    with sqlite3.connect(ws / "workspace.db") as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    for args in (("findings", "-w", ws), ("ingest", data, "-w", ws), ("export", tmp_path / "o.jsonl", "-w", ws)):
        _one_error(*cli(*args)[::2], "workspace schema v999 is newer than this program")


def test_concurrent_ingests_of_one_file(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_bytes(jl(*[row(i) for i in range(20_000)]))
    ws = tmp_path / "ws"
    subprocess.run([sys.executable, "-m", "cli", "users", "list", "-w", str(ws)], check=True)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest", str(big), "-w", str(ws)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, _out, err in results:
        assert "Traceback" not in err and "IntegrityError" not in err
        assert code == 0 or (code == 2 and err.count("\n") == 1 and "busy" in err), err
    outs = sorted(out.split(" ")[0] for code, out, _ in results if code == 0)
    assert outs in (["already", "ingested"], ["ingested"])
    assert _counts(ws) == (1, 20_000)


@pytest.mark.parametrize(
    "target,fmt,pattern",
    [
        ("folder", None, "is a folder; give a file name"),
        ("file", "hf", "is a file; an hf export is a folder"),
        ("foreign", "hf", "exists and is not a Hugging Face dataset folder; refusing to replace it"),
        ("under_file", None, "cannot create the folder"),
        ("x.parquet.gz", None, "only jsonl, json and csv exports can be compressed"),
        ("x.jsonl", "xml", "unknown export format 'xml'"),
    ],
)
def test_bad_export_targets_are_refused_before_writing(cli, data, tmp_path, target, fmt, pattern):
    ws = tmp_path / "ws"
    cli("ingest", data, "-w", ws)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("keep me")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("keep me")
    (tmp_path / "under_file_parent").write_text("a file")
    out = tmp_path / ("under_file_parent/x.jsonl" if target == "under_file" else target)
    code, _, err = cli("export", out, "-w", ws, *(("--format", fmt) if fmt else ()))
    _one_error(code, err, pattern)
    assert (tmp_path / "file").read_text() == "keep me" and (tmp_path / "foreign" / "notes.txt").exists()


def test_hf_export_replaces_an_earlier_hf_export(cli, data, tmp_path):
    ws = tmp_path / "ws"
    cli("ingest", data, "-w", ws)
    out = tmp_path / "hf_out"
    assert cli("export", out, "-w", ws, "--format", "hf")[0] == 0
    assert cli("export", out, "-w", ws, "--format", "hf")[0] == 0
    from datasets import load_from_disk

    assert len(load_from_disk(str(out))) == 5


def test_stdin_with_a_given_type(cli, tmp_path):
    code, out, err = cli(
        "ingest",
        "-",
        "-w",
        tmp_path / "ws",
        "--type",
        "jsonl",
        "--name",
        "piped",
        stdin=(G1 + "\n" + G2 + "\n").encode(),
    )
    assert code == 0 and "ingested piped" in out, err
