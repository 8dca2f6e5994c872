"""What every container reader yields: one ``RawRecord`` per input record, in input order.

``position`` is the record's 0-based position in the whole input (what a finding's ``rows``
use); ``line`` is where it starts (a line for text files, a 1-based row for columnar ones);
``raw`` is its original bytes when the container has them. A record that cannot be parsed
carries its ``error`` instead. Columnar readers also yield ``Chunk``s: the original Arrow
values of the records that follow, so an export can put them back untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from curation.formats import DataError


@dataclass(slots=True)
class RawRecord:
    position: int
    line: int
    file: str
    record: dict | None
    raw: bytes | None = None
    error: DataError | None = None


@dataclass(slots=True)
class Chunk:
    """Arrow values of input positions ``start`` .. ``start + n_rows - 1`` (IPC stream bytes)."""

    start: int
    n_rows: int
    data: bytes


@dataclass
class Container:
    """What a reader learns about the container as it reads: bytes around the records, the
    column order, the newline and JSON style of text files, the Arrow schema of columnar ones."""

    kind: str
    head: bytes = b""
    tail: bytes = b""
    sep: bytes = b""
    newline: str = "\n"
    columns: list[str] = field(default_factory=list)
    json_style: dict[str, Any] = field(default_factory=dict)
    schema: bytes | None = None
    unit: str = "line"
