"""Columnar inputs (Parquet files, Hugging Face ``save_to_disk`` folders, Arrow tables from a
DataFrame or a ``datasets.Dataset``) read batch by batch, keeping the original Arrow values.

Each batch of at most ``CHUNK_ROWS`` rows is yielded twice: as a ``Chunk`` (the batch as
zstd-compressed Arrow IPC bytes, stored as they are) and as one ``RawRecord`` per row
(plain Python values for validation and display). An export takes untouched rows from the
chunks, so nested lists of structs, int32 and struct columns, timestamps and schema
metadata come back exactly. Shards must share one schema. ``line`` is the 1-based row in
its file. Not handled: Parquet files with duplicate column names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from curation.formats import DataError
from curation.io.records import Chunk, Container, RawRecord
from curation.io.source import Source

CHUNK_ROWS = 2048
_IPC = pa.ipc.IpcWriteOptions(compression="zstd") if pa.Codec.is_available("zstd") else pa.ipc.IpcWriteOptions()


def encode_batch(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema, options=_IPC) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def decode_table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def encode_schema(schema: pa.Schema) -> bytes:
    return schema.serialize().to_pybytes()


def decode_schema(data: bytes) -> pa.Schema:
    return pa.ipc.read_schema(pa.py_buffer(data))


def read_columnar(source: Source, box: Container) -> Iterator[RawRecord | Chunk]:
    box.unit = "row"
    position, schema = 0, None
    for file, batches in _files(source):
        try:
            first = True
            row = 0
            for batch in batches:
                if first:
                    first = False
                    schema = _check_schema(schema, batch.schema, file)
                    if not box.columns:
                        box.columns, box.schema = list(schema.names), encode_schema(schema)
                for offset in range(0, batch.num_rows, CHUNK_ROWS):
                    part = batch.slice(offset, CHUNK_ROWS)
                    yield Chunk(position, part.num_rows, encode_batch(part))
                    yield from _rows(part, file, position, row)
                    position += part.num_rows
                    row += part.num_rows
            if first:  # a file with no batches still has a schema
                schema = _check_schema(schema, _schema_of(source, file), file)
                if not box.columns:
                    box.columns, box.schema = list(schema.names), encode_schema(schema)
        except (pa.ArrowException, OSError) as err:
            raise DataError(
                file, f"not a readable {_what(source)}: {_first_line(err)}", row or None, unit="row"
            ) from None


def _rows(batch: pa.RecordBatch, file: str, position: int, row: int) -> Iterator[RawRecord]:
    try:
        records = batch.to_pylist()
    except (UnicodeDecodeError, pa.ArrowException):
        records = None
    for i in range(batch.num_rows):
        if records is not None:
            yield RawRecord(position + i, row + i + 1, file, records[i])
            continue
        try:
            yield RawRecord(position + i, row + i + 1, file, batch.slice(i, 1).to_pylist()[0])
        except (UnicodeDecodeError, pa.ArrowException) as err:
            yield RawRecord(
                position + i,
                row + i + 1,
                file,
                None,
                None,
                DataError(
                    file, f"unreadable values: {_first_line(err)}", row + i + 1, unit="row", position=position + i
                ),
            )


def _files(source: Source) -> Iterator[tuple[str, Iterator[pa.RecordBatch]]]:
    if source.table is not None:
        yield source.display, iter(source.table.to_batches(max_chunksize=CHUNK_ROWS))
        return
    for path in source.files:
        file = source.display if len(source.files) == 1 else str(path)
        yield file, _batches(source.kind, path, file)


def _batches(kind: str, path: Path, file: str) -> Iterator[pa.RecordBatch]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path, pre_buffer=False)  # pre-buffering keeps every row group read so far
        except (pa.ArrowException, OSError) as err:
            raise DataError(file, f"not a readable Parquet file: {_first_line(err)}") from None
        if pf.metadata.num_rows == 0:
            return
        yield from pf.iter_batches(batch_size=CHUNK_ROWS, use_pandas_metadata=False)
        return
    try:
        reader = pa.ipc.open_stream(pa.memory_map(str(path)))
    except pa.ArrowInvalid:
        try:
            reader = pa.ipc.open_file(pa.memory_map(str(path)))
        except (pa.ArrowException, OSError) as err:
            raise DataError(file, f"not a readable Arrow file: {_first_line(err)}") from None
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)
        return
    yield from reader


def _schema_of(source: Source, file: str) -> pa.Schema:
    if source.table is not None:
        return source.table.schema
    path = Path(file) if Path(file).exists() else source.files[0]
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        return pq.read_schema(path)
    try:
        return pa.ipc.open_stream(pa.memory_map(str(path))).schema
    except pa.ArrowInvalid:
        return pa.ipc.open_file(pa.memory_map(str(path))).schema


def _check_schema(seen: pa.Schema | None, schema: pa.Schema, file: str) -> pa.Schema:
    names = schema.names
    dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if dup is not None:
        raise DataError(file, "duplicate column name", None, dup, unit="row")
    if seen is not None and not seen.equals(schema, check_metadata=False):
        raise DataError(file, "this shard's schema differs from the first shard's", unit="row")
    return seen or schema


def _what(source: Source) -> str:
    return {"parquet": "Parquet file", "hf": "Hugging Face Arrow file"}.get(source.kind, "Arrow table")


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
