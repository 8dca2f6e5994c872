"""Read and write instruction datasets in the common formats.

Reading auto-detects alpaca, dolly, prompt/response, prompt-only, OpenAI messages and
ShareGPT records from ``.jsonl``, ``.json``, ``.csv`` and ``.parquet`` files, or takes an
explicit format with a column mapping. Every row becomes an ``Example`` that keeps the
original record, so ``to_record`` can write it back unchanged.

Bad input raises ``DataError`` naming file, line (or row) and field; nothing is returned
half-read unless the caller asks to skip bad rows, in which case every skipped row is
reported. Not handled: nested JSON arrays inside CSV cells, multi-file datasets (ingest
each file), and tool/function-call turns (rejected as unknown roles).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Iterator, Mapping

from curation.schema import Example, Turn

FORMATS = ("alpaca", "dolly", "prompt_response", "prompt_only", "messages", "sharegpt")
SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
RESPONSE_KEYS = ("response", "completion", "chosen")
ID_KEYS = ("id", "uid", "source_id", "_id", "example_id")
SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
}


class DataError(ValueError):
    """A problem in an input file, located by file, line/row and field."""

    def __init__(self, path: str | Path, message: str, line: int | None = None,
                 field_name: str | None = None, unit: str = "line"):
        self.path, self.line, self.field_name, self.message = str(path), line, field_name, message
        where = f"{self.path}:{line}" if line is not None else self.path
        what = f" ({unit} {line}, field '{field_name}')" if field_name else ""
        super().__init__(f"{where}: {message}{what}")


@dataclass
class ReadResult:
    examples: list[Example]
    format: str
    skipped: list[DataError] = field(default_factory=list)


def detect_format(record: Mapping[str, Any]) -> str | None:
    """Guess a record's format from its keys; None when nothing fits."""
    keys = set(record)
    if "messages" in keys:
        return "messages"
    if "conversations" in keys:
        return "sharegpt"
    if "instruction" in keys and "output" in keys:
        return "alpaca"
    if "instruction" in keys and "response" in keys:
        return "dolly"
    if "prompt" in keys and keys & set(RESPONSE_KEYS):
        return "prompt_response"
    if "prompt" in keys or "instruction" in keys:
        return "prompt_only"
    return None


