"""Write the curated set in the source's shape, and its manifest (a dataset card saying what
changed and why).

The output container defaults to the one of ``out``'s suffix, else the source's (see
``curation.io.writer`` for what each keeps). Exports are deterministic (same data +
decisions = same bytes) and atomic: everything is written to a temporary sibling and moved
into place, so a crash never leaves a half-written file, and a bad target (a folder where a
file goes, a file or a foreign folder where an ``hf`` folder goes) is refused before
anything is written. The manifest lists the input hash, the source, the detector settings of
the scan, counts by status and by reason, every removed, edited or added row with its
decision (and the id an added row got), the reviewers, and the SHA-256 of the written data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from curation.api_names import callable_module
from curation.decisions import CuratedRow
from curation.io.rows import ExportError, added_ids, out_rows
from curation.io.source import split_suffix

EXPORT_FORMATS = ("jsonl", "json", "csv", "parquet", "hf")
TEXT_KINDS = ("jsonl", "json", "csv")


def plan(rows: Sequence[CuratedRow]) -> dict[str, Any]:
    """Counts of what the export will change, by status and by reason: shown before writing."""
    by_status = Counter(r.status for r in rows)
    by_reason = Counter(f"{r.status}: {_reason(r)}" for r in rows if r.status in ("dropped", "edited", "added"))
    return {
        "n_source": sum(1 for r in rows if r.row is not None),
        "n_out": sum(1 for r in rows if r.included),
        "by_status": dict(sorted(by_status.items())),
        "by_reason": dict(sorted(by_reason.items())),
    }


def _reason(r: CuratedRow) -> str:
    if r.decision is None:
        return "no decision"
    return r.decision.reason or f"{r.decision.action} by {r.decision.actor}"


def target_kind(out: str | Path, fmt: str | None, source: dict) -> tuple[str, str | None]:
    """(container, compression) to write: ``fmt``, else ``out``'s suffix, else the source's."""
    kind, compression = split_suffix(Path(out))
    if fmt is not None:
        if fmt not in EXPORT_FORMATS:
            raise ExportError(f"unknown export format '{fmt}' (choose from {', '.join(EXPORT_FORMATS)})")
        kind = fmt
    if kind is None:
        origin = source.get("origin")
        kind = {"dataset": "hf", "dataframe": "parquet", "arrow": "parquet"}.get(origin) or source.get("kind")
        kind = kind if kind in EXPORT_FORMATS else "jsonl"
    if compression and kind not in TEXT_KINDS:
        raise ExportError(f"{out}: only jsonl, json and csv exports can be compressed")
    return kind, compression


def check_target(out: Path, kind: str) -> None:
    """Refuse a target that would lose data or cannot be written, before writing anything."""
    if kind == "hf":
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out} is a file; an hf export is a folder (give a folder name)")
        if out.is_dir() and any(out.iterdir()) and not (out / "state.json").exists():
            raise ExportError(f"{out} exists and is not a Hugging Face dataset folder; refusing to replace it")
    elif out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name (or --format hf for a dataset folder)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"{out.parent}: cannot create the folder ({err.strerror or err})") from None
    if not os.access(out.parent, os.W_OK):
        raise ExportError(f"{out.parent}: the folder is not writable")


def write_export(
    rows: Sequence[CuratedRow],
    out: str | Path,
    fmt: str | None,
    source_format: str,
    input_hash: str,
    scan: dict | None = None,
    dataset_name: str = "",
    source: dict | None = None,
    chunks: Callable[[], Iterator[tuple[int, int, bytes]]] | None = None,
    with_provenance: bool = False,
    formula_guard: bool = True,
    unapplied: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Write the curated set to ``out`` and ``<out>.manifest.json``; returns the manifest.

    ``source`` describes the source (``Dataset.source``); ``chunks`` gives a columnar
    source's original Arrow values; ``with_provenance`` adds a status and decision column;
    ``formula_guard`` neutralises CSV cells that would run as spreadsheet formulas;
    ``unapplied`` (decision id -> why) lists the stored decisions that could not be applied."""
    source = dict(source or {})
    out = Path(out)
    kind, compression = target_kind(out, fmt, source)
    check_target(out, kind)
    ids = added_ids(rows, source.get("id_column"))
    columnar = chunks is not None and source.get("kind") in ("parquet", "hf", "arrow")
    outs = out_rows(rows, source_format, source, ids, chunks() if columnar else None)
    converted: list[str] = []
    checksum = _atomic_write(out, kind, compression, outs, source, with_provenance, formula_guard, converted)
    changes = [_change(r, ids) for r in rows if r.status in ("dropped", "edited", "added")]
    manifest = {
        "dataset": dataset_name,
        "input_sha256": source.get("file_sha256") or input_hash,
        "source_format": source_format,
        "source": {k: source.get(k) for k in ("kind", "origin", "compression", "mapping", "id_column")},
        "output": out.name,
        "output_format": kind,
        "output_compression": compression,
        "output_sha256": checksum,
        "with_provenance": with_provenance,
        "formula_guard": formula_guard if kind == "csv" else None,
        "columns_as_json_text": converted,
        **plan(rows),
        "reviewers": sorted({r.decision.actor for r in rows if r.decision is not None}),
        "as_of_decision": max((r.decision.id for r in rows if r.decision is not None), default=0),
        "scan": {"id": scan.get("id"), "settings": scan.get("settings")} if scan else None,
        "changes": changes,
        "unapplied": [{"decision_id": i, "problem": why} for i, why in sorted((unapplied or {}).items())],
    }
    _atomic_bytes(
        Path(f"{out}.manifest.json"),
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True, default=str).encode(),
    )
    return manifest


