"""Resolution files: expert decisions as JSON lines, row-based (see data/README.md).

One object per line: ``action`` (keep, drop, edit, pick, merge, add, undo, retract),
``rows`` (or ``row``), the action's fields (``keep_row``/``keep_rows``, ``answer``,
``messages``; ``undoes`` for undo and retract), and optionally ``reason``, ``actor`` and
``finding_id``. Blank lines are ignored.

``read`` checks the shape of every line and returns decisions that each carry an
idempotency key: the hash of the line's content (as parsed JSON, so spacing does not
matter) and how many identical lines came before it. Re-running a file, or a file with
lines added or corrected, records only the lines not recorded before. (Keyed on the whole
file, correcting one line would record every other line again.) What the store checks
against the dataset (rows exist, ``keep_row`` among the rows...) is mapped back to the
file's line by ``where``. Every problem reads ``FILE:LINE: field 'F': message``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.decisions import ACTIONS, Problem
from curation.schema import Decision

FILE_ACTIONS = ("keep", "drop", "edit", "pick", "merge", "add", "undo", "retract")
_META = ("action", "rows", "row", "reason", "actor", "finding_id", "undoes")


@dataclass(frozen=True)
class LineProblem:
    path: Path
    line: int
    problem: Problem

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


class ResolutionError(ValueError):
    def __init__(self, problems: Sequence[LineProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class Resolutions:
    """The decisions of a file and the line each came from."""

    path: Path
    decisions: list[Decision]
    lines: list[int]

    def where(self, index: int, problem: Problem) -> LineProblem:
        return LineProblem(self.path, self.lines[index], problem)


def read(path: str | Path, actor: str = "expert", dataset_id: int = 0) -> Resolutions:
    """Parse a resolutions file; ResolutionError lists every bad line (nothing is returned)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ResolutionError([LineProblem(path, 0, Problem("file", err.strerror or str(err)))]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ResolutionError(
            [
                LineProblem(
                    path,
                    line,
                    Problem(
                        "text",
                        f"not UTF-8 text (byte 0x{data[err.start]:02x} at column {column}): save the file as UTF-8",
                    ),
                )
            ]
        ) from None
    return _parse(path, text, actor, dataset_id)


def _parse(path: Path, text: str, actor: str, dataset_id: int) -> Resolutions:
    out, lines, problems = [], [], []
    seen: Counter = Counter()
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as err:
            problems.append(LineProblem(path, n, Problem("json", f"malformed JSON at column {err.colno}: {err.msg}")))
            continue
        bad = _shape(rec)
        if bad:
            problems.append(LineProblem(path, n, bad))
            continue
        canonical = json.dumps(rec, sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:24]
        seen[digest] += 1
        out.append(_decision(rec, actor, dataset_id, f"line:{digest}:{seen[digest]}"))
        lines.append(n)
    if problems:
        raise ResolutionError(problems)
    return Resolutions(path, out, lines)


def from_records(
    records: Sequence[Any], actor: str = "expert", dataset_id: int = 0, path: str | Path = "<records>"
) -> Resolutions:
    """Resolutions given as parsed objects (one per "line", numbered from 1)."""
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return _parse(Path(path), text, actor, dataset_id)


def _shape(rec: Any) -> Problem | None:
    """What is wrong with a line's shape before the dataset is consulted (None: nothing)."""
    if not isinstance(rec, dict):
        return Problem("line", f"expected a JSON object, got {type(rec).__name__}")
    action = rec.get("action")
    if action is None:
        return Problem("action", f"missing (one of {', '.join(FILE_ACTIONS)})")
    if action not in FILE_ACTIONS:
        known = " (not in a resolutions file)" if action in ACTIONS else ""
        return Problem("action", f"unknown action {action!r}{known}: one of {', '.join(FILE_ACTIONS)}")
    if "rows" in rec and "row" in rec:
        return Problem("rows", "give 'rows' or 'row', not both")
    rows = rec.get("rows", [rec["row"]] if "row" in rec else [])
    if not isinstance(rows, list):
        return Problem("rows", f"expected a list of row numbers, got {json.dumps(rows)}")
    for r in rows:
        if isinstance(r, bool) or not isinstance(r, int):
            return Problem("rows" if "rows" in rec else "row", f"{json.dumps(r)} is not a whole row number")
    for name in ("reason", "actor", "finding_id"):
        if name in rec and not isinstance(rec[name], str):
            return Problem(name, f"expected text, got {json.dumps(rec[name])}")
    if "actor" in rec and not rec["actor"].strip():
        return Problem("actor", "empty")
    return None


def _decision(rec: dict, actor: str, dataset_id: int, key: str) -> Decision:
    rows = rec.get("rows", [rec["row"]] if "row" in rec else [])
    payload = {k: v for k, v in rec.items() if k not in _META}
    return Decision(
        0,
        dataset_id,
        rec["action"],
        rec.get("actor", actor),
        tuple(rows),
        rec.get("finding_id"),
        payload,
        rec.get("reason", ""),
        0.0,
        rec.get("undoes"),
        key=key,
        role="curator",
    )