def read_examples(path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None,
                  skip_bad: bool = False) -> ReadResult:
    """Read a whole dataset file into Examples (see module docstring for errors)."""
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise DataError(path, f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    examples: list[Example] = []
    skipped: list[DataError] = []
    unit = "row" if path.suffix.lower() in (".csv", ".parquet") else "line"
    for line_no, record in iter_records(path, skip_bad=skip_bad, skipped=skipped):
        try:
            if mapping:
                record = _apply_mapping(record, mapping, path, line_no, unit)
            if fmt is None:
                fmt = detect_format(record)
                if fmt is None:
                    raise DataError(path, "cannot tell the format from the keys "
                                    f"{sorted(record)[:8]}; pass --format and --map", line_no,
                                    next(iter(record), "?"), unit)
            turns = to_turns(record, fmt, path, line_no, unit)
        except DataError as err:
            if not skip_bad:
                raise
            skipped.append(err)
            continue
        examples.append(Example(row=len(examples), turns=turns, record=record, source_format=fmt,
                                source_id=_source_id(record)))
    if not examples:
        if skipped:
            raise DataError(path, f"no valid examples: all {len(skipped)} rows are bad; first: {skipped[0]}")
        raise DataError(path, "empty file: no examples found")
    return ReadResult(examples, fmt or "messages", skipped)


def iter_records(path: Path, skip_bad: bool = False,
                 skipped: list[DataError] | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line or row number, record dict), streaming where the format allows."""
    if not path.exists():
        raise DataError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(path, f"unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})")
    reader = {".jsonl": _iter_jsonl, ".json": _iter_json, ".csv": _iter_csv, ".parquet": _iter_parquet}[suffix]
    for item in reader(path):
        if isinstance(item, DataError):
            if not skip_bad:
                raise item
            if skipped is not None:
                skipped.append(item)
            continue
        yield item


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict] | DataError]:
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield DataError(path, f"bytes that are not UTF-8 at column {err.start + 1}", line_no)
                continue
            if line_no == 1:
                text = text.lstrip("\ufeff")
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                yield DataError(path, f"malformed JSON: {err.msg} at column {err.colno}", line_no)
                continue
            if not isinstance(obj, dict):
                yield DataError(path, f"expected a JSON object, got {type(obj).__name__}", line_no)
                continue
            yield line_no, obj


def _read_text(path: Path) -> str:
    """The whole file as UTF-8 text (BOM dropped); DataError names the line of a bad byte."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(path, "bytes that are not UTF-8", line) from None


def _iter_json(path: Path) -> Iterator[tuple[int, dict] | DataError]:
    text = _read_text(path)
    if not text.strip():
        raise DataError(path, "empty file: no examples found")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(path, f"malformed JSON: {err.msg} at column {err.colno}", err.lineno) from None
    if isinstance(data, dict):
        # {"data": [...]} or {"train": [...]} wrappers are common
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DataError(path, "expected a JSON array of records (or an object holding one array)")
        data = lists[0]
    if not isinstance(data, list):
        raise DataError(path, f"expected a JSON array of records, got {type(data).__name__}")
    for i, obj in enumerate(data, 1):
        if not isinstance(obj, dict):
            yield DataError(path, f"expected a JSON object, got {type(obj).__name__}", i, unit="record")
            continue
        yield i, obj


def _iter_csv(path: Path) -> Iterator[tuple[int, dict] | DataError]:
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    header = next(reader, None)
    if not header:
        raise DataError(path, "empty file: no header row")
    header = [h.strip() for h in header]
    for row in reader:
        line_no = reader.line_num
        if not row or all(not c for c in row):
            continue
        if len(row) != len(header):
            yield DataError(path, f"ragged row: {len(row)} cells but the header has {len(header)}",
                            line_no, header[min(len(row), len(header)) - 1], unit="row")
            continue
        yield line_no, _decode_turn_lists(dict(zip(header, row)))


def _decode_turn_lists(record: dict) -> dict:
    """CSV and Parquet cells hold conversations as JSON text (as our exporter writes them)."""
    for key in ("messages", "conversations"):
        value = record.get(key)
        if isinstance(value, str) and value[:1] == "[":
            # undecodable text stays text: validation reports it with file, row and field
            with contextlib.suppress(json.JSONDecodeError):
                record[key] = json.loads(value)
    return record


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict] | DataError]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(path, f"not a readable Parquet file: {err}") from None
    row = 0
    for batch in pf.iter_batches(batch_size=10_000):
        for rec in batch.to_pylist():
            row += 1
            yield row, _decode_turn_lists({k: _plain(v) for k, v in rec.items()})


