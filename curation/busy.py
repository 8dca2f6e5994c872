"""A busy database is a wait, not an error: retries with back-off, then one friendly error.

SQLite allows one writer at a time (``busy_timeout`` makes a writer wait for the lock);
PostgreSQL reports lock timeouts, deadlocks and serialization failures. ``retry_busy`` runs
a whole write again when the database says it is busy, a few times with growing pauses, and
then raises ``BusyError`` (a ``WorkspaceError`` whose message a person can act on). Each try
is a whole transaction, so a retry never records anything twice.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from curation.migrations import WorkspaceError

F = TypeVar("F", bound=Callable)
PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8)  # seconds between tries (with jitter): about 1.5 s in all
BUSY_MESSAGE = "the workspace is busy (another process is writing to it); try again in a moment"
_PG_BUSY = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


class BusyError(WorkspaceError):
    """The database stayed busy through every retry."""


def is_busy(err: BaseException) -> bool:
    """Whether ``err`` says the database is locked or busy (worth trying again)."""
    if not isinstance(err, sa.exc.DBAPIError):
        return False
    orig = getattr(err, "orig", None)
    if getattr(orig, "sqlstate", None) in _PG_BUSY or getattr(orig, "pgcode", None) in _PG_BUSY:
        return True
    text = str(orig or err).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def retry_busy(fn: F) -> F:
    """Run ``fn`` again while the database is busy (see ``PAUSES``), then raise BusyError."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        for pause in (*PAUSES, None):
            try:
                return fn(*args, **kwargs)
            except sa.exc.DBAPIError as err:
                if not is_busy(err):
                    raise
                if pause is None:
                    raise BusyError(BUSY_MESSAGE) from err
                time.sleep(pause * (0.5 + random.random()))
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
