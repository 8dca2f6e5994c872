"""From a ``Source`` to validated examples, streamed in batches: the ingest path.

The record format (alpaca, messages, ...) is decided on the whole input: rows are read with
the format of the first one, the union of every row's keys is collected on the way, and if
the union calls for another format (a first row without ``output`` in an alpaca file) the
read starts over with that one (``FormatChanged``), so a row lacking a field the rest of the
file has is an error instead of turning the file into a prompt set. With ``skip_bad`` each
bad row is kept as a ``DataError`` carrying its input position; without it the first one
is raised. Memory stays flat for every streaming container (see ``curation.io.source``).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.formats import ID_KEYS, DataError, ReadResult, check_mapping, detect_format, source_id, to_turns, view
from curation.io.csvtext import decode_turn_lists
from curation.io.records import Chunk, Container, RawRecord
from curation.io.source import Source, open_source
from curation.schema import Example, Turn

_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(**options) builds one per call
TEXT_KEYS = ("instruction", "input", "output", "context", "response", "prompt", "completion", "chosen", "system")
NAN_TEXT = ("NaN", "nan")


class FormatChanged(Exception):
    """The whole input calls for another record format than its first row: read it again."""

    def __init__(self, fmt: str):
        super().__init__(fmt)
        self.fmt = fmt


@dataclass
class Batch:
    rows: list[dict]  # ready for the examples table
    examples: list[Example]
    chunks: list[Chunk] = field(default_factory=list)


class Reader:
    """Reads one source into batches of validated rows; ``fmt`` None = decided on the input."""

    def __init__(
        self,
        source: Source,
        fmt: str | None = None,
        mapping: Mapping[str, str] | None = None,
        skip_bad: bool = False,
        keep_examples: bool = False,
    ):
        from curation.formats import FORMATS

        if fmt is not None and fmt not in FORMATS:
            raise DataError(source.display, f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
        self.source, self.fmt, self.skip_bad = source, fmt, skip_bad
        self.mapping = check_mapping(mapping)
        self.keep_examples = keep_examples
        self._given_fmt = fmt

    def identity(self) -> str:
        """The dataset's identity: the bytes, plus how they are read when that is not the default."""
        digest = self.source.digest()
        self.file_sha256 = digest
        options = {k: v for k, v in (("format", self._given_fmt), ("map", self.mapping)) if v}
        if not options:
            return digest
        return hashlib.sha256(f"{digest}|{json.dumps(options, sort_keys=True)}".encode()).hexdigest()

    def restart(self, fmt: str) -> None:
        self.fmt = fmt

    def batches(self, size: int = 5000) -> Iterator[Batch]:
        """Validated rows in input order; raises FormatChanged at the end when needed."""
        self.box = Container(self.source.kind)
        self.skipped: list[DataError] = []
        self.n_input = self.n_examples = 0
        self.keys: dict[str, None] = {}
        self.used: str | None = self.fmt
        self.id_column = self.mapping.get("id")
        self._columnar = self.source.kind in ("csv", "parquet", "hf", "arrow")  # turn lists may be JSON text
        batch = Batch([], [])
        items = _guarded(_records(self.source, self.box), self.source)
        for item in items:
            if isinstance(item, Chunk):
                batch.chunks.append(item)
                continue
            self.n_input += 1
            out = self._one(item)
            if isinstance(out, DataError):
                if not self.skip_bad:
                    self._whole_file_format(items)
                    raise out
                self.skipped.append(out)
                continue
            self.n_examples += 1
            if self.keep_examples:
                batch.examples.append(out[1])
            else:
                batch.rows.append(out[0])
            if len(batch.rows) + len(batch.examples) >= size:
                yield batch
                batch = Batch([], [])
        if batch.rows or batch.examples or batch.chunks:
            yield batch
        self._finish()

    def _whole_file_format(self, rest: Iterator) -> None:
        """Before reporting a row's error under a format guessed from the first rows, read the
        rest of the keys: when the whole input calls for another format, read it again with that
        one (its error is the one to report)."""
        if self.fmt is not None or self.used is None:
            return
        for item in rest:
            if isinstance(item, RawRecord) and item.record is not None:
                self.keys.update(dict.fromkeys(item.record))
        whole = detect_format(set(self.keys) | set(self.mapping))
        if whole is not None and whole != self.used:
            raise FormatChanged(whole)

    def _finish(self) -> None:
        if self.fmt is None and self.used is not None:
            whole = detect_format(set(self.keys) | set(self.mapping))
            if whole is not None and whole != self.used:
                raise FormatChanged(whole)
        if self.n_examples == 0:
            if self.skipped:
                raise DataError(
                    self.source.display,
                    f"no valid examples: all {len(self.skipped)} rows are bad; first: {self.skipped[0]}",
                )
            raise DataError(self.source.display, "empty file: no examples found")
        self.format = self.used or "messages"
        if self.box.kind in ("csv", "parquet", "hf", "arrow") and self.box.columns:
            self.keys = dict.fromkeys(self.box.columns)
        self.box.columns = list(self.keys)

    def _one(self, rr: RawRecord) -> tuple[dict, Example | None] | DataError:
        if rr.error is not None:
            rr.error.position = rr.position
            return rr.error
        rec, unit = rr.record, self.box.unit
        try:
            for key in rec:
                if key not in self.keys:
                    self.keys[key] = None
            if self.id_column is None:
                self.id_column = next((k for k in ID_KEYS if k in rec), None)
            seen = view(rec, self.mapping, rr.file, rr.line, unit) if self.mapping else rec
            if self._columnar and (isinstance(seen.get("messages"), str) or isinstance(seen.get("conversations"), str)):
                seen = decode_turn_lists(seen)
            if self.source.kind == "csv":
                _no_nan_text(seen, rr)
            if self.used is None:
                self.used = detect_format(seen)
                if self.used is None:
                    raise DataError(
                        rr.file,
                        f"cannot tell the format from the keys {sorted(rec)[:8]}; pass --format and --map",
                        rr.line,
                        next(iter(rec), "?"),
                        unit,
                    )
            turns = to_turns(seen, self.used, rr.file, rr.line, unit)
            turns_json = _ENCODER.encode([[t.role, t.content] for t in turns])
            digest = hashlib.sha256(_utf8(turns_json, turns, rr)).hexdigest()
            sid = source_id(rec, self.id_column) if self.id_column else None
            if self.keep_examples:
                return {}, Example(rr.position, turns, rec, self.used, sid, rr.raw)
            record_json = _record_json(rec, rr)  # queried in SQL by the app (json_extract, contains)
            return {
                "row": rr.position,
                "source_id": sid,
                "turns_json": turns_json,
                "record_json": record_json,
                "raw": rr.raw,
                "content_hash": digest,
            }, None
        except DataError as err:
            if self.box.kind == "json" and err.field_name and rr.raw and err.line == rr.line:
                from curation.io.jsontext import field_line

                line = field_line(rr.raw, rr.line, err.field_name)
                if line != rr.line:
                    err = DataError(err.path, err.message, line, err.field_name, err.unit)
            err.position = rr.position
            return err
        except RecursionError:
            return DataError(rr.file, "nested too deeply to store", rr.line, unit=unit, position=rr.position)

    def describe(self) -> dict[str, Any]:
        """What the dataset row keeps about its source, for exports (see ``curation.io.writer``)."""
        import base64

        box = self.box
        return {
            **self.source.describe(),
            "kind": box.kind,
            "file_sha256": getattr(self, "file_sha256", None),
            "format_given": self._given_fmt,
            "mapping": self.mapping,
            "id_column": self.id_column,
            "columns": box.columns,
            "newline": box.newline,
            "json_style": box.json_style,
            "unit": box.unit,
            "n_input": self.n_input,
            "head": base64.b64encode(box.head).decode(),
            "tail": base64.b64encode(box.tail).decode(),
            "sep": base64.b64encode(box.sep).decode(),
            "schema": base64.b64encode(box.schema).decode() if box.schema else None,
        }


