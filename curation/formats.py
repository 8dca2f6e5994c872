"""Instruction-data record formats: detect them, validate a record into canonical turns, and
write turns back into a record of the same shape.

Formats: alpaca, dolly, prompt/response, prompt-only, OpenAI messages and ShareGPT. A
``--map CANONICAL=SOURCE`` mapping is a *view*: validation reads the source column under
its canonical name, and ``to_source_record`` writes an edit back into the source column, so
canonical names are never added to a record. Reading files (every container and
compression) lives in ``curation.io``; ``read_examples`` here is the list-returning helper.

Validation is strict: a required text that is missing, empty, NaN or not a string is a
``DataError`` naming file, line (or row) and field. Not handled: tool/function-call turns
(rejected as unknown roles) and DPO records whose ``chosen`` is a list of turns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.schema import Example, Turn

FORMATS = ("alpaca", "dolly", "prompt_response", "prompt_only", "messages", "sharegpt")
RESPONSE_KEYS = ("response", "completion", "chosen")
ID_KEYS = ("id", "uid", "source_id", "_id", "example_id")
CANONICAL_KEYS = (
    "instruction",
    "input",
    "output",
    "context",
    "response",
    "prompt",
    "completion",
    "chosen",
    "messages",
    "conversations",
    "system",
    "id",
)
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
    """A problem in an input, located by file, line (or row) and field.

    ``position`` is the 0-based position of the bad record in the input when known (the
    number a finding's ``rows`` would use), so ``--skip-bad`` can report it.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        line: int | None = None,
        field_name: str | None = None,
        unit: str = "line",
        position: int | None = None,
    ):
        self.path, self.line, self.field_name, self.message = str(path), line, field_name, message
        self.unit, self.position = unit, position
        where = f"{self.path}:{line}" if line is not None else self.path
        what = f" ({unit} {line}, field '{field_name}')" if field_name else ""
        super().__init__(f"{where}: {message}{what}")


@dataclass
class ReadResult:
    """A whole input read into memory (``read_examples``); ingest streams instead."""

    examples: list[Example]
    format: str
    skipped: list[DataError] = field(default_factory=list)


def detect_format(record: Mapping[str, Any] | set[str]) -> str | None:
    """Guess the format from a record's keys (or the union of a file's keys); None when
    nothing fits."""
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


def check_mapping(mapping: Mapping[str, str] | None, path: str | Path = "--map") -> dict[str, str]:
    """A validated copy of a ``--map`` mapping (canonical name -> source column)."""
    out = dict(mapping or {})
    for canonical, source in out.items():
        if canonical not in CANONICAL_KEYS:
            raise DataError(
                path, f"--map names an unknown field '{canonical}' (choose from {', '.join(CANONICAL_KEYS)})"
            )
        if not source:
            raise DataError(path, f"--map {canonical}= names no source column")
    return out


def view(
    record: Mapping[str, Any],
    mapping: Mapping[str, str],
    path: str | Path = "<record>",
    line: int | None = None,
    unit: str = "line",
) -> dict:
    """The record as validation sees it: each mapped source column under its canonical name."""
    out = dict(record)
    for canonical, source in mapping.items():
        if source not in record:
            raise DataError(path, f"mapped column '{source}' is missing", line, source, unit)
        out[canonical] = record[source]
    return out


def _text(
    record: Mapping[str, Any],
    key: str,
    path: Path,
    line: int,
    unit: str,
    required: bool = True,
    where: str | None = None,
    blank: bool = False,
) -> str:
    """A text field. ``required`` fields must be present; ``blank`` allows them to be empty (an empty
    answer is real data, kept as it is and flagged by the quality detector; an empty request is not)."""
    value, where = record.get(key), where or key
    if value is None:
        if required:
            raise DataError(path, "missing required field", line, where, unit)
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        raise DataError(path, f"expected text, got {value}", line, where, unit)
    if not isinstance(value, str):
        raise DataError(path, f"expected text, got {type(value).__name__}", line, where, unit)
    if required and not blank and (not value or value.isspace()):
        raise DataError(path, "empty text in a required field", line, where, unit)
    return value


