"""A small Python API for notebooks and scripts: the same steps as the command line.

Every function takes the workspace (a ``Workspace`` or a folder; default: the default
workspace) and a dataset (a ``Dataset``, its name or its id). Data goes in from a path (a
file, a folder of shards, a Hugging Face folder), a pandas DataFrame, a
``datasets.Dataset`` or a list of dicts, and comes out in the source's shape.

>>> import tempfile, curation
>>> ws = curation.Workspace(tempfile.mkdtemp())
>>> rows = [{"instruction": "How do I reset my password?", "output": "Open Settings > Account."},
...         {"instruction": "How do I reset my password?", "output": "Open Settings > Account."},
...         {"instruction": "Is there a dark mode?", "output": "Yes: Settings > Appearance."}]
>>> ds = curation.ingest(rows, workspace=ws, name="support")
>>> ds.n_examples, ds.format
(3, 'alpaca')
>>> found = curation.scan(ds, workspace=ws, settings={"detectors": ["duplicates"],
...                                                   "duplicates": {"semantic": None}})
>>> frame = curation.findings_frame(ds, workspace=ws)
>>> frame[["kind", "rows", "status"]].to_dict("records")
[{'kind': 'duplicate', 'rows': [0, 1], 'status': 'open'}]
>>> _ = ws.record_decision(ds.id, "drop", "me", rows=[1], reason="copy of row 0")
>>> manifest = curation.export(ds, f"{ws.root}/curated.jsonl", workspace=ws)
>>> manifest["n_out"], manifest["by_status"]
(2, {'dropped': 1, 'unchanged': 2})
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from curation.schema import Finding
from curation.store import Dataset, Workspace


def _ws(workspace: Workspace | str | Path | None) -> Workspace:
    return workspace if isinstance(workspace, Workspace) else Workspace(workspace)


def _ds(ws: Workspace, dataset: Dataset | str | int) -> Dataset:
    return dataset if isinstance(dataset, Dataset) else ws.dataset(dataset)


def ingest(
    data: Any,
    workspace: Workspace | str | Path | None = None,
    *,
    name: str | None = None,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    file_type: str | None = None,
    reference: bool = False,
) -> Dataset:
    """Store ``data`` (path, ``"-"``, DataFrame, ``datasets.Dataset`` or list of dicts) in the
    workspace and return its dataset; the same data twice returns the stored one. Raises
    ``DataError`` (file, line, field) for bad input, and nothing is stored."""
    from curation.workbench import ingest_file

    dataset, _, _ = ingest_file(
        _ws(workspace),
        data,
        fmt=format,
        mapping=mapping,
        skip_bad=skip_bad,
        name=name,
        is_reference=reference,
        file_type=file_type,
    )
    return dataset


def scan(
    dataset: Dataset | str | int,
    workspace: Workspace | str | Path | None = None,
    *,
    reference: Dataset | str | int | None = None,
    settings: Any = None,
    engine: str | Any = None,
) -> list[Finding]:
    """Run the detectors (``settings``: a ``ScanSettings`` or a dict of its fields) and store the
    findings; returns them, highest kind and score first. ``engine``: "local" (the default),
    "ray" (a local Ray, started and stopped here) or an engine from ``curation.engine``
    (for example ``RayEngine(address="auto")``, kept open for the next scan)."""
    from curation.engine import make_engine
    from curation.scan import ScanSettings
    from curation.workbench import scan_dataset

    ws = _ws(workspace)
    if isinstance(settings, Mapping):
        settings = ScanSettings.model_validate(settings)
    ref = _ds(ws, reference) if reference is not None else None
    own = isinstance(engine, str)
    eng = make_engine(engine) if own else engine
    try:
        _, findings, _ = scan_dataset(ws, _ds(ws, dataset), ref, settings=settings, engine=eng)
    finally:
        if own:
            eng.close()
    return findings


def findings_frame(
    dataset: Dataset | str | int,
    workspace: Workspace | str | Path | None = None,
    *,
    kind: str | None = None,
    status: str | None = None,
) -> Any:
    """The latest scan's findings as a pandas DataFrame (one row per finding, with its review
    status), highest score first."""
    import pandas as pd

    from curation.workbench import finding_status

    ws = _ws(workspace)
    ds = _ds(ws, dataset)
    st = finding_status(ws, ds)
    rows = [{**f.to_json(), "status": st.get(f.finding_id, "open")} for f in ws.findings(ds.id, kind=kind)]
    if status is not None:
        rows = [r for r in rows if r["status"] == status]
    columns = ["finding_id", "kind", "rows", "score", "detector", "reason", "status", "evidence", "reference_rows"]
    return pd.DataFrame(rows, columns=columns)


def export(
    dataset: Dataset | str | int,
    out: str | Path,
    workspace: Workspace | str | Path | None = None,
    *,
    format: str | None = None,
    with_provenance: bool = False,
    formula_guard: bool = True,
) -> dict:
    """Write the curated set (source rows + decisions) to ``out`` in the source's shape, with
    ``<out>.manifest.json``; returns the manifest."""
    from curation.workbench import export_dataset

    ws = _ws(workspace)
    return export_dataset(
        ws, _ds(ws, dataset), out, format, with_provenance=with_provenance, formula_guard=formula_guard
    )
