"""Byte streams in and out, with gzip or zstd on either side, and lines with their endings.

Lines keep their exact bytes (``\\n`` or ``\\r\\n`` included), so a reader can store each
record's original bytes and a writer can put them back. zstd goes through pyarrow's codec
(no extra dependency); gzip output has no timestamp, so the same data gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO


class _ArrowReader(io.RawIOBase):
    """A pyarrow input stream as a Python raw stream (so BufferedReader gives fast lines)."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


@contextmanager
def open_binary(path: Path, compression: str | None) -> Iterator[BinaryIO]:
    """Read ``path`` as bytes, decompressing gzip or zstd on the fly."""
    with ExitStack() as stack:
        if compression == "gzip":
            yield stack.enter_context(gzip.open(path, "rb"))
        elif compression == "zstd":
            import pyarrow as pa

            raw = _ArrowReader(pa.input_stream(str(path), compression="zstd"))
            yield stack.enter_context(io.BufferedReader(raw, 1 << 20))
        else:
            yield stack.enter_context(open(path, "rb"))


@contextmanager
def open_output(path: Path, compression: str | None) -> Iterator[BinaryIO]:
    """Write bytes to ``path``, compressing with gzip (no mtime, so the same data gives the
    same bytes) or zstd."""
    with ExitStack() as stack:
        if compression == "gzip":
            raw = stack.enter_context(open(path, "wb"))
            yield stack.enter_context(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))
        elif compression == "zstd":
            import pyarrow as pa

            stream = pa.output_stream(str(path), compression="zstd")
            stack.callback(stream.close)
            yield stream
        else:
            yield stack.enter_context(open(path, "wb"))
