"""The example browser's queries: filter 50,000 examples by text, finding, status, category
and source, one page at a time, and the history of one example.

Text and field filters run in SQL and return row numbers only; finding kinds and curated
statuses are intersected in Python (statuses come from ``curation.curate.derive`` over the
rows that decisions touched, so untouched rows cost nothing); then one page is loaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from curation.decisions import CuratedRow, derive
from curation.schema import Decision, Example, Finding
from curation.store import Workspace


@dataclass(frozen=True)
class BrowsePage:
    examples: list[Example]
    total: int
    statuses: dict[int, str]
    kinds: dict[int, list[str]]


def facets(ws: Workspace, dataset_id: int) -> dict[str, Counter]:
    """Values of the record fields ``category`` and ``source`` with their counts."""
    return ws.facets(dataset_id)


def curated_statuses(decisions: list[Decision]) -> tuple[dict[int, str], list[CuratedRow]]:
    """(row -> status for rows any decision touched, added examples) without loading examples."""
    touched = sorted({r for d in decisions for r in d.rows})
    stubs = [Example(row=r, turns=()) for r in touched]
    derived = derive(stubs, decisions)
    return {r.row: r.status for r in derived if r.row is not None}, [r for r in derived if r.status == "added"]


def browse(
    ws: Workspace,
    dataset_id: int,
    *,
    search: str = "",
    kind: str | None = None,
    status: str | None = None,
    category: str | None = None,
    source: str | None = None,
    page: int = 1,
    page_size: int = 20,
    rows: Sequence[int] | None = None,
) -> BrowsePage:
    """One page of source examples matching every given filter, in row order (``rows``: only
    these, in their order, e.g. a fuzzy search's)."""
    matching = ws.example_rows(dataset_id, search, {"category": category or "", "source": source or ""})
    if rows is not None:
        keep = set(matching)
        matching = [r for r in rows if r in keep]
    rows = matching
    kinds = ws.row_kinds(dataset_id)
    statuses, _ = curated_statuses(ws.decisions(dataset_id))
    if kind:
        rows = [r for r in rows if kind in kinds.get(r, ())] if kind != "none" else [r for r in rows if r not in kinds]
    if status:
        rows = [r for r in rows if statuses.get(r, "unchanged") == status]
    chunk = rows[(max(1, page) - 1) * page_size : max(1, page) * page_size]
    examples = ws.examples(dataset_id, chunk) if chunk else []
    return BrowsePage(
        examples, len(rows), {r: statuses.get(r, "unchanged") for r in chunk}, {r: kinds.get(r, []) for r in chunk}
    )


def history(
    ws: Workspace, dataset_id: int, row: int, hidden: Collection[int] = ()
) -> tuple[list[Decision], list[Finding]]:
    """The latest scan's findings about a row and every decision on the row or on those
    findings (skips, blind votes, undos and retractions included), oldest first; ``hidden``:
    ids of decisions the viewer may not see (another annotator's blind vote)."""
    found = ws.findings(dataset_id, row=row)
    ids = {f.finding_id for f in found}
    return [d for d in ws.decisions(dataset_id) if (row in d.rows or d.finding_id in ids) and d.id not in hidden], found


def fuzzy_rows(texts: Sequence[tuple[int, str]], query: str, threshold: float = 85.0) -> list[int]:
    """Rows whose text contains ``query`` give or take a typo or two (rapidfuzz's partial
    ratio per word window), best first; for searches the exact match misses."""
    from rapidfuzz import fuzz, process

    q = " ".join(query.casefold().split())
    if not q:
        return []
    scored = process.extract(
        q, {row: t.casefold() for row, t in texts}, scorer=fuzz.partial_ratio, score_cutoff=threshold, limit=None
    )
    return [row for _, score, row in sorted(scored, key=lambda x: (-x[1], x[2]))]


def similar_rows(vectors: np.ndarray, rows: Sequence[int], row: int, k: int = 8) -> list[tuple[int, float]]:
    """The ``k`` rows whose request embeddings are nearest to ``row``'s (cosine), itself left out."""
    index = {r: i for i, r in enumerate(rows)}
    if row not in index:
        return []
    sims = vectors @ vectors[index[row]]
    order = [i for i in np.argsort(-sims) if rows[i] != row][:k]
    return [(rows[i], float(sims[i])) for i in order]
