"""Byte streams in and out, with gzip or zstd on either side, and lines with their endings.

Lines keep their exact bytes (``\\n`` or ``\\r\\n`` included), so a reader can store each
record's original bytes and a writer can put them back. zstd goes through pyarrow's codec
(no extra dependency); gzip output has no timestamp, so the same data gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
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
    if compression == "gzip":
        fh: BinaryIO = gzip.open(path, "rb")
    elif compression == "zstd":
        import pyarrow as pa

        fh = io.BufferedReader(_ArrowReader(pa.input_stream(str(path), compression="zstd")), 1 << 20)
    else:
        fh = open(path, "rb")
    try:
        yield fh
    finally:
        fh.close()


@contextmanager
def open_output(path: Path, compression: str | None) -> Iterator[BinaryIO]:
    """Write bytes to ``path``, compressing with gzip (no mtime) or zstd."""
    if compression == "gzip":
        raw = open(path, "wb")
        fh: BinaryIO = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        try:
            yield fh
        finally:
            fh.close()
            raw.close()
        return
    if compression == "zstd":
        import pyarrow as pa

        stream = pa.output_stream(str(path), compression="zstd")
        try:
            yield stream
        finally:
            stream.close()
        return
    with open(path, "wb") as fh:
        yield fh


def read_lines(fh: BinaryIO) -> Iterator[bytes]:
    """Lines of a binary stream, each with its own line ending (the last may have none)."""
    yield from fh


def decode_error_line(data: bytes, start: int) -> int:
    """1-based line of byte offset ``start`` in ``data``."""
    return data.count(b"\n", 0, start) + 1