def to_turns(
    record: Mapping[str, Any], fmt: str, path: Path | str = "<record>", line: int = 0, unit: str = "line"
) -> tuple[Turn, ...]:
    """Canonical turns of one record in a known format; raises DataError when it does not fit."""
    system = _text(record, "system", path, line, unit, required=False)
    head = (Turn("system", system),) if system else ()
    if fmt in ("alpaca", "dolly"):
        extra_key, answer_key = ("input", "output") if fmt == "alpaca" else ("context", "response")
        instruction = _text(record, "instruction", path, line, unit)
        extra = _text(record, extra_key, path, line, unit, required=False)
        answer = _text(record, answer_key, path, line, unit, blank=True)
        user = f"{instruction}\n\n{extra}" if extra.strip() else instruction
        return head + (Turn("user", user), Turn("assistant", answer))
    if fmt == "prompt_response":
        key = next((k for k in RESPONSE_KEYS if k in record), RESPONSE_KEYS[0])
        prompt = _text(record, "prompt", path, line, unit)
        return head + (Turn("user", prompt), Turn("assistant", _text(record, key, path, line, unit, blank=True)))
    if fmt == "prompt_only":
        key = "prompt" if "prompt" in record or "instruction" not in record else "instruction"
        return head + (Turn("user", _text(record, key, path, line, unit)),)
    if fmt == "messages":
        return _conversation(record, "messages", "role", "content", None, path, line, unit)
    if fmt == "sharegpt":
        return _conversation(record, "conversations", "from", "value", SHAREGPT_ROLES, path, line, unit)
    raise DataError(path, f"unknown format '{fmt}'", line)


def _conversation(
    record: Mapping[str, Any],
    key: str,
    role_key: str,
    text_key: str,
    role_map: Mapping[str, str] | None,
    path: Path,
    line: int,
    unit: str,
) -> tuple[Turn, ...]:
    msgs = record.get(key)
    if msgs is None:
        raise DataError(path, "missing required field", line, key, unit)
    if not isinstance(msgs, list) or not msgs:
        raise DataError(path, f"expected a non-empty list of turns, got {type(msgs).__name__}", line, key, unit)
    roles = role_map or _ROLES
    turns = []
    for i, msg in enumerate(msgs):
        # the common case checks cheaply; the field path is only spelled out for an error
        role = msg.get(role_key) if isinstance(msg, dict) else None
        role = roles.get(role.lower()) if isinstance(role, str) else None
        content = msg.get(text_key) if role is not None else None
        if role is None or not isinstance(content, str) or (role == "user" and (not content or content.isspace())):
            _bad_turn(msg, i, key, role_key, text_key, roles, path, line, unit)
        turns.append(Turn(role, content if content is not None else ""))
    if all(t.role == "system" for t in turns):
        raise DataError(path, "conversation has no user or assistant turn", line, key, unit)
    return tuple(turns)


_ROLES = {r: r for r in ("system", "user", "assistant")}


def _bad_turn(
    msg: Any, i: int, key: str, role_key: str, text_key: str, roles: Mapping[str, str], path: Path, line: int, unit: str
) -> None:
    """Raise the located error for one turn (or return: a system turn may have no content)."""
    where = f"{key}[{i}]"
    if not isinstance(msg, dict):
        raise DataError(path, f"expected an object, got {type(msg).__name__}", line, where, unit)
    role = msg.get(role_key)
    if not isinstance(role, str):
        raise DataError(path, "missing or non-text role", line, f"{where}.{role_key}", unit)
    if roles.get(role.lower()) is None:
        raise DataError(path, f"unknown role '{role}'", line, f"{where}.{role_key}", unit)
    _text(
        msg,
        text_key,
        path,
        line,
        unit,
        required=roles[role.lower()] != "system",
        where=f"{where}.{text_key}",
        blank=roles[role.lower()] == "assistant",
    )


def source_id(record: Mapping[str, Any], key: str | None = None) -> str | None:
    """The record's id: the value of ``key`` (the dataset's id column) or of the first id-like field."""
    for k in (key,) if key else ID_KEYS:
        value = record.get(k)
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
            rec["instruction"] = users[-1] if users else ""
            if original is None or extra_key in original:
                rec[extra_key] = ""
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
    if system or "system" in rec:
        rec["system"] = system
    return rec


def to_source_record(
    turns: tuple[Turn, ...], fmt: str, original: Mapping[str, Any] | None, mapping: Mapping[str, str] | None = None
) -> dict:
    """``to_record`` through a ``--map`` view: changed canonical fields land in their source
    columns, and no canonical name is added to the record."""
    if not mapping:
        return to_record(turns, fmt, original)
    base = dict(original or {})
    seen = {c: base[s] for c, s in mapping.items() if s in base}
    new = to_record(turns, fmt, {**base, **seen} if original is not None else None)
    out = dict(base)
    for key, value in new.items():
        out[mapping.get(key, key)] = value  # a shadowed real column named like a canonical one stays
    return out


def read_examples(
    path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None, skip_bad: bool = False
) -> ReadResult:
    """Read a whole input (any file, folder or container ``curation.io`` reads) into memory."""
    from curation.io.reader import read_all

    return read_all(path, fmt=fmt, mapping=mapping, skip_bad=skip_bad)
