"""The review part of the workspace database: light queries for queues and the example
browser, and the per-dataset review settings.

Queues page over (finding_id, score) tuples and load full findings for one page only, so
50,000 examples stay fast; text search runs in SQL (``LIKE`` with ``%`` and ``_`` escaped).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from curation.migrations import metadata

T = metadata.tables
FACETS = ("category", "source")


@dataclass(frozen=True)
class ReviewSettings:
    """Per-dataset review settings (in the database, so a team shares them)."""

    double_blind: bool = False
    annotators: tuple[str, ...] = ()


class ReviewStore:
    """Mixed into ``Workspace`` (which provides ``engine``, ``tx`` and ``latest_scan_id``)."""

    engine: sa.Engine

    def light_findings(
        self, dataset_id: int, kind: str | None = None, min_score: float | None = None, search: str | None = None
    ) -> list[tuple[str, float, list[int]]]:
        """(finding_id, score, rows) of the latest scan, best first (rows only with ``search``,
        which matches the reason, the evidence or the text of a row the finding names)."""
        scan_id = self.latest_scan_id(dataset_id)
        if scan_id is None:
            return []
        c = T["findings"].c
        cols = [c.finding_id, c.score] + ([c.rows_json, c.reason, c.evidence_json] if search else [])
        q = sa.select(*cols).where(c.scan_id == scan_id)
        if kind:
            q = q.where(c.kind == kind)
        if min_score is not None:
            q = q.where(c.score >= min_score)
        q = q.order_by(c.score.desc(), c.n_rows.desc(), c.finding_id)
        with self.engine.connect() as conn:
            found = list(conn.execute(q))
        if not search:
            return [(r.finding_id, r.score, []) for r in found]
        hits = self.rows_with_text(dataset_id, search)
        needle, out = search.casefold(), []
        for r in found:
            rows = json.loads(r.rows_json)
            if needle in r.reason.casefold() or needle in r.evidence_json.casefold() or hits.intersection(rows):
                out.append((r.finding_id, r.score, rows))
        return out

    def finding_rules(self, dataset_id: int, kind: str | None = None) -> dict[str, tuple[str, ...]]:
        """The rule ids each finding of the latest scan names (``evidence.rules``), by finding id."""
        scan_id = self.latest_scan_id(dataset_id)
        if scan_id is None:
            return {}
        c = T["findings"].c
        q = sa.select(c.finding_id, c.evidence_json).where(c.scan_id == scan_id)
        if kind:
            q = q.where(c.kind == kind)
        with self.engine.connect() as conn:
            found = list(conn.execute(q))
        return {
            r.finding_id: tuple(
                dict.fromkeys(
                    e.get("id", "") for e in json.loads(r.evidence_json).get("rules") or [] if isinstance(e, dict)
                )
            )
            for r in found
        }

    def finding_rows(self, dataset_id: int) -> list[tuple[str, str, float, tuple[int, ...]]]:
        """(finding_id, kind, score, rows) of every finding of the latest scan."""
        scan_id = self.latest_scan_id(dataset_id)
        if scan_id is None:
            return []
        c = T["findings"].c
        with self.engine.connect() as conn:
            return [
                (r.finding_id, r.kind, r.score, tuple(json.loads(r.rows_json)))
                for r in conn.execute(sa.select(c.finding_id, c.kind, c.score, c.rows_json).where(c.scan_id == scan_id))
            ]

    def finding_kinds(self, dataset_id: int) -> list[str]:
        """The kinds of finding the latest scan reported."""
        scan_id = self.latest_scan_id(dataset_id)
        if scan_id is None:
            return []
        c = T["findings"].c
        with self.engine.connect() as conn:
            return sorted(k for (k,) in conn.execute(sa.select(c.kind).where(c.scan_id == scan_id).distinct()))

    def row_kinds(self, dataset_id: int) -> dict[int, list[str]]:
        """row -> kinds of the latest scan's findings about it."""
        scan_id = self.latest_scan_id(dataset_id)
        c = T["findings"].c
        kinds: dict[int, set[str]] = defaultdict(set)
        if scan_id is not None:
            with self.engine.connect() as conn:
                for kind, rows in conn.execute(sa.select(c.kind, c.rows_json).where(c.scan_id == scan_id)):
                    for r in json.loads(rows):
                        kinds[r].add(kind)
        return {r: sorted(k) for r, k in kinds.items()}

    def rows_with_text(self, dataset_id: int, search: str) -> set[int]:
        """Rows whose text contains ``search`` (case-insensitive, literal)."""
        e = T["examples"].c
        with self.engine.connect() as conn:
            return {
                r
                for (r,) in conn.execute(
                    sa.select(e.row).where(e.dataset_id == dataset_id, e.turns_json.icontains(search, autoescape=True))
                )
            }

    def example_rows(self, dataset_id: int, search: str = "", fields: dict[str, str] | None = None) -> list[int]:
        """Rows (in order) whose text contains ``search`` and whose record has each field value."""
        c = T["examples"].c
        q = sa.select(c.row).where(c.dataset_id == dataset_id)
        if search:
            q = q.where(c.turns_json.icontains(search, autoescape=True))
        for name, value in (fields or {}).items():
            if value:
                q = q.where(
                    c.record_json.contains(f'"{name}": {json.dumps(value, ensure_ascii=False)}', autoescape=True)
                )
        with self.engine.connect() as conn:
            return [r for (r,) in conn.execute(q.order_by(c.row))]

    def facets(self, dataset_id: int) -> dict[str, Counter]:
        """Values of the record fields ``category`` and ``source`` with their counts."""
        c = T["examples"].c
        out: dict[str, Counter] = {f: Counter() for f in FACETS}
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                for f in FACETS:
                    q = (
                        sa.select(sa.func.json_extract(c.record_json, f"$.{f}").label("v"), sa.func.count())
                        .where(c.dataset_id == dataset_id)
                        .group_by("v")
                    )
                    out[f].update({str(v): n for v, n in conn.execute(q) if v is not None})
            else:
                for (rec,) in conn.execute(sa.select(c.record_json).where(c.dataset_id == dataset_id)):
                    d = json.loads(rec)
                    for f in FACETS:
                        if d.get(f) is not None:
                            out[f][str(d[f])] += 1
        return out

    def meta_get(self, key: str) -> str | None:
        """A workspace setting (guidelines, the facts sheet) from the meta table."""
        t = T["meta"]
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c.value).where(t.c.key == key)).scalar()

    def meta_set(self, key: str, value: str) -> None:
        t = T["meta"]
        with self.tx() as conn:
            if not conn.execute(sa.update(t).where(t.c.key == key).values(value=value)).rowcount:
                conn.execute(t.insert().values(key=key, value=value))

    def review_settings(self, dataset_id: int) -> ReviewSettings:
        t = T["review_settings"]
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(t).where(t.c.dataset_id == dataset_id)).first()
        return ReviewSettings(bool(r.double_blind), tuple(json.loads(r.annotators_json))) if r else ReviewSettings()

    def save_review_settings(self, dataset_id: int, settings: ReviewSettings) -> None:
        t = T["review_settings"]
        values = {
            "double_blind": settings.double_blind,
            "annotators_json": json.dumps(list(settings.annotators)),
            "updated_at": time.time(),
        }
        with self.tx() as conn:
            if not conn.execute(sa.update(t).where(t.c.dataset_id == dataset_id).values(**values)).rowcount:
                conn.execute(t.insert().values(dataset_id=dataset_id, **values))
