"""A Python list of dicts as an input: each dict is kept as the JSON line we would write for
it (so it exports as JSON Lines, byte for byte on a second round trip). Values JSON cannot
hold are converted as ``curation.io.jsonout`` does (NaN becomes null, so a NaN text field
is reported as missing); a dict with a lone surrogate or an unserialisable value is a
located error ("<records>:ROW").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from curation.formats import DataError
from curation.io.jsonout import dumps
from curation.io.records import Container, RawRecord
from curation.io.source import Source


def read_list(source: Source, box: Container) -> Iterator[RawRecord]:
    """Each dict of ``source.records`` as a record with its JSON line as raw bytes."""
    box.kind, box.unit = "jsonl", "row"
    box.json_style = {"ensure_ascii": False, "compact": False}
    for i, rec in enumerate(source.records or []):
        err = None
        if not isinstance(rec, dict):
            err = DataError(source.display, f"expected a dict, got {type(rec).__name__}", i + 1, unit="row")
        else:
            try:
                text = dumps(rec)
                raw = (text + "\n").encode("utf-8")
            except UnicodeEncodeError:
                key = next((k for k, v in rec.items() if not _encodes(v)), None)
                err = DataError(source.display, "text with a lone surrogate", i + 1, key, unit="row")
            except (TypeError, ValueError, RecursionError) as exc:
                err = DataError(source.display, f"cannot write as JSON: {exc}", i + 1, unit="row")
        if err is not None:
            err.position = i
            yield RawRecord(i, i + 1, source.display, None, None, err)
        else:
            yield RawRecord(i, i + 1, source.display, json.loads(text), raw)


def _encodes(value: Any) -> bool:
    try:
        dumps(value).encode("utf-8")
        return True
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
