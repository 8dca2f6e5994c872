"""JSON Lines and JSON array readers that keep every record's original bytes and real line.

JSON Lines streams line by line; blank lines before a record travel with it, a UTF-8 BOM
and blank lines at the end are kept as the container's head and tail, so an untouched file
is written back byte for byte. A ``.json`` file is read whole (memory grows with it): a
top-level array, an object holding exactly one array (``{"data": [...]}``), or JSON Lines
under a ``.json`` name. Its records keep their text and the separator before them, and
errors name the line inside a pretty-printed file.

Strict JSON: duplicate keys, ``NaN``/``Infinity`` and lone surrogates are errors, and so is
nesting deeper than Python's parser allows. Not handled: JSON Lines records that span lines.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from curation.formats import DataError
from curation.io.lines import open_binary
from curation.io.records import Container, RawRecord
from curation.io.source import Source

BOM = b"\xef\xbb\xbf"
_CONSTANT_FIELD = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*-?(?:NaN|Infinity)')
_SURROGATE = re.compile(rb"\\[uU][dD][89a-fA-F]")
_WS = " \t\r\n"


class _Duplicate(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class _Constant(ValueError):
    pass


def _pairs(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return d


def _constant(name: str):  # noqa: ANN202
    raise _Constant(name)


DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant)
_PLAIN = json.JSONDecoder()


def decode(text: str, file: str, line: int, position: int, start: int = 0) -> tuple[object, int]:
    """Parse one JSON value of ``text`` at ``start``; DataError names the real line and field."""
    try:
        return DECODER.raw_decode(text, start)
    except json.JSONDecodeError as err:
        raise DataError(
            file,
            f"malformed JSON: {err.msg} at column {err.colno}",
            line + text.count("\n", start, min(err.pos, len(text.rstrip(_WS)))),
            position=position,
        ) from None
    except _Duplicate as dup:
        key = json.dumps(dup.key)
        first = text.find(key, start)
        second = text.find(key, first + 1) if first >= 0 else -1
        at = line + text.count("\n", start, second) if second >= 0 else line
        raise DataError(file, "duplicate key", at, dup.key, position=position) from None
    except _Constant as bad:
        m = _CONSTANT_FIELD.search(text, start)
        at = line + text.count("\n", start, m.start()) if m else line
        raise DataError(
            file, f"{bad} is not valid JSON (write null or a string)", at, m.group(1) if m else None, position=position
        ) from None
    except RecursionError:
        raise DataError(file, "JSON nested too deeply to read", line, position=position) from None


def check_text(obj: dict, raw: bytes, file: str, line: int, position: int) -> None:
    """Reject lone surrogates (``\\ud800`` escapes): they cannot be stored or written as UTF-8."""
    if b"\\" not in raw or not _SURROGATE.search(raw):
        return
    for key, value in obj.items():
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise DataError(
                file, "text with a lone surrogate (an unpaired \\ud800-\\udfff escape)", line, key, position=position
            ) from None


def _record(text: str, raw: bytes, file: str, line: int, position: int, start: int = 0) -> tuple[dict, int]:
    obj, end = decode(text, file, line, position, start)
    if not isinstance(obj, dict):
        raise DataError(file, f"expected a JSON object, got {type(obj).__name__}", line, position=position)
    check_text(obj, raw, file, line, position)
    return obj, end


def field_line(raw: bytes, line: int, field: str) -> int:
    """The line of ``field`` inside a pretty-printed record that starts on ``line`` (``raw``
    may begin with the separator before the record)."""
    start = len(raw) - len(raw.lstrip(b" \t\r\n,"))
    key = re.split(r"[\[.]", field, maxsplit=1)[0]
    at = raw.find(json.dumps(key).encode(), start)
    return line + raw.count(b"\n", start, at) if at >= 0 else line


def _name(source: Source, path: Path) -> str:
    return source.display if len(source.files) == 1 else str(path)


def read_jsonl(source: Source, box: Container) -> Iterator[RawRecord]:
    position, pending = 0, b""
    for path in source.files:
        with open_binary(path, source.compression) as fh:
            position, pending = yield from _jsonl_lines(
                fh, _name(source, path), box, position, pending, first_file=path == source.files[0]
            )
    box.tail = pending


def _jsonl_lines(
    lines,
    file: str,
    box: Container,
    position: int,
    pending: bytes,  # noqa: ANN001
    first_file: bool,
):  # noqa: ANN202  (a generator that returns (position, pending))
    for line, raw in enumerate(lines, 1):
        if line == 1 and raw.startswith(BOM):
            if first_file:
                box.head = BOM
            raw = raw[3:]
        if not raw.strip():
            pending += raw
            continue
        try:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(
                    file, f"bytes that are not UTF-8 at column {err.start + 1}", line, position=position
                ) from None
            obj, end = _record(text, raw, file, line, position)
            if text[end:].strip(_WS):
                raise DataError(file, f"extra data after the JSON object at column {end + 1}", line, position=position)
            if not box.json_style:
                box.json_style.update(_style(obj, raw))
                box.newline = "\r\n" if raw.endswith(b"\r\n") else "\n"
            yield RawRecord(position, line, file, obj, pending + raw)
        except DataError as err:
            yield RawRecord(position, line, file, None, pending + raw, err)
        pending = b""
        position += 1
    return position, pending


def _style(obj: dict, raw: bytes) -> dict:
    """How the source wrote JSON (ASCII escapes? compact separators?), for rows we re-write."""
    line = raw.strip()
    for ensure_ascii in (False, True):
        for compact in (False, True):
            seps = (",", ":") if compact else (", ", ": ")
            if json.dumps(obj, ensure_ascii=ensure_ascii, separators=seps).encode() == line:
                return {"ensure_ascii": ensure_ascii, "compact": compact}
    return {"ensure_ascii": not any(b > 127 for b in line) and b"\\u" in line, "compact": b'": ' not in line}


def read_json(source: Source, box: Container) -> Iterator[RawRecord]:
    if len(source.files) > 1:
        position = 0
        for path in source.files:
            part = Source("json", str(path), [path], source.compression)
            sub = Container("json")
            for rr in read_json(part, sub):
                rr.position = position
                if rr.error is not None:
                    rr.error.position = position
                position += 1
                yield rr
            if not box.sep:
                box.head, box.sep, box.tail, box.json_style = sub.head, sub.sep, sub.tail, sub.json_style
        return
    path = source.files[0]
    with open_binary(path, source.compression) as fh:
        data = fh.read()
    file = source.display
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(file, "bytes that are not UTF-8", data.count(b"\n", 0, err.start) + 1) from None
    bom = text.startswith("\ufeff")
    i = _skip(text, 1 if bom else 0)
    if i == len(text):
        raise DataError(file, "empty file: no examples found")
    if text[i] == "{":
        try:
            _, end = _PLAIN.raw_decode(text, i)
        except (ValueError, RecursionError):
            end = len(text)
        if _skip(text, end) < len(text):  # JSON Lines under a .json name
            box.kind = "jsonl"
            _, box.tail = yield from _jsonl_lines(io.BytesIO(data), file, box, 0, b"", True)
            return
        _whole(text, file)
        yield from _elements(text, _wrapped_array(text, i, file) + 1, file, box, wrapped=True)
    elif text[i] == "[":
        _whole(text, file)
        yield from _elements(text, i + 1, file, box, wrapped=False)
    else:
        raise DataError(
            file, "expected a JSON array of records (or an object holding one array)", 1 + text.count("\n", 0, i)
        )


def _whole(text: str, file: str) -> None:
    """Syntax errors first, with their real line: a record's content errors come after."""
    try:
        _PLAIN.decode(text)
    except json.JSONDecodeError as err:
        raise DataError(file, f"malformed JSON: {err.msg} at column {err.colno}", err.lineno) from None
    except RecursionError:
        raise DataError(file, "JSON nested too deeply to read") from None


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _wrapped_array(text: str, i: int, file: str) -> int:
    """Position of the one array inside a top-level object ({"data": [...]})."""
    found, j = [], _skip(text, i + 1)
    while j < len(text) and text[j] != "}":
        key, j = decode(text, file, 1, 0, j)
        j = _skip(text, j)
        j = _skip(text, j + 1)  # the ':' (the whole object already parsed, so it is there)
        if text[j] == "[":
            found.append(j)
        _, j = decode(text, file, 1, 0, j)
        j = _skip(text, j)
        if text[j] == ",":
            j = _skip(text, j + 1)
    if len(found) != 1:
        raise DataError(file, "expected a JSON array of records (or an object holding one array)")
    return found[0]


