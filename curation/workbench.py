"""The facade the CLI and the app call: ingest, scan, decide, derive, export.

Each function takes a ``Workspace`` and does one user-level step, so the CLI and the
Streamlit pages stay thin and behave the same.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from curation.curate import CuratedRow, derive
from curation.export import write_export
from curation.formats import ReadResult, read_examples
from curation.schema import Finding
from curation.store import Dataset, Workspace


def ingest_file(ws: Workspace, path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None,
                skip_bad: bool = False, name: str | None = None, is_reference: bool = False
                ) -> tuple[Dataset, bool, ReadResult]:
    """Read and store a dataset file: all or nothing (see curation.formats for errors)."""
    result = read_examples(path, fmt=fmt, mapping=mapping, skip_bad=skip_bad)
    dataset, created = ws.ingest(result, path, name=name, is_reference=is_reference)
    return dataset, created, result


def scan_dataset(ws: Workspace, dataset: Dataset, reference: Dataset | None = None,
                 settings: Any = None, progress: Any = None) -> tuple[int, list[Finding], dict]:
    """Run every configured detector over a stored dataset and store the findings."""
    from curation.scan import run_scan  # detectors pull in numpy/sklearn: load on demand

    started = time.time()
    examples = ws.examples(dataset.id)
    ref_examples = ws.examples(reference.id) if reference else None
    result = run_scan(examples, reference=ref_examples, settings=settings, cache_dir=ws.cache_dir,
                      progress=progress, memo_scope=dataset.name)
    scan_id = ws.add_scan(dataset.id, result.findings, settings=result.settings, timings=result.timings,
                          reference_dataset_id=reference.id if reference else None, started_at=started)
    return scan_id, list(result.findings), result.timings


def curated_rows(ws: Workspace, dataset: Dataset, extra_decisions: Sequence = ()) -> list[CuratedRow]:
    """The curated set as derived from the source rows and every recorded decision."""
    return derive(ws.examples(dataset.id), list(ws.decisions(dataset.id)) + list(extra_decisions))


def export_dataset(ws: Workspace, dataset: Dataset, out: str | Path, fmt: str = "jsonl",
                   extra_decisions: Sequence = ()) -> dict:
    rows = curated_rows(ws, dataset, extra_decisions)
    scan_id = ws.latest_scan_id(dataset.id)
    scan = ws.scan_info(scan_id) if scan_id else None
    return write_export(rows, out, fmt, dataset.format, dataset.content_hash, scan=scan, dataset_name=dataset.name)


def write_findings(findings: Sequence[Finding], path: str | Path) -> None:
    """The findings file of the contract: one JSON object per line, UTF-8, written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for f in findings:
            fh.write(json.dumps(f.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(path)


def finding_status(ws: Workspace, dataset: Dataset) -> dict[str, str]:
    """finding_id -> open | resolved | skipped, from the decision events."""
    from curation.curate import effective

    status: dict[str, str] = {}
    decisions = ws.decisions(dataset.id)
    undone = {d.undoes for d in decisions if d.action == "undo"}
    for d in decisions:
        if d.finding_id is None or d.id in undone or d.action == "undo":
            continue
        status[d.finding_id] = "skipped" if d.action == "skip" else "resolved"
    live = {d.finding_id for d in effective(decisions) if d.finding_id}
    for fid, st in list(status.items()):
        if st == "resolved" and fid not in live:
            status[fid] = "open"
    return status