def _change(r: CuratedRow, ids: dict) -> dict[str, Any]:
    d = r.decision
    entry: dict[str, Any] = {"row": r.row, "status": r.status}
    if d is not None:
        entry.update(decision_id=d.id, action=d.action, actor=d.actor, reason=d.reason, finding_id=d.finding_id)
    if r.status in ("edited", "added"):
        entry["messages"] = [{"role": t.role, "content": t.content} for t in r.turns]
    if r.status == "added" and d is not None and d.id in ids:
        entry["id"] = ids[d.id]
    return entry


def _atomic_write(
    out: Path,
    kind: str,
    compression: str | None,
    outs: Iterator,
    source: dict,
    with_provenance: bool,
    formula_guard: bool,
    converted: list[str],
) -> str:
    from curation.io import writer

    if kind in ("parquet", "hf"):
        schema, parts = writer.arrow_parts(outs, source, with_provenance, converted)
    if kind == "hf":
        return _write_hf(out, lambda folder, scratch: writer.write_hf(schema, parts, folder, scratch))
    tmp = Path(tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")[1])
    try:
        if kind == "jsonl":
            writer.write_jsonl(outs, tmp, compression, source, with_provenance)
        elif kind == "json":
            writer.write_json(outs, tmp, compression, source, with_provenance)
        elif kind == "csv":
            writer.write_csv(outs, tmp, compression, source, with_provenance, formula_guard)
        else:
            writer.write_parquet(schema, parts, tmp)
        _fsync(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return _sha256(out)


def _write_hf(out: Path, write: Callable[[Path, Path], int]) -> str:
    scratch = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    old = out.with_name(f".{out.name}.old")
    try:
        folder = scratch / "dataset"
        write(folder, scratch)
        if out.exists():
            os.replace(out, old)
        os.replace(folder, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    h = hashlib.sha256()
    for data_file in sorted(out.glob("data-*.arrow")):
        h.update(data_file.read_bytes())
    return h.hexdigest()


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    _fsync(tmp)
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _api_export(*args: Any, **kwargs: Any) -> dict:
    from curation.api import export

    return export(*args, **kwargs)


callable_module(__name__, _api_export)  # `curation.export(...)` is the API function (see curation.api)
