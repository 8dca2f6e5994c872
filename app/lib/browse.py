"""The example browser's queries: filter 50,000 examples by text, finding, status, category
and source, one page at a time, and the history of one example.

Text and field filters run in SQL and return row numbers only; finding kinds and curated
statuses are intersected in Python (statuses come from ``curation.curate.derive`` over the
rows that decisions touched, so untouched rows cost nothing); then one page is loaded.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from curation.curate import CuratedRow, derive
from curation.migrations import metadata
from curation.schema import Decision, Example, Finding
from curation.store import Workspace

T = metadata.tables
FIELDS = ("category", "source")


@dataclass(frozen=True)
class BrowsePage:
    examples: list[Example]
    total: int
    statuses: dict[int, str]
    kinds: dict[int, list[str]]


def facets(ws: Workspace, dataset_id: int) -> dict[str, Counter]:
    """Values of the record fields ``category`` and ``source`` with their counts."""
    c = T["examples"].c
    out: dict[str, Counter] = {f: Counter() for f in FIELDS}
    with ws.engine.connect() as conn:
        if ws.engine.dialect.name == "sqlite":
            for f in FIELDS:
                q = (sa.select(sa.func.json_extract(c.record_json, f"$.{f}").label("v"), sa.func.count())
                     .where(c.dataset_id == dataset_id).group_by("v"))
                out[f].update({str(v): n for v, n in conn.execute(q) if v is not None})
        else:
            for (rec,) in conn.execute(sa.select(c.record_json).where(c.dataset_id == dataset_id)):
                d = json.loads(rec)
                for f in FIELDS:
                    if d.get(f) is not None:
                        out[f][str(d[f])] += 1
    return out


def row_kinds(ws: Workspace, dataset_id: int) -> dict[int, list[str]]:
    """row -> kinds of the latest scan's findings about it."""
    scan_id = ws.latest_scan_id(dataset_id)
    c = T["findings"].c
    kinds: dict[int, set[str]] = defaultdict(set)
    if scan_id is not None:
        with ws.engine.connect() as conn:
            for kind, rows in conn.execute(sa.select(c.kind, c.rows_json).where(c.scan_id == scan_id)):
                for r in json.loads(rows):
                    kinds[r].add(kind)
    return {r: sorted(k) for r, k in kinds.items()}


def curated_statuses(decisions: list[Decision]) -> tuple[dict[int, str], list[CuratedRow]]:
    """(row -> status for rows any decision touched, added examples) without loading examples."""
    touched = sorted({r for d in decisions for r in d.rows})
    stubs = [Example(row=r, turns=()) for r in touched]
    derived = derive(stubs, decisions)
    return {r.row: r.status for r in derived if r.row is not None}, [r for r in derived if r.status == "added"]


def browse(ws: Workspace, dataset_id: int, *, search: str = "", kind: str | None = None,
           status: str | None = None, category: str | None = None, source: str | None = None,
           page: int = 1, page_size: int = 20) -> BrowsePage:
    """One page of source examples matching every given filter, in row order."""
    c = T["examples"].c
    q = sa.select(c.row).where(c.dataset_id == dataset_id)
    if search:
        q = q.where(c.turns_json.icontains(search, autoescape=True))
    for name, value in (("category", category), ("source", source)):
        if value:
            q = q.where(c.record_json.contains(f'"{name}": {json.dumps(value, ensure_ascii=False)}', autoescape=True))
    with ws.engine.connect() as conn:
        rows = [r for (r,) in conn.execute(q.order_by(c.row))]
    kinds = row_kinds(ws, dataset_id)
    statuses, _ = curated_statuses(ws.decisions(dataset_id))
    if kind:
        rows = [r for r in rows if kind in kinds.get(r, ())] if kind != "none" else [r for r in rows if r not in kinds]
    if status:
        rows = [r for r in rows if statuses.get(r, "unchanged") == status]
    chunk = rows[(max(1, page) - 1) * page_size: max(1, page) * page_size]
    examples = ws.examples(dataset_id, chunk) if chunk else []
    return BrowsePage(examples, len(rows), {r: statuses.get(r, "unchanged") for r in chunk},
                      {r: kinds.get(r, []) for r in chunk})


def history(ws: Workspace, dataset_id: int, row: int) -> tuple[list[Decision], list[Finding]]:
    """The latest scan's findings about a row and every decision on the row or on those
    findings (skips, blind votes and undos included), oldest first."""
    found = ws.findings(dataset_id, row=row)
    ids = {f.finding_id for f in found}
    return [d for d in ws.decisions(dataset_id) if row in d.rows or d.finding_id in ids], found