def _elements(text: str, i: int, file: str, box: Container, wrapped: bool) -> Iterator[RawRecord]:
    """Each element with the separator before it (the first without), so dropping one keeps
    the array valid and an untouched array is written back as it was."""
    j, position, line, counted, prev_end = _skip(text, i), 0, 1, 0, None
    box.head = text[:j].encode()
    while j < len(text) and text[j] != "]":
        line += text.count("\n", counted, j)
        counted = j
        start = j if prev_end is None else prev_end
        try:
            obj, end = _record(text, b"", file, line, position, j)
            error = None
        except DataError as err:
            try:  # a record that is valid JSON but not allowed (duplicate key, NaN): skippable
                _, end = _PLAIN.raw_decode(text, j)
            except (ValueError, RecursionError):
                raise err from None  # a syntax error: the rest of the array cannot be located
            obj, error = None, err
        raw = text[start:end].encode("utf-8", "surrogatepass")
        if error is None:
            try:
                check_text(obj, raw, file, line, position)
            except DataError as err:
                obj, error = None, err
        if error is None and prev_end is not None and not box.sep:
            box.sep = text[prev_end:j].encode()
        if error is None and not box.json_style:
            box.json_style.update(_style(obj, text[j:end].encode("utf-8", "surrogatepass")))
        yield RawRecord(position, line, file, obj, raw, error)
        prev_end, position = end, position + 1
        j = _skip(text, end)
        if j < len(text) and text[j] == ",":
            j = _skip(text, j + 1)
        elif j < len(text) and text[j] != "]":
            raise DataError(file, "malformed JSON: expected ',' or ']' after a record", 1 + text.count("\n", 0, j))
    if j >= len(text):
        raise DataError(file, "malformed JSON: the array is not closed", 1 + text.count("\n"))
    if not wrapped and _skip(text, j + 1) < len(text):
        raise DataError(file, "malformed JSON: extra data after the array", 1 + text.count("\n", 0, j))
    if prev_end is None:
        box.head, prev_end = text[:j].encode(), j
    box.tail = text[prev_end:].encode()
