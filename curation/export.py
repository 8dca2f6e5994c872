"""Write the curated set and its manifest (a dataset card saying what changed and why).

Exports are deterministic (same data + decisions = same bytes) and atomic: everything is
written to a temporary sibling and moved into place, so a crash never leaves a
half-written file. The manifest lists the input hash, the detector settings of the scan,
counts by status and by reason, every removed, edited or added row with its decision, the
reviewers, and the SHA-256 of the written data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from curation.decisions import CuratedRow
from curation.formats import to_record

EXPORT_FORMATS = ("jsonl", "parquet", "csv", "hf")


def records(rows: Sequence[CuratedRow], source_format: str) -> list[dict]:
    """The included rows as records in the source format (unchanged rows byte-for-byte)."""
    out = []
    for r in rows:
        if not r.included:
            continue
        if r.status in ("unchanged", "kept") and r.original is not None:
            out.append(dict(r.original.record))
        else:
            original = r.original.record if r.original is not None else None
            rec = to_record(r.turns, source_format, original)
            if r.status == "added":
                rec["curation_added"] = True
            out.append(rec)
    return out


def plan(rows: Sequence[CuratedRow]) -> dict[str, Any]:
    """Counts of what the export will change, by status and by reason: shown before writing."""
    by_status = Counter(r.status for r in rows)
    by_reason = Counter(f"{r.status}: {_reason(r)}" for r in rows if r.status in ("dropped", "edited", "added"))
    return {"n_source": sum(1 for r in rows if r.row is not None), "n_out": sum(1 for r in rows if r.included),
            "by_status": dict(sorted(by_status.items())), "by_reason": dict(sorted(by_reason.items()))}


def _reason(r: CuratedRow) -> str:
    if r.decision is None:
        return "no decision"
    return r.decision.reason or f"{r.decision.action} by {r.decision.actor}"


def write_export(rows: Sequence[CuratedRow], out: str | Path, fmt: str, source_format: str,
                 input_hash: str, scan: dict | None = None, dataset_name: str = "",
                 unapplied: dict[int, str] | None = None) -> dict[str, Any]:
    """Write the curated set to ``out`` and ``<out>.manifest.json``; returns the manifest."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format '{fmt}' (choose from {', '.join(EXPORT_FORMATS)})")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recs = records(rows, source_format)
    checksum = _atomic_write(out, fmt, recs)
    changes = [_change(r) for r in rows if r.status in ("dropped", "edited", "added")]
    manifest = {
        "dataset": dataset_name,
        "input_sha256": input_hash,
        "source_format": source_format,
        "output": out.name,
        "output_format": fmt,
        "output_sha256": checksum,
        **plan(rows),
        "reviewers": sorted({r.decision.actor for r in rows if r.decision is not None}),
        "as_of_decision": max((r.decision.id for r in rows if r.decision is not None), default=0),
        "scan": {"id": scan.get("id"), "settings": scan.get("settings")} if scan else None,
        "changes": changes,
        "unapplied": [{"decision_id": i, "problem": why} for i, why in sorted((unapplied or {}).items())],
    }
    _atomic_bytes(Path(f"{out}.manifest.json"),
                  json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True, default=str).encode())
    return manifest


def _change(r: CuratedRow) -> dict[str, Any]:
    d = r.decision
    entry: dict[str, Any] = {"row": r.row, "status": r.status}
    if d is not None:
        entry.update(decision_id=d.id, action=d.action, actor=d.actor, reason=d.reason, finding_id=d.finding_id)
    if r.status in ("edited", "added"):
        entry["messages"] = [{"role": t.role, "content": t.content} for t in r.turns]
    return entry


def _atomic_write(out: Path, fmt: str, recs: list[dict]) -> str:
    if fmt == "hf":
        return _write_hf(out, recs)
    tmp = Path(tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")[1])
    try:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                for rec in recs:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            import pandas as pd

            df = pd.DataFrame.from_records([_flat(r) for r in recs])
            if fmt == "csv":
                df.to_csv(tmp, index=False, lineterminator="\n")
            else:
                df.to_parquet(tmp, index=False)
        _fsync(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return _sha256(out)


def _flat(rec: dict) -> dict:
    """Lists/dicts (e.g. messages) become JSON text in CSV/Parquet cells; the reader decodes them."""
    return {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for k, v in rec.items()}


def _write_hf(out: Path, recs: list[dict]) -> str:
    from datasets import Dataset

    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        Dataset.from_list(recs).save_to_disk(str(tmp))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    h = hashlib.sha256()
    for rec in recs:
        h.update(json.dumps(rec, ensure_ascii=False, sort_keys=True).encode())
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
