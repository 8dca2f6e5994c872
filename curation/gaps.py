"""How far each coverage gap is closed: which of its reference prompts the curated data covers.

A ``coverage_gap`` finding lists reference prompts the training data did not cover. It stays
open until every one of them is covered, or until a reviewer records that no example is
needed (a ``keep`` naming it; ``curation.decisions`` reads that). A reference prompt is
covered when a request of the curated data is close to it as the coverage detector judges
it (``coverage.covering``, with the settings the scan ran with): close in meaning (the
scan's embedding model over the user request without the system prompt, cosine at least
``cover_cosine``) and of every edge-case kind the prompt is (a question asked with
conflicting instructions is not covered by the plain question). What can cover a
prompt: an example a reviewer added (``add``, whichever gap it was written for), a row whose
request an edit changed, and a training row the scan already found that close
(``evidence.covered_by``) while it stays in the curated set. A gap of an edge-case category (``edge_cases``) also closes by its own
detector's rule: when the rows of that category the scan counted plus the added examples of
it reach the detector's threshold (without a reference set), or ``max_share_ratio`` of the
category's share of the reference prompts (with one): what a re-scan would no longer report.

``closed`` is what ``Ledger.items(covered=...)`` takes, so `curate findings` and the app's
queues read one answer; ``progress`` gives the counts they show ("3 of 10 covered"). Only
texts missing from the workspace's vector cache are embedded (new added or edited requests):
the model is loaded then, once per process. Not handled: a dropped row still counts toward an
edge-case category's count; a reference set edited after the scan.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation import decisions as model
from curation.schema import Example, Finding

_MEMO: OrderedDict[tuple, dict[str, GapProgress]] = OrderedDict()
_EMBEDDERS: dict[tuple, Any] = {}


@dataclass(frozen=True)
class GapProgress:
    """One gap's coverage: its reference prompts and what covers each covered one; for a gap
    of an edge-case category, also how many examples of that kind there are and are wanted."""

    finding_id: str
    total: int  # reference prompts of the gap (0 for a taxonomy gap without them)
    covered: Mapping[int, str] = field(default_factory=dict)  # reference row -> what covers it
    count: int | None = None  # edge-case gap: examples of its category now (rows the scan counted + added)
    wanted: int | None = None  # edge-case gap: examples of its category its detector wants

    @property
    def n_covered(self) -> int:
        return len(self.covered) if self.total else min(self.count or 0, self.wanted or 0)

    @property
    def n_wanted(self) -> int:
        return self.total or self.wanted or 0

    @property
    def complete(self) -> bool:
        """Every reference prompt covered, or (an edge-case gap) as many examples of its kind as
        its detector wants: what a re-scan would no longer report."""
        return (self.total > 0 and len(self.covered) >= self.total) or (
            self.wanted is not None and (self.count or 0) >= self.wanted
        )

    @property
    def summary(self) -> str:
        parts = [f"{len(self.covered)} of {self.total} covered"] if self.total else []
        if self.wanted is not None:
            parts.append(f"{self.count} of {self.wanted} examples of this kind")
        return " · ".join(parts)


def request_text(ex: Example) -> str:
    """The text the coverage detector embeds for a prompt or a training request."""
    return ex.user_request or ex.request


def closed(ws: Any, dataset_id: int, ledger: model.Ledger | None = None, embedder: Any = None) -> dict[str, bool]:
    """finding_id -> True for each gap of the latest scan whose every reference prompt is covered
    (or whose category has enough examples); what ``Ledger.items(covered=...)`` takes."""
    return {fid: p.complete for fid, p in progress(ws, dataset_id, ledger, embedder).items()}


def progress(
    ws: Any, dataset_id: int, ledger: model.Ledger | None = None, embedder: Any = None
) -> dict[str, GapProgress]:
    """finding_id -> GapProgress for every ``coverage_gap`` of the latest scan (memoised per
    scan and set of live row decisions, so a page rerun costs a dictionary lookup)."""
    scan_id = ws.latest_scan_id(dataset_id)
    if scan_id is None:
        return {}
    gaps = ws.findings(dataset_id, scan_id, kind="coverage_gap")
    if not gaps:
        return {}
    ledger = ledger if ledger is not None else ws.ledger(dataset_id)
    live = tuple(e.id for e in ledger.live if e.action in model.ROW_ACTIONS)
    key = (ws.url, dataset_id, scan_id, live, id(embedder) if embedder is not None else None)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    out = _progress(ws, dataset_id, scan_id, gaps, ledger, embedder)
    _MEMO[key] = out
    while len(_MEMO) > 64:
        _MEMO.popitem(last=False)
    return out


def _progress(
    ws: Any, dataset_id: int, scan_id: int, gaps: list[Finding], ledger: model.Ledger, embedder: Any
) -> dict[str, GapProgress]:
    info = ws.scan_info(scan_id)
    settings = info.get("settings") or {}
    cover_cosine, taxonomy = _closeness(settings)
    covering = {int(r) for f in gaps for rows in (f.evidence.get("covered_by") or {}).values() for r in rows}
    touched = {r for e in ledger.live if e.action in model.ROW_ACTIONS for r in e.rows}
    base = ws.examples(dataset_id, sorted(covering | touched)) if covering | touched else []
    # a fresh ledger over the same events: the caller's keeps its own ``problems``
    rows = model.Ledger(ledger.events).curated(base)
    candidates: list[tuple[Example, str]] = []  # (the example as it is now, what it is)
    unchanged = set()  # included rows whose request is as scanned (covered_by still holds for them)
    for r in rows:
        if not r.included:
            continue
        now = _example(r.turns)
        if r.row is None:
            candidates.append((now, f"added example (decision {r.decision.id})"))
        elif request_text(now) != request_text(r.original):
            candidates.append((now, f"row {r.row} (edited)"))
        else:
            unchanged.add(r.row)
    with_refs = [f for f in gaps if f.reference_rows]
    by_new: dict[int, str] = {}  # reference row -> the added or edited request that covers it
    ref_id = info.get("reference_dataset_id")
    if candidates and with_refs and ref_id is not None:
        from curation.detectors.coverage import covering
        from curation.detectors.edge_cases import edge_kinds, load_taxonomy

        ref_rows = sorted({r for f in with_refs for r in f.reference_rows})
        refs = ws.examples(ref_id, ref_rows)
        emb = embedder if embedder is not None else _embedder(ws.cache_dir, settings)
        vecs = emb.encode([request_text(e) for e in refs] + [request_text(ex) for ex, _ in candidates])
        cats = _taxonomy(taxonomy, load_taxonomy)
        found = covering(
            vecs[: len(refs)],
            [edge_kinds(e, cats) for e in refs],
            vecs[len(refs) :],
            lambda j: edge_kinds(candidates[j][0], cats),
            cover_cosine,
        )
        by_new = {e.row: candidates[c[0]][1] for e, c in zip(refs, found) if c}
    out = {}
    for f in gaps:
        count, wanted = _category_count(ws, dataset_id, f, rows, settings, ref_id) or (None, None)
        covered: dict[int, str] = {}
        by_scan = f.evidence.get("covered_by") or {}
        for ref_row in f.reference_rows:
            row = next((int(r) for r in by_scan.get(str(ref_row), ()) if int(r) in unchanged), None)
            if row is not None:
                covered[ref_row] = f"row {row}"
            elif ref_row in by_new:
                covered[ref_row] = by_new[ref_row]
        out[f.finding_id] = GapProgress(f.finding_id, len(f.reference_rows), covered, count, wanted)
    return out


def _category_count(
    ws: Any, dataset_id: int, f: Finding, rows: list[model.CuratedRow], settings: Mapping[str, Any], ref_id: int | None
) -> tuple[int, int] | None:
    """An edge-case category gap: (examples of the category now, examples its detector wants),
    the rows the scan counted plus the matching added examples, against the detector's own
    rule: its threshold without a reference set, else ``max_share_ratio`` times the category's
    share of the reference. None for a gap of another detector."""
    from curation.detectors.edge_cases import EdgeCaseCoverage, load_taxonomy

    if not f.detector.startswith("edge_cases.") or "count" not in f.evidence:
        return None
    mine = settings.get("edge_cases") or {}
    cat = next((c for c in _taxonomy(mine.get("taxonomy"), load_taxonomy) if c.id == f.evidence.get("category")), None)
    added = [r for r in rows if r.row is None and r.included]
    count = int(f.evidence["count"]) + (sum(cat.matches(_example(r.turns)) for r in added) if cat else 0)
    if not f.reference_rows:
        return count, int(f.evidence.get("threshold") or 0)
    n_ref = ws.dataset(ref_id).n_examples if ref_id is not None else 0
    ratio = float(mine.get("max_share_ratio", EdgeCaseCoverage.model_fields["max_share_ratio"].default))
    n_train = ws.dataset(dataset_id).n_examples + len(added)
    ref_count = int(f.evidence.get("reference_count") or len(f.reference_rows))
    return count, max(1, math.ceil(ratio * ref_count / max(1, n_ref) * n_train))


def _taxonomy(path: str | None, load: Any) -> list:
    try:
        return load(path)
    except (OSError, ValueError):  # a taxonomy file gone since the scan: count nothing new
        return []


def _example(turns: tuple) -> Example:
    return Example(row=-1, turns=tuple(turns))


def _closeness(settings: Mapping[str, Any]) -> tuple[float, str | None]:
    """The scan's coverage detector's cover_cosine and taxonomy (its defaults for older scans)."""
    from curation.detectors.coverage import CoverageGaps

    mine = settings.get("coverage") or {}
    return float(mine.get("cover_cosine", CoverageGaps.model_fields["cover_cosine"].default)), mine.get("taxonomy")


def _embedder(cache_dir: Path, settings: Mapping[str, Any]) -> Any:
    """The scan's embedding model over the workspace's vector cache (one per process)."""
    from curation.embeddings import Embedder

    model_name = settings.get("embedding_model")
    max_seq = settings.get("embedding_max_seq_length", 256)
    backend = settings.get("embedding_backend", "torch")  # scans before backends existed ran torch
    key = (str(cache_dir), model_name, max_seq, backend)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = Embedder(
            model_name,
            cache_dir=Path(cache_dir) / "embeddings",
            max_seq_length=max_seq,
            backend=backend,
            onnx_dir=Path(cache_dir) / "onnx",
        )
    return _EMBEDDERS[key]
