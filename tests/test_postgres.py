"""The same workspace code on PostgreSQL: a throwaway server started by the test itself.

Runs wherever PostgreSQL's server binaries are installed (CI installs them); skipped with
the reason otherwise. Marked slow because starting a cluster takes a few seconds.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from test_signin import NO_DELAY, PASSWORD, burst

from curation import signin
from curation.auth import hash_password
from curation.store import ConflictError, Workspace
from curation.workbench import curated_rows, ingest_file

pytestmark = pytest.mark.slow


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory):
    pytest.importorskip("psycopg")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="curate-pg-"))  # outside pytest's 0700 tree
    os.chmod(data, 0o755)
    run_as = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(data, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        run_as + [str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "curate"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        run_as
        + [
            str(bindir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-l",
            str(data / "log"),
            "-w",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        url = f"postgresql+psycopg://curate@127.0.0.1:{port}/postgres"
        deadline = time.time() + 20
        while True:
            try:
                Workspace(tmp_path_factory.mktemp("probe"), db_url=url)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        subprocess.run(
            run_as + [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)


def test_workspace_on_postgres(pg_url, tmp_path, alpaca_file):
    ws = Workspace(tmp_path / "ws", db_url=pg_url)
    ds, created, _ = ingest_file(ws, alpaca_file)
    assert created and not ingest_file(ws, alpaca_file)[1]
    assert len(ws.examples(ds.id)) == ds.n_examples
    v = ws.version(ds.id, "dup-x")
    ws.record_decision(
        ds.id, "merge", "ana", rows=[0, 1], finding_id="dup-x", payload={"keep_row": 1}, expected_version=v
    )
    with pytest.raises(ConflictError):
        ws.record_decision(ds.id, "keep", "ben", rows=[0, 1], finding_id="dup-x", expected_version=v)
    assert [r.status for r in curated_rows(ws, ds)[:2]] == ["dropped", "kept"]
    assert not (tmp_path / "ws" / "workspace.db").exists()


def test_sign_in_throttle_and_sessions_on_postgres(pg_url, tmp_path):
    """20 parallel sign-ins through separate engines (the advisory lock serializes them): only
    the limit's worth are checked; sessions and the rehash work the same."""
    ws = Workspace(tmp_path / "ws", db_url=pg_url)
    ws.add_user("pia", "annotator", hash_password(PASSWORD))
    results = burst(lambda: Workspace(tmp_path / "ws", db_url=pg_url), "pia")
    assert sum(r.message == signin.FAILED for r in results) == NO_DELAY.account_limit
    assert not signin.sign_in(ws, "pia", PASSWORD, "", NO_DELAY).ok
    ws.add_user("quinn", "curator", hash_password(PASSWORD))
    token = signin.start_session(ws, "quinn")
    assert signin.session_user(ws, token)["role"] == "curator"
    ws.update_user("quinn", role="annotator")
    assert signin.session_user(ws, token)["role"] == "annotator"
