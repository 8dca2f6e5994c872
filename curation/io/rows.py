"""The rows an export writes, in order, each with what a writer needs to keep its shape.

An ``OutRow`` is an untouched row (its original bytes, or its place in an Arrow chunk), an
edited row (the original record with the changed fields written back into the source's
columns) or an added row (a record in the source's columns, with a stable id in the id
column: the largest integer id plus the decision id for integer ids, ``added-<decision
id>`` otherwise, and payload fields that name a source column). ``conform`` keeps added and
edited rows inside the source's columns: a field the source does not have is dropped when
empty and an error otherwise, so no canonical ``--map`` name is ever added.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from curation.curate import CuratedRow
from curation.formats import to_source_record

UNTOUCHED = ("unchanged", "kept")
PAYLOAD_SKIP = ("messages", "answer", "keep_row", "keep_rows")


class ExportError(ValueError):
    """The curated set cannot be written as asked (one line, nothing written)."""


@dataclass
class OutRow:
    row: CuratedRow
    record: dict  # exact original record for untouched rows (Arrow sources: from the chunk)
    raw: bytes | None = None
    arrow: Any = None  # (pyarrow.Table, index) of the original row for columnar sources
    new_id: Any = None

    @property
    def untouched(self) -> bool:
        return self.row.status in UNTOUCHED and self.row.original is not None


def added_ids(rows: Sequence[CuratedRow], id_column: str | None) -> dict[int, Any]:
    """decision id -> the id an added row gets (stable: the same decisions give the same ids)."""
    if not id_column:
        return {}
    ints = [r.original.record.get(id_column) for r in rows if r.original is not None]
    ints = [v for v in ints if isinstance(v, int) and not isinstance(v, bool)]
    int_ids = bool(ints) and len(ints) == sum(1 for r in rows if r.original is not None)
    top = max(ints, default=0)
    out = {}
    for r in rows:
        if r.status == "added" and r.decision is not None:
            out[r.decision.id] = top + r.decision.id if int_ids else f"added-{r.decision.id}"
    return out


def new_record(r: CuratedRow, fmt: str, source: Mapping[str, Any], ids: Mapping[int, Any]) -> dict:
    """The record an edited or added row is written as, in the source's columns."""
    mapping = source.get("mapping") or {}
    columns = source.get("columns") or []
    if r.status != "added":
        return to_source_record(r.turns, fmt, r.original.record if r.original else None, mapping)
    rec = to_source_record(r.turns, fmt, None, mapping)
    payload = r.decision.payload if r.decision is not None else {}
    for key, value in payload.items():
        if key in columns and key not in PAYLOAD_SKIP and key not in rec:
            rec[key] = value
    id_column = source.get("id_column")
    if id_column and r.decision is not None and r.decision.id in ids:
        rec[id_column] = ids[r.decision.id]
    if not columns:
        return rec
    rec = conform(rec, columns, r, strict=False)
    return {**{c: rec[c] for c in columns if c in rec}, **{k: v for k, v in rec.items() if k not in columns}}


def conform(rec: dict, columns: Sequence[str], r: CuratedRow, strict: bool = True) -> dict:
    """``rec`` in the source's columns (see module docstring); ``strict`` for fixed schemas."""
    known = set(columns)
    out = {}
    for key, value in rec.items():
        if key in known:
            out[key] = value
        elif value not in (None, "", [], {}) and strict:
            what = f"row {r.row}" if r.row is not None else f"the row added by decision {_did(r)}"
            raise ExportError(
                f"{what} has a value for '{key}', a column the source does not have; export to jsonl instead"
            )
        elif value not in (None, "", [], {}):
            out[key] = value  # schemaless containers (JSON) can carry it
    return out


def _did(r: CuratedRow) -> Any:
    return r.decision.id if r.decision is not None else "?"


def out_rows(
    rows: Sequence[CuratedRow],
    fmt: str,
    source: Mapping[str, Any],
    ids: Mapping[int, Any],
    chunks: Iterator[tuple[int, int, bytes]] | None = None,
) -> Iterator[OutRow]:
    """Included rows in output order. With ``chunks`` (columnar sources) each source row also
    gets its original Arrow row and its exact original values."""
    included = [r for r in rows if r.included]
    if chunks is None:
        for r in included:
            if r.status in UNTOUCHED and r.original is not None:
                yield OutRow(r, dict(r.original.record), r.original.raw)
            else:
                yield OutRow(r, new_record(r, fmt, source, ids), new_id=_new_id(r, source, ids))
        return
    from curation.io.arrowdata import decode_table

    from_source = [r for r in included if r.row is not None]
    i = 0
    for start, n, data in chunks:
        end = start + n
        group = []
        while i < len(from_source) and from_source[i].row < end:
            group.append(from_source[i])
            i += 1
        if not group:
            continue
        table = decode_table(data)
        exact = table.to_pylist()
        for r in group:
            k = r.row - start
            if r.status in UNTOUCHED:
                yield OutRow(r, exact[k], arrow=(table, k))
            else:
                yield OutRow(r, _patched(exact[k], r, fmt, source), arrow=(table, k))
    for r in included[len(from_source) :]:
        yield OutRow(r, new_record(r, fmt, source, ids), new_id=_new_id(r, source, ids))


def _patched(exact: dict, r: CuratedRow, fmt: str, source: Mapping[str, Any]) -> dict:
    """An edit of a columnar row: the exact values, with the fields the edit changed."""
    shown = dict(r.original.record) if r.original is not None else {}
    changed = to_source_record(r.turns, fmt, shown, source.get("mapping") or {})
    out = dict(exact)
    for key, value in changed.items():
        if key not in shown or shown[key] != value:
            out[key] = value
    return out


def _new_id(r: CuratedRow, source: Mapping[str, Any], ids: Mapping[int, Any]) -> Any:
    if r.status == "added" and r.decision is not None:
        return ids.get(r.decision.id)
    return None


def provenance(o: OutRow) -> dict[str, Any]:
    d = o.row.decision
    return {"curation_status": o.row.status, "curation_decision": d.id if d is not None else None}
