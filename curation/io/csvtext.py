"""CSV in and out, keeping each row's original bytes (embedded newlines included).

Reading is strict (RFC 4180 as Python's ``csv`` sees it with ``strict=True``): a quote
that is never closed, text after a closing quote, a duplicate or ragged header and a row
with another number of cells than the header are errors that name the line where the row
starts. Cells may be long (up to 256 MiB). Every cell is text; ``messages`` and
``conversations`` cells hold JSON text, decoded for validation only.

Writing puts an untouched row's original bytes back and serialises other rows with the
source's newline. Cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return, OWASP's list) get a leading ``'`` unless the
caller opts out; plain numbers such as ``-3`` are left alone. Not handled: delimiters other
than the comma, and bare ``\\r`` line endings.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from curation.formats import DataError
from curation.io.lines import open_binary
from curation.io.records import Container, RawRecord
from curation.io.source import Source

FIELD_LIMIT = 256 << 20
BOM = b"\xef\xbb\xbf"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class _Lines:
    """Feeds decoded lines to csv.reader and remembers the bytes it consumed."""

    def __init__(self, fh, file: str) -> None:  # noqa: ANN001
        self.fh, self.file = fh, file
        self.consumed: list[bytes] = []
        self.line = 0  # lines read so far
        self.bom = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = next(self.fh)
        self.line += 1
        if self.line == 1 and raw.startswith(BOM):
            raw = raw[3:]
            self.bom = True
        self.consumed.append(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(self.file, f"bytes that are not UTF-8 at column {err.start + 1}", self.line) from None


def read_csv(source: Source, box: Container) -> Iterator[RawRecord]:
    csv.field_size_limit(FIELD_LIMIT)
    position, header, pending = 0, None, b""
    box.unit = "line"
    for path in source.files:
        file = source.display if len(source.files) == 1 else str(path)
        with open_binary(path, source.compression) as fh:
            lines = _Lines(fh, file)
            reader = csv.reader(lines, strict=True)
            shard_header = None
            while True:
                start = lines.line + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as err:
                    raise DataError(file, _csv_message(err, start, lines.line), start, position=position) from None
                raw = b"".join(lines.consumed)
                lines.consumed.clear()
                if not row:
                    pending += raw
                    continue
                if shard_header is None:
                    shard_header = [h.strip() for h in row]
                    _check_header(shard_header, file, start)
                    if header is None:
                        header = shard_header
                        box.head = (BOM if lines.bom else b"") + pending + raw
                        box.columns = list(header)
                        box.newline = "\r\n" if raw.endswith(b"\r\n") else "\n"
                    elif shard_header != header:
                        raise DataError(file, f"header {shard_header} differs from the first shard's {header}", start)
                    pending = b""
                    continue
                if len(row) != len(header):
                    err = DataError(
                        file,
                        f"ragged row: {len(row)} cells but the header has {len(header)}",
                        start,
                        header[min(len(row), len(header)) - 1],
                        position=position,
                    )
                    yield RawRecord(position, start, file, None, pending + raw, err)
                else:
                    yield RawRecord(position, start, file, dict(zip(header, row)), pending + raw)
                pending = b""
                position += 1
    if header is None:
        raise DataError(source.display, "empty file: no header row")
    box.tail = pending


def _csv_message(err: csv.Error, start: int, now: int) -> str:
    text = str(err)
    if "unexpected end of data" in text or "EOF" in text:
        return f"unterminated quoted cell: the quote opened on line {start} is never closed"
    if "expected after" in text:
        return f"text after a closing quote (a stray quote inside a cell?), line {now}"
    if "field larger than field limit" in text:
        return f"a cell larger than {FIELD_LIMIT >> 20} MiB"
    if "new-line character" in text:
        return "a carriage return inside an unquoted cell (only \\n or \\r\\n line endings are read)"
    return f"malformed CSV: {text}"


def _check_header(header: list[str], file: str, line: int) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(file, "duplicate column name in the header", line, name)
        seen.add(name)


def decode_turn_lists(record: dict) -> dict:
    """CSV (and old Parquet exports) keep conversations as JSON text: decode them for validation."""
    out = record
    for key in ("messages", "conversations"):
        value = record.get(key)
        if isinstance(value, str) and value.lstrip()[:1] == "[":
            try:
                decoded = json.loads(value)
            except ValueError:
                continue  # stays text: validation reports it with file, line and field
            out = dict(out) if out is record else out
            out[key] = decoded
    return out


def neutralize(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def is_dangerous(cells: Sequence[str]) -> bool:
    return any(c.startswith(FORMULA_START) and not _NUMBER.fullmatch(c) for c in cells)


def cell(value: Any) -> str:
    """One value as CSV text: nested values as JSON, missing and non-finite numbers empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, (list, dict)):
        from curation.io.jsonout import dumps

        return dumps(value, ensure_ascii=False, compact=False)
    return str(value)


def row_bytes(cells: Sequence[str], newline: str, guard: bool) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerow([neutralize(c) for c in cells] if guard else cells)
    return buf.getvalue().encode("utf-8")
