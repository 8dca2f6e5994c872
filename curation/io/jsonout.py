"""JSON text for rows we write ourselves: always valid JSON.

NaN and Infinity become ``null`` (bare ``NaN`` is not JSON), bytes become base64 text,
dates and times ISO 8601 text, decimals and other scalars their string form.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from typing import Any


def clean(value: Any) -> Any:
    """``value`` with everything JSON cannot hold replaced (see module docstring)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return clean(value.tolist())
    return str(value)


def dumps(obj: Any, ensure_ascii: bool = False, compact: bool = False, indent: int | None = None) -> str:
    seps = (",", ":") if compact else (", ", ": ")
    if indent is not None:
        seps = (",", ": ")
    return json.dumps(clean(obj), ensure_ascii=ensure_ascii, separators=seps, indent=indent, allow_nan=False)
