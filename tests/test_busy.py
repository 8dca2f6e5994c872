"""A busy database is a wait, then a message, never an error page; commits are durable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_app_fixture import build_workspace, team_app

from curation import busy
from curation.store import Workspace

LOCKED = sa.exc.OperationalError("INSERT ...", {}, Exception("database is locked"))


def flaky(failures: int, err: Exception = LOCKED):
    calls = []

    @busy.retry_busy
    def write() -> int:
        calls.append(1)
        if len(calls) <= failures:
            raise err
        return len(calls)

    return write, calls


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(busy, "PAUSES", (0.0,) * len(busy.PAUSES))


def test_a_busy_write_is_tried_again():
    write, _ = flaky(len(busy.PAUSES))
    assert write() == len(busy.PAUSES) + 1


def test_a_database_busy_through_every_retry_is_one_clear_error():
    write, calls = flaky(99)
    with pytest.raises(busy.BusyError, match="busy"):
        write()
    assert len(calls) == len(busy.PAUSES) + 1


def test_other_database_errors_are_not_retried():
    write, calls = flaky(99, sa.exc.OperationalError("SELECT", {}, Exception("no such table: x")))
    with pytest.raises(sa.exc.OperationalError):
        write()
    assert len(calls) == 1


def test_commits_survive_power_loss(tmp_path):
    with Workspace(tmp_path / "ws").engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL, not NORMAL (1)


def test_the_app_shows_a_message_not_an_error_page_when_busy(tmp_path, monkeypatch):
    ws, _ = build_workspace(tmp_path)
    at = team_app(ws, monkeypatch, "ann")

    def locked(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise LOCKED

    monkeypatch.setattr(Workspace, "datasets", locked)
    at.run()
    assert not at.exception
    assert any("The workspace is busy" in w.value for w in at.warning)
