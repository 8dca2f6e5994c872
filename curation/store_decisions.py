"""The decisions part of the workspace database: the one write path for decision events.

``record`` validates a batch of decisions against the dataset (``curation.decisions.check``)
and appends them in one transaction: all of them or none. Each decision may carry an
idempotency key (unique per dataset): a decision whose key is already stored is not
recorded again, so re-running a resolutions file or retrying after a crash records nothing
twice. ``expected_version`` makes the write conditional on nobody having decided the item
since the caller looked (optimistic locking): ``ConflictError`` otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from curation import decisions as model
from curation.busy import retry_busy
from curation.migrations import metadata
from curation.schema import Decision

T = metadata.tables


class ConflictError(RuntimeError):
    """Someone else decided on this item since the caller last looked at it."""


class BatchError(model.DecisionError):
    """Decisions of a batch that cannot be recorded: (position in the batch, problems)."""

    def __init__(self, errors: Sequence[tuple[int, Sequence[model.Problem]]]):
        self.errors = [(i, list(p)) for i, p in errors]
        super().__init__([p for _, ps in self.errors for p in ps])


@dataclass(frozen=True)
class Recorded:
    """What ``record`` did: the id of each decision (the stored one when its key was already
    there), and how many were new."""

    ids: list[int]
    new: int
    existing: int


class DecisionStore:
    """Mixed into ``Workspace`` (which provides ``engine``, ``tx`` and ``latest_scan_id``)."""

    engine: sa.Engine

    @retry_busy
    def record(
        self,
        dataset_id: int,
        batch: Sequence[Decision],
        expected_version: int | None = None,
        item: tuple[str | Sequence[str] | None, Sequence[int]] | None = None,
    ) -> Recorded:
        """Validate and append ``batch`` in one transaction (all or nothing). With
        ``expected_version``, raise ConflictError when the item (``item`` = (finding_id,
        rows), else the first decision's) changed since that version."""
        batch = list(batch)
        with self.tx() as conn:
            if self.engine.dialect.name == "postgresql":
                # serialize concurrent deciders on one dataset (SQLite's BEGIN IMMEDIATE does this)
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": 7_000_000 + dataset_id})
            c = T["decisions"].c
            keys = [d.key for d in batch if d.key]
            known: dict[str, int] = {}
            for start in range(0, len(keys), 500):
                q = sa.select(c.idem_key, c.id).where(
                    c.dataset_id == dataset_id, c.idem_key.in_(keys[start : start + 500])
                )
                known.update({k: i for k, i in conn.execute(q)})
            todo = [(n, d) for n, d in enumerate(batch) if not (d.key and d.key in known)]
            if expected_version is not None and todo:
                fid, rows = item if item is not None else (batch[0].finding_id, batch[0].rows)
                current = self._version(conn, dataset_id, fid, rows)
                if current != expected_version:
                    raise ConflictError(f"item changed since you opened it (version {expected_version} -> {current})")
            self._validate(conn, dataset_id, [d for _, d in todo], [n for n, _ in todo])
            now = time.time()
            ids: dict[int, int] = {}
            for n, d in todo:
                ids[n] = int(
                    conn.execute(T["decisions"].insert().values(**_row(dataset_id, d, now))).inserted_primary_key[0]
                )
        out = [ids[n] if n in ids else known[d.key] for n, d in enumerate(batch)]
        return Recorded(out, len(todo), len(batch) - len(todo))

    def validate(self, dataset_id: int, batch: Sequence[Decision]) -> None:
        """Raise BatchError when a decision of ``batch`` could not be recorded (stores nothing)."""
        with self.engine.connect() as conn:
            self._validate(conn, dataset_id, list(batch), list(range(len(batch))))

    def _validate(self, conn: sa.Connection, dataset_id: int, todo: Sequence[Decision], where: Sequence[int]) -> None:
        if not todo:
            return
        n_rows = conn.execute(sa.select(T["datasets"].c.n_examples).where(T["datasets"].c.id == dataset_id)).scalar()
        if n_rows is None:
            raise BatchError([(where[0], [model.Problem("dataset", f"no dataset {dataset_id}")])])
        need_ledger = any(d.action in model.WITHDRAWALS or d.action == "skip" for d in todo)
        ledger = model.Ledger(self._decisions(conn, dataset_id)) if need_ledger else None
        fids = sorted(
            {d.finding_id for d in todo if d.finding_id}
            | {
                c
                for d in todo
                if isinstance(d.payload, dict)
                for c in d.payload.get("covers") or ()
                if isinstance(c, str)
            }
        )
        found: dict[str, Any] = dict.fromkeys(fids)
        scan_id = self._latest_scan(conn, dataset_id)
        if fids and scan_id is not None:
            f = T["findings"].c
            for start in range(0, len(fids), 500):
                for r in conn.execute(
                    sa.select(f.finding_id, f.kind, f.rows_json).where(
                        f.scan_id == scan_id, f.finding_id.in_(fids[start : start + 500])
                    )
                ):
                    found[r.finding_id] = _FindingRef(r.kind, tuple(json.loads(r.rows_json)))
        if scan_id is None:
            found = {}
        targets = {d.undoes for d in todo if isinstance(d.undoes, int)}
        events = ledger.by_id() if ledger is not None else {}
        if targets - set(events):
            q = sa.select(T["decisions"]).where(
                T["decisions"].c.dataset_id == dataset_id, T["decisions"].c.id.in_(sorted(targets - set(events)))
            )
            events.update({r.id: _decision(r) for r in conn.execute(q)})
        ds = model.Dataset(int(n_rows), found, events)
        errors = [(n, ps) for n, d in zip(where, todo) if (ps := model.check(d, ds, ledger))]
        if errors:
            raise BatchError(errors)

    def record_decision(
        self,
        dataset_id: int,
        action: str,
        actor: str,
        rows: Sequence[int] = (),
        finding_id: str | None = None,
        payload: dict | None = None,
        reason: str = "",
        expected_version: int | None = None,
        role: str = "annotator",
        undoes: int | None = None,
        key: str | None = None,
    ) -> int:
        """Append one decision (see ``record``); returns its id."""
        d = Decision(
            0,
            dataset_id,
            action,
            actor,
            tuple(rows),
            finding_id,
            dict(payload or {}),
            reason,
            0.0,
            undoes,
            key=key,
            role=role,
        )
        return self.record(dataset_id, [d], expected_version).ids[0]

    def undo(
        self,
        dataset_id: int,
        decision_id: int,
        actor: str,
        reason: str = "",
        role: str = "annotator",
        key: str | None = None,
    ) -> int:
        """The actor withdraws a decision of their own."""
        return self._withdraw(
            "undo", dataset_id, decision_id, actor, role, reason or f"undo decision {decision_id}", key
        )

    def retract(self, dataset_id: int, decision_id: int, actor: str, role: str, reason: str) -> int:
        """A curator or admin withdraws anyone's decision, saying why."""
        if role not in model.RETRACT_ROLES:
            raise model.DecisionError([model.Problem("role", f"only a curator or admin can retract (you are {role})")])
        return self._withdraw("retract", dataset_id, decision_id, actor, role, reason, None)

    def _withdraw(
        self, action: str, dataset_id: int, decision_id: int, actor: str, role: str, reason: str, key: str | None
    ) -> int:
        with self.engine.connect() as conn:
            r = conn.execute(
                sa.select(T["decisions"]).where(
                    T["decisions"].c.id == decision_id, T["decisions"].c.dataset_id == dataset_id
                )
            ).first()
        target = _decision(r) if r is not None else None
        d = Decision(
            0,
            dataset_id,
            action,
            actor,
            target.rows if target else (),
            target.finding_id if target else None,
            {},
            reason,
            0.0,
            decision_id,
            key=key,
            role=role,
        )
        return self.record(dataset_id, [d]).ids[0]

    def decision(self, decision_id: int) -> Decision:
        with self.engine.connect() as conn:
            return _decision(conn.execute(sa.select(T["decisions"]).where(T["decisions"].c.id == decision_id)).one())

    def decisions(
        self, dataset_id: int, finding_id: str | None = None, row: int | None = None, actor: str | None = None
    ) -> list[Decision]:
        """Recorded events in order (withdrawn ones and withdrawals included)."""
        with self.engine.connect() as conn:
            out = self._decisions(conn, dataset_id, finding_id, actor)
        return [d for d in out if row in d.rows] if row is not None else out

    def ledger(self, dataset_id: int) -> model.Ledger:
        """The dataset's decisions as they stand (``curation.decisions.Ledger``)."""
        return model.Ledger(self.decisions(dataset_id))

    def _decisions(
        self, conn: sa.Connection, dataset_id: int, finding_id: str | None = None, actor: str | None = None
    ) -> list[Decision]:
        c = T["decisions"].c
        q = sa.select(T["decisions"]).where(c.dataset_id == dataset_id).order_by(c.id)
        if finding_id is not None:
            q = q.where(c.finding_id == finding_id)
        if actor is not None:
            q = q.where(c.actor == actor)
        return [_decision(r) for r in conn.execute(q)]

    def version(self, dataset_id: int, finding_id: str | None = None, rows: Sequence[int] = ()) -> int:
        """The id of the latest decision about the item (0 when none): the optimistic-lock token."""
        with self.engine.connect() as conn:
            return self._version(conn, dataset_id, finding_id, rows)

    def _version(
        self, conn: sa.Connection, dataset_id: int, finding_id: str | Sequence[str] | None, rows: Sequence[int]
    ) -> int:
        c = T["decisions"].c
        if finding_id:  # one finding, or every finding of a review item (a disagreement)
            ids = [finding_id] if isinstance(finding_id, str) else list(finding_id)
            about = sa.or_(c.finding_id.in_(ids), *[c.payload_json.contains(f'"{i}"') for i in ids])  # or covers it
            q = sa.select(sa.func.max(c.id)).where(c.dataset_id == dataset_id, about)
            return int(conn.execute(q).scalar() or 0)
        wanted = set(rows)
        latest = 0
        for did, rj in conn.execute(sa.select(c.id, c.rows_json).where(c.dataset_id == dataset_id)):
            if wanted & set(json.loads(rj)):
                latest = max(latest, did)
        return latest

    def _latest_scan(self, conn: sa.Connection, dataset_id: int) -> int | None:
        c = T["scans"].c
        return conn.execute(sa.select(sa.func.max(c.id)).where(c.dataset_id == dataset_id)).scalar()


@dataclass(frozen=True)
class _FindingRef:
    kind: str
    rows: tuple[int, ...]


def _row(dataset_id: int, d: Decision, now: float) -> dict[str, Any]:
    return dict(
        dataset_id=dataset_id,
        action=d.action,
        actor=d.actor.strip(),
        role=d.role or "annotator",
        rows_json=json.dumps(sorted(set(d.rows))),
        finding_id=d.finding_id,
        payload_json=json.dumps(dict(d.payload), ensure_ascii=False),
        reason=d.reason or "",
        created_at=now,
        undoes=d.undoes,
        idem_key=d.key or None,
    )


def _decision(r: Any) -> Decision:
    return Decision(
        id=r.id,
        dataset_id=r.dataset_id,
        action=r.action,
        actor=r.actor,
        rows=tuple(json.loads(r.rows_json)),
        finding_id=r.finding_id,
        payload=json.loads(r.payload_json),
        reason=r.reason,
        created_at=r.created_at,
        undoes=r.undoes,
        key=r.idem_key,
        role=r.role,
    )
