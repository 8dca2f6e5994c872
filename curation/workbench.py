"""The facade the CLI and the app call: ingest, scan, decide, derive, export.

Each function takes a ``Workspace`` and does one user-level step, so the CLI and the
Streamlit pages stay thin and behave the same.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from curation.curate import auto_decisions
from curation.decisions import CuratedRow
from curation.export import write_export
from curation.io import Reader, open_source
from curation.schema import Decision, Example, Finding
from curation.store import Dataset, Workspace


@dataclass
class IngestReport:
    """What an ingest found: the record format, and every skipped row (``row`` is its input
    position, ``line`` where it is, ``message`` the one-line error)."""

    format: str
    skipped: list[dict] = field(default_factory=list)
    versions: list[Dataset] = field(default_factory=list)  # same bytes read with other options


def ingest_file(
    ws: Workspace,
    path: str | Path | Any,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    name: str | None = None,
    is_reference: bool = False,
    file_type: str | None = None,
    reference_role: str | None = None,
) -> tuple[Dataset, bool, IngestReport]:
    """Read and store a dataset: all or nothing, streaming (see curation.io for what is read).
    ``path`` may be a file, a folder of shards, a Hugging Face folder, ``"-"`` (stdin), a
    DataFrame, a ``datasets.Dataset`` or a list of dicts. ``reference_role``: ``coverage`` (a
    coverage reference) or ``eval`` (an eval set); ``is_reference`` alone means a coverage
    reference. A source has one role (``RoleError``)."""
    source = open_source(path, file_type, spool_dir=None if ws.read_only else ws.root / "tmp")
    try:
        dataset, created = ws.ingest(
            Reader(source, fmt, mapping, skip_bad), name=name, is_reference=is_reference, reference_role=reference_role
        )
    finally:
        source.close()
    skipped = dataset_skipped(ws, dataset)
    return dataset, created, IngestReport(dataset.format, skipped, ws.versions(dataset))


def dataset_skipped(ws: Workspace, dataset: Dataset) -> list[dict]:
    """The rows an ingest with ``--skip-bad`` left out, with their input positions."""
    return [
        s if isinstance(s, dict) else {"row": None, "line": None, "message": s} for s in ws.skipped_rows(dataset.id)
    ]


def scan_dataset(
    ws: Workspace,
    dataset: Dataset,
    reference: Dataset | None = None,
    settings: Any = None,
    progress: Any = None,
    eval_set: Dataset | None = None,
    engine: Any = None,
) -> tuple[int, list[Finding], dict]:
    """Run every configured detector over a stored dataset and store the findings.
    ``reference``: a coverage reference (coverage gaps); ``eval_set``: an eval set (leakage);
    ``engine``: where the row-parallel stages run (see ``curation.engine``; None: here)."""
    from curation.scan import run_scan  # detectors pull in numpy/sklearn: load on demand

    for given, role, use in ((reference, "coverage", "reference"), (eval_set, "eval", "eval_set")):
        if given is not None and given.role != role:
            raise ValueError(
                f"{given.name} is stored as a {given.role_label}, not a "
                f"{'coverage reference' if role == 'coverage' else 'eval set'}: it cannot be the "
                f"scan's {use}"
            )
    started = time.time()
    examples = ws.examples(dataset.id)
    ref_examples = ws.examples(reference.id) if reference else None
    eval_examples = ws.examples(eval_set.id) if eval_set else None
    result = run_scan(
        examples,
        reference=ref_examples,
        settings=settings,
        cache_dir=ws.cache_dir,
        progress=progress,
        memo_scope=dataset.name,
        eval_set=eval_examples,
        engine=engine,
    )
    scan_id = ws.add_scan(
        dataset.id,
        result.findings,
        settings=result.settings,
        timings=result.timings,
        reference_dataset_id=reference.id if reference else None,
        started_at=started,
        eval_dataset_id=eval_set.id if eval_set else None,
    )
    return scan_id, list(result.findings), result.timings


class DatasetChoiceError(LookupError):
    """A command needs one dataset and the workspace cannot tell which."""


def choose_dataset(ws: Workspace, key: str | int | None) -> Dataset:
    """The dataset named ``key`` (name or id); without a key, the only dataset there is.
    Several datasets and no key is an error naming them: never a silent guess."""
    sets = ws.datasets(include_reference=False)
    if key is None:
        if not sets:
            raise DatasetChoiceError(
                f"workspace {ws.root} has no dataset yet: run `curate ingest FILE` or `curate demo`"
            )
        if len(sets) > 1:
            names = ", ".join(f"{d.name} (id {d.id})" for d in sets)
            raise DatasetChoiceError(
                f"workspace {ws.root} holds {len(sets)} datasets: choose one with --dataset NAME ({names})"
            )
        return sets[0]
    try:
        return ws.dataset(int(key) if isinstance(key, int) or str(key).isdigit() else str(key))
    except KeyError:
        names = ", ".join(d.name for d in sets) or "none"
        raise DatasetChoiceError(f"no dataset {key!r} in workspace {ws.root} (datasets: {names})") from None


def policy_decisions(
    ws: Workspace,
    dataset: Dataset,
    ledger=None,
    findings: Sequence[Finding] | None = None,
    examples: Sequence[Example] | None = None,
    merge_rewordings: bool = False,
) -> list[Decision]:
    """The no-review policy's decisions (``curation.curate.auto_decisions``) for a workspace
    dataset, with its rows and facts sheet as the evidence for suggested resolutions."""
    from curation.guidance import load_facts

    return auto_decisions(
        ws.findings(dataset.id) if findings is None else findings,
        dataset.id,
        ws.ledger(dataset.id) if ledger is None else ledger,
        ws.examples(dataset.id) if examples is None else examples,
        load_facts(ws, dataset.id),
        merge_rewordings,
    )


def curated_rows(
    ws: Workspace, dataset: Dataset, policy: bool = False, merge_rewordings: bool = False
) -> list[CuratedRow]:
    """The curated set: the source rows with every recorded decision applied; with ``policy``,
    the no-review policy fills in the findings nobody decided (under the recorded decisions)."""
    ledger = ws.ledger(dataset.id)
    examples = ws.examples(dataset.id)
    fallback = (
        policy_decisions(ws, dataset, ledger, examples=examples, merge_rewordings=merge_rewordings) if policy else ()
    )
    return ledger.curated(examples, fallback)


def export_dataset(
    ws: Workspace,
    dataset: Dataset,
    out: str | Path,
    fmt: str | None = None,
    policy: bool = False,
    with_provenance: bool = False,
    formula_guard: bool = True,
    actor: str | None = None,
    merge_rewordings: bool = False,
) -> dict:
    """Write the curated set in the source's shape (``fmt`` None: from ``out``'s suffix, else the
    source's container) and its manifest; see ``curation.export``. With ``policy``, the
    no-review policy fills in the findings nobody decided (under the recorded decisions).
    ``actor``: who exported, for the audit log (a read-only workspace records nothing)."""
    manifest = _export(ws, dataset, out, fmt, policy, with_provenance, formula_guard, merge_rewordings)
    if actor and not ws.read_only:
        ws.audit(
            "export",
            actor,
            target=dataset.name,
            detail={"out": str(out), "n_out": manifest["n_out"], "sha256": manifest["output_sha256"]},
        )
    return manifest


def _export(
    ws: Workspace,
    dataset: Dataset,
    out: str | Path,
    fmt: str | None,
    policy: bool,
    with_provenance: bool,
    formula_guard: bool,
    merge_rewordings: bool = False,
) -> dict:
    ledger = ws.ledger(dataset.id)
    examples = ws.examples(dataset.id, with_raw=True)
    fallback = (
        policy_decisions(ws, dataset, ledger, examples=examples, merge_rewordings=merge_rewordings) if policy else ()
    )
    rows = ledger.curated(examples, fallback)
    scan_id = ws.latest_scan_id(dataset.id)
    scan = ws.scan_info(scan_id) if scan_id else None
    source = dataset.source or {"kind": _legacy_kind(dataset.path)}
    return write_export(
        rows,
        out,
        fmt,
        dataset.format,
        dataset.content_hash,
        scan=scan,
        dataset_name=dataset.name,
        source=source,
        chunks=lambda: ws.iter_chunks(dataset.id),
        with_provenance=with_provenance,
        formula_guard=formula_guard,
        unapplied=ledger.problems,
    )


def _legacy_kind(path: str) -> str:
    """Datasets stored before schema v3 kept no source description: guess from the file name."""
    from curation.io.source import split_suffix

    return split_suffix(Path(path))[0] or "jsonl"


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
    """finding_id -> open | skipped | voted | disputed | settled | resolved (anyone's skip
    counts; a coverage gap is resolved once its reference prompts are covered): the statuses
    the app's queues show (``curation.review.states``)."""
    from curation.review import states

    return {fid: state.status for fid, state in states(ws, dataset.id).items()}
