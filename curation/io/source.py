"""Where a dataset comes from: one file, a folder of shards, a Hugging Face ``save_to_disk``
folder, stdin, or an object in memory (pandas DataFrame, ``datasets.Dataset``, Arrow table,
list of dicts).

``open_source`` resolves any of these into a ``Source``: its kind (the container: jsonl,
json, csv, parquet, hf, arrow or records), its files in order, their compression, and a
digest of its bytes. Stdin is spooled to a temporary file first, so it can be hashed,
sniffed and read twice like a file. Not handled: a ``DatasetDict`` folder (pass one split's
folder), compressed Parquet, and shards of mixed kinds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.formats import DataError

KINDS = ("jsonl", "json", "csv", "parquet", "hf")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}


@dataclass
class Source:
    """A resolved input. ``files`` is empty for in-memory sources (``table``/``records``)."""

    kind: str
    display: str
    files: list[Path] = field(default_factory=list)
    compression: str | None = None
    table: Any = None  # pyarrow.Table for kind "arrow"
    records: list | None = None  # list of dicts for kind "records"
    origin: str = "file"  # file | folder | stdin | dataframe | dataset | arrow | records
    _tmp: Path | None = None

    def digest(self) -> str:
        """SHA-256 of the source's bytes (shards in order; in-memory data as written by us)."""
        h = hashlib.sha256()
        for path in self.files:
            with open(path, "rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
        if self.table is not None:
            import pyarrow as pa

            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, self.table.schema) as writer:
                for batch in self.table.to_batches(max_chunksize=8192):
                    writer.write_batch(batch)
            h.update(sink.getvalue())
        if self.records is not None:
            for rec in self.records:
                h.update(
                    json.dumps(rec, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
                )
        return h.hexdigest()

    def describe(self) -> dict:
        """What the manifest and the dataset row keep about the source."""
        return {
            "kind": self.kind,
            "origin": self.origin,
            "compression": self.compression,
            "files": [str(p.resolve()) for p in self.files] if self._tmp is None else [],
        }

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def open_source(obj: Any, file_type: str | None = None, spool_dir: str | Path | None = None) -> Source:
    """Resolve a path, ``"-"`` (stdin), DataFrame, ``datasets.Dataset``, Arrow table or list of
    dicts into a ``Source``; ``file_type`` overrides the suffix (and sniffing for stdin)."""
    if file_type is not None and file_type not in KINDS:
        raise DataError("--type", f"unknown file type '{file_type}' (choose from {', '.join(KINDS)})")
    if isinstance(obj, list):
        return Source("records", "<records>", records=obj, origin="records")
    if _is_dataframe(obj):
        import pyarrow as pa

        try:
            table = pa.Table.from_pandas(obj, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise DataError("<dataframe>", f"cannot convert to Arrow: {_first_line(err)}") from None
        return Source("arrow", "<dataframe>", table=table, origin="dataframe")
    if type(obj).__name__ == "Dataset" and hasattr(obj, "data") and hasattr(obj.data, "table"):
        table = obj.data.table
        if getattr(obj, "_indices", None) is not None:  # a filtered/shuffled view: materialize it
            table = obj.flatten_indices().data.table
        return Source("arrow", "<dataset>", table=table, origin="dataset")
    if type(obj).__name__ == "Table" and hasattr(obj, "schema") and hasattr(obj, "to_batches"):
        return Source("arrow", "<arrow table>", table=obj, origin="arrow")
    if str(obj) == "-":
        return _stdin(file_type, spool_dir)
    return _path(Path(obj), file_type)


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_records") and hasattr(obj, "columns")


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def split_suffix(path: Path) -> tuple[str | None, str | None]:
    """(kind, compression) from a file name such as ``data.jsonl.zst``; kind None when unknown."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    return (SUFFIXES.get(suffixes[-1]) if suffixes else None), compression


def _path(path: Path, file_type: str | None) -> Source:
    if not path.exists():
        raise DataError(path, "file not found")
    if path.is_dir():
        return _folder(path, file_type)
    kind, compression = split_suffix(path)
    kind = file_type or kind
    if kind is None:
        raise DataError(
            path,
            f"unsupported file type '{''.join(path.suffixes) or path.name}' "
            f"(use .jsonl, .json, .csv or .parquet, optionally .gz/.zst, or --type)",
        )
    if kind == "hf":
        raise DataError(path, "a Hugging Face dataset is a folder (save_to_disk), not a file")
    if kind == "parquet" and compression:
        raise DataError(path, "compressed Parquet is not supported: Parquet compresses its own pages")
    return Source(kind, str(path), files=[path], compression=compression)


def _folder(path: Path, file_type: str | None) -> Source:
    if (path / "dataset_dict.json").exists():
        splits = sorted(p.name for p in path.iterdir() if p.is_dir())
        raise DataError(path, f"a DatasetDict folder: ingest one split's folder ({', '.join(splits)})")
    if (path / "state.json").exists():
        try:
            state = json.loads((path / "state.json").read_text(encoding="utf-8"))
            files = [path / f["filename"] for f in state["_data_files"]]
        except (ValueError, KeyError, TypeError) as err:
            raise DataError(path / "state.json", f"not a Hugging Face save_to_disk state file ({err})") from None
        missing = [f.name for f in files if not f.exists()]
        if missing:
            raise DataError(path, f"Hugging Face dataset folder lacks {', '.join(missing)}")
        return Source("hf", str(path), files=files, origin="folder")
    shards: dict[tuple[str, str | None], list[Path]] = {}
    for child in sorted(path.iterdir(), key=lambda p: _natural(p.name)):
        if child.name.startswith((".", "_")) or not child.is_file() or child.name.endswith(".manifest.json"):
            continue
        kind, compression = split_suffix(child)
        if kind is not None:
            shards.setdefault((file_type or kind, compression), []).append(child)
    if not shards:
        raise DataError(path, "a folder with no data files (.jsonl, .json, .csv, .parquet, optionally .gz/.zst)")
    if len(shards) > 1:
        kinds = ", ".join(f"{k}{'+' + c if c else ''}" for k, c in shards)
        raise DataError(path, f"a folder of shards must hold one kind of file, found {kinds}")
    (kind, compression), files = next(iter(shards.items()))
    if kind == "parquet" and compression:
        raise DataError(files[0], "compressed Parquet is not supported: Parquet compresses its own pages")
    return Source(kind, str(path), files=files, compression=compression, origin="folder")


def _natural(name: str) -> list:
    """Sort key so shard-2 comes before shard-10."""
    import re

    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _stdin(file_type: str | None, spool_dir: str | Path | None) -> Source:
    if spool_dir is not None:
        Path(spool_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="stdin-", dir=spool_dir))
    spooled = tmp / "stdin"
    try:
        with open(spooled, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        head = spooled.open("rb").read(8)
        compression = next((c for magic, c in MAGIC.items() if head.startswith(magic)), None)
        kind = file_type or sniff(_peek(spooled, compression))
        if kind == "parquet" and compression:
            raise DataError("<stdin>", "compressed Parquet is not supported")
        if kind == "hf":
            raise DataError("<stdin>", "a Hugging Face dataset is a folder; it cannot come from stdin")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Source(kind, "<stdin>", files=[spooled], compression=compression, origin="stdin", _tmp=tmp)


def _peek(path: Path, compression: str | None, n: int = 1 << 16) -> bytes:
    from curation.io.lines import open_binary

    with open_binary(path, compression) as fh:
        return fh.read(n)


def sniff(head: bytes) -> str:
    """The kind of a stream from its first bytes: Parquet magic, a JSON array, JSON lines, or CSV."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0]
        try:
            json.loads(first)
            return "jsonl"
        except ValueError:
            return "json"
    if not text:
        return "jsonl"
    return "csv"