def _plain(value: Any) -> Any:
    """Parquet gives numpy/arrow scalars and None for missing cells: keep plain Python."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _apply_mapping(record: dict, mapping: Mapping[str, str], path: Path, line: int, unit: str) -> dict:
    out = dict(record)
    for canonical, source in mapping.items():
        if source not in record:
            raise DataError(path, f"mapped column '{source}' is missing", line, source, unit)
        out[canonical] = record[source]
    return out


def _text(record: Mapping[str, Any], key: str, path: Path, line: int, unit: str,
          required: bool = True) -> str:
    value = record.get(key)
    if value is None:
        if required:
            raise DataError(path, "missing required field", line, key, unit)
        return ""
    if isinstance(value, float) and value != value:  # NaN from CSV/parquet
        return ""
    if not isinstance(value, str):
        raise DataError(path, f"expected text, got {type(value).__name__}", line, key, unit)
    return value


def to_turns(record: Mapping[str, Any], fmt: str, path: Path | str = "<record>", line: int = 0,
             unit: str = "line") -> tuple[Turn, ...]:
    """Canonical turns of one record in a known format; raises DataError when it does not fit."""
    path = Path(path)
    system = _text(record, "system", path, line, unit, required=False)
    head = (Turn("system", system),) if system else ()
    if fmt in ("alpaca", "dolly"):
        extra_key, answer_key = ("input", "output") if fmt == "alpaca" else ("context", "response")
        instruction = _text(record, "instruction", path, line, unit)
        extra = _text(record, extra_key, path, line, unit, required=False)
        answer = _text(record, answer_key, path, line, unit)
        user = f"{instruction}\n\n{extra}" if extra.strip() else instruction
        return head + (Turn("user", user), Turn("assistant", answer))
    if fmt == "prompt_response":
        key = next((k for k in RESPONSE_KEYS if k in record), RESPONSE_KEYS[0])
        prompt = _text(record, "prompt", path, line, unit)
        return head + (Turn("user", prompt), Turn("assistant", _text(record, key, path, line, unit)))
    if fmt == "prompt_only":
        key = "prompt" if "prompt" in record or "instruction" not in record else "instruction"
        return head + (Turn("user", _text(record, key, path, line, unit)),)
    if fmt == "messages":
        return _conversation(record, "messages", "role", "content", None, path, line, unit)
    if fmt == "sharegpt":
        return _conversation(record, "conversations", "from", "value", SHAREGPT_ROLES, path, line, unit)
    raise DataError(path, f"unknown format '{fmt}'", line)


def _conversation(record: Mapping[str, Any], key: str, role_key: str, text_key: str,
                  role_map: Mapping[str, str] | None, path: Path, line: int, unit: str) -> tuple[Turn, ...]:
    msgs = record.get(key)
    if msgs is None:
        raise DataError(path, "missing required field", line, key, unit)
    if not isinstance(msgs, list) or not msgs:
        raise DataError(path, f"expected a non-empty list of turns, got {type(msgs).__name__}", line, key, unit)
    turns = []
    for i, msg in enumerate(msgs):
        where = f"{key}[{i}]"
        if not isinstance(msg, dict):
            raise DataError(path, f"expected an object, got {type(msg).__name__}", line, where, unit)
        role = msg.get(role_key)
        if not isinstance(role, str):
            raise DataError(path, "missing or non-text role", line, f"{where}.{role_key}", unit)
        role = (role_map or {r: r for r in ("system", "user", "assistant")}).get(role.lower())
        if role is None:
            raise DataError(path, f"unknown role '{msg.get(role_key)}'", line, f"{where}.{role_key}", unit)
        content = msg.get(text_key)
        if not isinstance(content, str):
            raise DataError(path, f"expected text, got {type(content).__name__}", line, f"{where}.{text_key}", unit)
        turns.append(Turn(role, content))
    if all(t.role == "system" for t in turns):
        raise DataError(path, "conversation has no user or assistant turn", line, key, unit)
    return tuple(turns)


def _source_id(record: Mapping[str, Any]) -> str | None:
    for key in ID_KEYS:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None


def to_record(turns: tuple[Turn, ...], fmt: str, original: Mapping[str, Any] | None = None) -> dict:
    """Write turns back in ``fmt``, keeping every other field of ``original`` unchanged."""
    rec = dict(original or {})
    system = "\n\n".join(t.content for t in turns if t.role == "system")
    convo = [t for t in turns if t.role != "system"]
    answer = convo[-1].content if convo and convo[-1].role == "assistant" else ""
    users = [t.content for t in convo if t.role == "user"]
    if fmt in ("alpaca", "dolly"):
        extra_key, answer_key = ("input", "output") if fmt == "alpaca" else ("context", "response")
        if original is None or to_turns(original, fmt)[:-1] != turns[:-1]:
            rec["instruction"], rec[extra_key] = (users[-1] if users else ""), ""
        rec[answer_key] = answer
    elif fmt == "prompt_response":
        key = next((k for k in RESPONSE_KEYS if k in rec), "response")
        rec["prompt"], rec[key] = (users[-1] if users else ""), answer
    elif fmt == "prompt_only":
        key = "instruction" if "instruction" in rec and "prompt" not in rec else "prompt"
        rec[key] = users[-1] if users else ""
    elif fmt == "messages":
        rec["messages"] = [{"role": t.role, "content": t.content} for t in turns]
        return rec
    elif fmt == "sharegpt":
        back = {"system": "system", "user": "human", "assistant": "gpt"}
        rec["conversations"] = [{"from": back[t.role], "value": t.content} for t in turns]
        return rec
    else:
        raise ValueError(f"unknown format '{fmt}'")
    if system:
        rec["system"] = system
    return rec