def _records(source: Source, box: Container) -> Iterator[RawRecord | Chunk]:
    if source.kind == "jsonl":
        from curation.io.jsontext import read_jsonl

        return read_jsonl(source, box)
    if source.kind == "json":
        from curation.io.jsontext import read_json

        return read_json(source, box)
    if source.kind == "csv":
        from curation.io.csvtext import read_csv

        return read_csv(source, box)
    if source.kind == "records":
        from curation.io.pylist import read_list

        return read_list(source, box)
    from curation.io.arrowdata import read_columnar

    return read_columnar(source, box)


def _guarded(items: Iterator, source: Source) -> Iterator:
    """Read and decompression failures (a truncated gzip, zstd garbage, an unreadable file) as
    one-line DataErrors naming the input."""
    try:
        yield from items
    except DataError:
        raise
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(
            source.display,
            f"cannot read{' the ' + source.compression + ' stream' if source.compression else ''}: "
            f"{getattr(err, 'strerror', None) or err}",
        ) from None
    except ValueError as err:
        if not source.compression:
            raise
        raise DataError(source.display, f"cannot read the {source.compression} stream: {err}") from None


def _no_nan_text(rec: Mapping[str, Any], rr: RawRecord) -> None:
    for key in TEXT_KEYS:
        if rec.get(key) in NAN_TEXT:
            raise DataError(rr.file, "NaN in a text field (a missing value written by pandas?)", rr.line, key)


def _utf8(turns_json: str, turns: tuple[Turn, ...], rr: RawRecord) -> bytes:
    try:
        return turns_json.encode("utf-8")
    except UnicodeEncodeError:
        bad = next((i for i, t in enumerate(turns) if _bad_text(t.content)), 0)
        raise DataError(
            rr.file, "text with a lone surrogate (an unpaired \\ud800-\\udfff code point)", rr.line, f"turn {bad}"
        ) from None


def _bad_text(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


_DISPLAY = json.JSONEncoder(ensure_ascii=False, default=str)  # values JSON cannot hold (dates, bytes) as text


def _record_json(rec: Mapping[str, Any], rr: RawRecord) -> str:
    text = _DISPLAY.encode(rec)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        key = next((k for k, v in rec.items() if isinstance(v, str) and _bad_text(v)), None)
        raise DataError(rr.file, "text with a lone surrogate", rr.line, key) from None
    return text


def read_all(
    path: str | Path | Any,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    file_type: str | None = None,
) -> ReadResult:
    """The whole input as a list of Examples (for scripts and tests; ingest streams instead)."""
    source = open_source(path, file_type)
    try:
        reader = Reader(source, fmt, mapping, skip_bad, keep_examples=True)
        for _ in range(2):
            try:
                examples = [ex for batch in reader.batches() for ex in batch.examples]
                return ReadResult(examples, reader.format, reader.skipped)
            except FormatChanged as change:
                reader.restart(change.fmt)
        raise AssertionError("the format changed twice")
    finally:
        source.close()
