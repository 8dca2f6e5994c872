"""Write the curated set in the source's shape (or another container when asked).

| target | untouched rows | edited / added rows |
|---|---|---|
| jsonl from jsonl | original line bytes (BOM, blank lines, ``\\r\\n`` kept) | JSON in the source's style (ASCII escapes, separators) |
| json from json | original element text and separators | JSON in the source's style, indented like it |
| csv from csv | original row bytes, embedded newlines kept | CSV with the source's newline |
| parquet / hf from a columnar source | original Arrow values and schema | the original row with the changed fields |
| anything else | values converted: nested values as JSON text in CSV, Arrow types inferred over all rows for Parquet/HF (union of columns) | same |

CSV cells that could run as spreadsheet formulas are neutralised unless ``formula_guard``
is off (an untouched row with such a cell is then re-serialised). ``provenance`` adds
``curation_status`` and ``curation_decision`` columns, so every row is re-serialised. JSON
never gets bare NaN or Infinity. Writers return the number of rows written.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from curation.io.csvtext import cell, is_dangerous, row_bytes
from curation.io.jsonout import dumps
from curation.io.lines import open_output
from curation.io.rows import ExportError, OutRow, conform, provenance

PROVENANCE = ("curation_status", "curation_decision")


def _b(source: Mapping[str, Any], key: str) -> bytes:
    return base64.b64decode(source.get(key) or "")


def write_jsonl(
    outs: Iterable[OutRow], path: Path, compression: str | None, source: Mapping[str, Any], with_provenance: bool
) -> int:
    same = source.get("kind") == "jsonl" and not with_provenance
    style = source.get("json_style") or {}
    newline = (source.get("newline") or "\n").encode()
    n, ends_line = 0, True
    with open_output(path, compression) as fh:
        if same:
            fh.write(_b(source, "head"))
        for o in outs:
            if same and o.untouched and o.raw is not None:
                data = o.raw
            else:
                rec = {**o.record, **provenance(o)} if with_provenance else o.record
                data = dumps(rec, style.get("ensure_ascii", False), style.get("compact", False)).encode() + newline
            if not ends_line:
                fh.write(newline)
            fh.write(data)
            ends_line, n = data.endswith(b"\n"), n + 1
        if same:
            fh.write(_b(source, "tail"))
    return n


def write_json(
    outs: Iterable[OutRow], path: Path, compression: str | None, source: Mapping[str, Any], with_provenance: bool
) -> int:
    same = source.get("kind") == "json" and not with_provenance
    style = source.get("json_style") or {}
    sep = _b(source, "sep").decode() if same else ""
    multiline = "\n" in sep or not same
    base = sep.rsplit("\n", 1)[-1] if "\n" in sep else ("  " if not same else "")
    n = 0
    with open_output(path, compression) as fh:
        fh.write(_b(source, "head") if same else b"[\n  ")
        for o in outs:
            if same and o.untouched and o.raw is not None:
                text = o.raw.decode("utf-8", "surrogatepass")
                stripped = text.lstrip(" \t\r\n,")
                text = (
                    stripped
                    if n == 0
                    else (text if text.lstrip(" \t\r\n").startswith(",") else (sep or ",\n  ") + stripped)
                )
            else:
                rec = {**o.record, **provenance(o)} if with_provenance else o.record
                text = dumps(
                    rec,
                    style.get("ensure_ascii", False),
                    style.get("compact", False),
                    indent=len(base) or 2 if multiline else None,
                )
                text = text.replace("\n", "\n" + base) if multiline else text
                if n:
                    text = (sep or ",\n  ") + text
            fh.write(text.encode("utf-8", "surrogatepass"))
            n += 1
        fh.write(_b(source, "tail") if same else b"\n]\n")
    return n


def write_csv(
    outs: Iterable[OutRow],
    path: Path,
    compression: str | None,
    source: Mapping[str, Any],
    with_provenance: bool,
    formula_guard: bool,
) -> int:
    same = source.get("kind") == "csv" and not with_provenance
    newline = source.get("newline") or "\n"
    if same:
        columns = list(source.get("columns") or [])
    else:
        outs = list(outs)
        columns = _union([o.record for o in outs], source.get("columns") or [])
        if with_provenance:
            columns += [c for c in PROVENANCE if c not in columns]
    n = 0
    with open_output(path, compression) as fh:
        if same and not (formula_guard and is_dangerous(columns)):
            fh.write(_b(source, "head"))
        else:
            fh.write(row_bytes(columns, newline, formula_guard))
        for o in outs:
            rec = {**o.record, **provenance(o)} if with_provenance else o.record
            if same and not o.untouched:
                rec = conform(rec, columns, o.row)  # an edit or addition stays inside the header
            cells = [cell(rec.get(c)) for c in columns]
            keep = same and o.untouched and o.raw is not None
            fh.write(
                o.raw
                if keep and not (formula_guard and is_dangerous(cells))
                else row_bytes(cells, newline, formula_guard)
            )
            n += 1
        if same:
            fh.write(_b(source, "tail"))
    return n


def _union(records: list[dict], first: list[str]) -> list[str]:
    seen = dict.fromkeys(c for c in first if any(c in r for r in records))
    for rec in records:
        for key in rec:
            if key not in seen:
                seen[key] = None
    return list(seen)


def arrow_parts(
    outs: Iterable[OutRow], source: Mapping[str, Any], with_provenance: bool, converted: list[str]
) -> tuple[Any, Iterator[Any]]:
    """(schema, tables) of the rows: the source's schema and values for columnar sources, runs
    of untouched rows taken from their chunk at once; for other sources every column's type
    inferred over all rows (a column no type fits becomes JSON text)."""
    import pyarrow as pa

    from curation.io.arrowdata import decode_schema

    if source.get("schema") and source.get("kind") in ("parquet", "hf", "arrow"):
        schema = decode_schema(_b(source, "schema"))
        parts = _runs(outs, schema)
    else:
        outs = list(outs)
        records = [o.record for o in outs]
        columns = _union(records, source.get("columns") or [])
        arrays = [_column([r.get(c) for r in records], c, converted) for c in columns]
        table = pa.table(arrays, names=columns) if columns else pa.table({})
        schema, parts = table.schema, iter([(table, outs)])
    if with_provenance:
        schema = schema.append(pa.field("curation_status", pa.string())).append(
            pa.field("curation_decision", pa.int64())
        )
        return schema, (_with_provenance(t, group) for t, group in parts)
    return schema, (t for t, _ in parts)


def _runs(outs: Iterable[OutRow], schema: Any) -> Iterator[tuple[Any, list[OutRow]]]:
    run: list[OutRow] = []
    for o in outs:
        if o.arrow is not None and o.untouched:
            if run and run[-1].arrow[0] is not o.arrow[0]:
                yield _take(run), run
                run = []
            run.append(o)
            continue
        if run:
            yield _take(run), run
            run = []
        yield _arrow_row(o, schema), [o]
    if run:
        yield _take(run), run


def _take(run: list[OutRow]) -> Any:
    return run[0].arrow[0].take([o.arrow[1] for o in run])


def _with_provenance(table: Any, group: list[OutRow]) -> Any:
    import pyarrow as pa

    prov = [provenance(o) for o in group]
    table = table.append_column("curation_status", pa.array([p["curation_status"] for p in prov], pa.string()))
    return table.append_column("curation_decision", pa.array([p["curation_decision"] for p in prov], pa.int64()))


def _arrow_row(o: OutRow, schema: Any) -> Any:
    import pyarrow as pa

    if o.arrow is not None and o.untouched:
        table, k = o.arrow
        return table.slice(k, 1)
    if o.arrow is not None:
        table, k = o.arrow
        row = table.slice(k, 1)
        original = table.slice(k, 1).to_pylist()[0]
        for key, value in o.record.items():
            if key in original and original[key] == value:
                continue
            if key not in schema.names:
                conform({key: value}, schema.names, o.row)
                continue
            i = schema.get_field_index(key)
            row = row.set_column(i, schema.field(i), _typed([value], schema.field(i), o))
        return row
    rec = conform(o.record, schema.names, o.row)
    return pa.table([_typed([rec.get(f.name)], f, o) for f in schema], schema=schema)


def _typed(values: list, field: Any, o: OutRow) -> Any:
    import pyarrow as pa

    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        values = [dumps(v) if isinstance(v, (list, dict)) else v for v in values]
    try:
        return pa.array(values, type=field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        what = f"row {o.row.row}" if o.row.row is not None else "an added row"
        raise ExportError(f"{what}: '{field.name}' cannot be written as {field.type} ({err})") from None


def _column(values: list, name: str, converted: list[str]) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values, from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        converted.append(name)
        return pa.array([v if isinstance(v, str) or v is None else dumps(v) for v in values], pa.string())


def write_parquet(schema: Any, parts: Iterator[Any], path: Path) -> int:
    import pyarrow.parquet as pq

    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        for table in parts:
            writer.write_table(table)
            n += table.num_rows
    return n


def write_hf(schema: Any, parts: Iterator[Any], folder: Path, scratch: Path) -> int:
    """A ``save_to_disk`` folder (written by ``datasets`` itself, so it loads anywhere)."""
    import pyarrow as pa
    from datasets import Dataset
    from datasets.utils import logging as hf_logging

    stream, n = scratch / "table.arrow", 0
    with pa.OSFile(str(stream), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for table in parts:
            writer.write_table(table)
            n += table.num_rows
    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        Dataset.from_file(str(stream), in_memory=False).save_to_disk(str(folder))
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
    return n
