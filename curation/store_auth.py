"""The people part of the workspace database: users, sign-in throttling counters, sessions
and the audit log (mixed into ``Workspace``; what they mean is ``curation.signin`` and
``curation.people``).

Every change to a counter is one write transaction that reads and updates it, so parallel
sign-ins (other browser sessions, other server processes) see each other's attempts. A
session is stored as the SHA-256 of its token, never the token itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from curation.busy import retry_busy
from curation.migrations import metadata
from curation.throttle import ThrottlePolicy

T = metadata.tables
_THROTTLE_LOCK = 7_100_000  # PostgreSQL advisory lock id serializing the throttle counters


class AuthStore:
    """Mixed into ``Workspace`` (which provides ``engine`` and ``tx``)."""

    engine: sa.Engine

    # users ----------------------------------------------------------------------------------
    @retry_busy
    def add_user(self, name: str, role: str, password_hash: str | None = None) -> None:
        """Add ``name`` with ``role``, or change the role of an existing person; the password
        hash is replaced only when one is given (a role change never wipes a password)."""
        u = T["users"]
        with self.tx() as conn:
            done = conn.execute(
                sa.update(u)
                .where(u.c.name == name)
                .values(role=role, **({"password_hash": password_hash} if password_hash else {}))
            ).rowcount
            if not done:
                conn.execute(
                    u.insert().values(
                        name=name, role=role, password_hash=password_hash, created_at=time.time(), disabled=False
                    )
                )

    def users(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(sa.select(T["users"]).order_by(T["users"].c.name))]

    def user(self, name: str) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(T["users"]).where(T["users"].c.name == name)).first()
        return _user(r) if r else None

    @retry_busy
    def update_user(self, name: str, **values: Any) -> bool:
        """Set ``role``, ``password_hash`` or ``disabled`` of ``name``; False when no such person."""
        unknown = set(values) - {"role", "password_hash", "disabled"}
        if unknown:
            raise ValueError(f"cannot set {', '.join(sorted(unknown))}")
        u = T["users"]
        with self.tx() as conn:
            return bool(conn.execute(sa.update(u).where(u.c.name == name).values(**values)).rowcount)

    @retry_busy
    def remove_user(self, name: str) -> bool:
        """Delete ``name`` and their sessions (their decisions stay, attributed by name)."""
        with self.tx() as conn:
            conn.execute(sa.delete(T["sessions"]).where(T["sessions"].c.user == name))
            return bool(conn.execute(sa.delete(T["users"]).where(T["users"].c.name == name)).rowcount)

    # sign-in throttling -------------------------------------------------------------------------
    @retry_busy
    def reserve_signin(self, keys: Sequence[str], policy: ThrottlePolicy, now: float | None = None) -> float:
        """Count one attempt against each of ``keys`` unless one of them must wait: returns
        the seconds to wait (0.0 when the attempt was counted and may go ahead). ``now``
        (None: the clock once the lock is held, so an attempt that waited for the lock is
        not measured against a time before the attempts it waited for)."""
        t = T["signin_throttle"]
        with self.tx() as conn:
            self._lock_throttle(conn)
            now = time.time() if now is None else now
            rows = {r.key: r for r in conn.execute(sa.select(t).where(t.c.key.in_(list(keys))))}
            wait = max(
                (policy.wait(k, r.failures, r.last_at, r.locked_until, now) for k, r in rows.items()), default=0.0
            )
            if wait > 0:
                return wait
            stale = now - max(policy.window, policy.lockout)
            conn.execute(
                sa.delete(t).where(t.c.last_at < stale, sa.or_(t.c.locked_until.is_(None), t.c.locked_until < now))
            )
            for k in keys:
                r = rows.get(k)
                failures = policy.current(r.failures, r.last_at, r.locked_until, now) if r is not None else 0
                if r is None or r.last_at < stale:  # none, or just deleted as stale
                    conn.execute(sa.delete(t).where(t.c.key == k))
                    conn.execute(t.insert().values(key=k, failures=1, last_at=now, locked_until=None))
                else:
                    conn.execute(
                        sa.update(t).where(t.c.key == k).values(failures=failures + 1, last_at=now, locked_until=None)
                    )
            return 0.0

    @retry_busy
    def finish_signin(
        self,
        keys: Sequence[str],
        ok: bool,
        policy: ThrottlePolicy,
        now: float | None = None,
        account: str | None = None,
    ) -> list[str]:
        """After the password was checked: on success forget the account's failures and the
        client's counted attempt; on failure lock each key that reached its limit. Returns
        the keys this failure locked."""
        t = T["signin_throttle"]
        locked = []
        with self.tx() as conn:
            self._lock_throttle(conn)
            now = time.time() if now is None else now
            rows = {r.key: r for r in conn.execute(sa.select(t).where(t.c.key.in_(list(keys))))}
            for k in keys:
                r = rows.get(k)
                if r is None:
                    continue
                if ok and k == account:
                    conn.execute(sa.delete(t).where(t.c.key == k))
                elif ok:
                    conn.execute(sa.update(t).where(t.c.key == k).values(failures=max(0, r.failures - 1)))
                elif r.failures >= policy.limit(k) and (r.locked_until is None or r.locked_until <= now):
                    conn.execute(sa.update(t).where(t.c.key == k).values(locked_until=now + policy.lockout))
                    locked.append(k)
        return locked

    @retry_busy
    def clear_throttle(self, key: str) -> bool:
        """Forget the failures and any lockout of ``key`` (an admin re-enabling a person)."""
        with self.tx() as conn:
            return bool(conn.execute(sa.delete(T["signin_throttle"]).where(T["signin_throttle"].c.key == key)).rowcount)

    def throttle(self, key: str) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(T["signin_throttle"]).where(T["signin_throttle"].c.key == key)).first()
        return dict(r._mapping) if r else None

    def _lock_throttle(self, conn: sa.Connection) -> None:
        if self.engine.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serializes
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _THROTTLE_LOCK})

    # sessions -------------------------------------------------------------------------------
    @retry_busy
    def create_session(self, token_hash: str, user: str, now: float, client: str = "") -> None:
        with self.tx() as conn:
            conn.execute(
                T["sessions"]
                .insert()
                .values(token_hash=token_hash, user=user, created_at=now, last_seen=now, client=client[:200])
            )

    def session(self, token_hash: str) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(T["sessions"]).where(T["sessions"].c.token_hash == token_hash)).first()
        return dict(r._mapping) if r else None

    @retry_busy
    def touch_session(self, token_hash: str, now: float) -> None:
        s = T["sessions"]
        with self.tx() as conn:
            conn.execute(sa.update(s).where(s.c.token_hash == token_hash).values(last_seen=now))

    @retry_busy
    def end_session(self, token_hash: str) -> bool:
        with self.tx() as conn:
            return bool(conn.execute(sa.delete(T["sessions"]).where(T["sessions"].c.token_hash == token_hash)).rowcount)

    @retry_busy
    def end_sessions(self, user: str, keep: str | None = None) -> int:
        """End every session of ``user`` (but ``keep``, a token hash); returns how many."""
        s = T["sessions"]
        q = sa.delete(s).where(s.c.user == user)
        if keep:
            q = q.where(s.c.token_hash != keep)
        with self.tx() as conn:
            return int(conn.execute(q).rowcount)

    def sessions(self, user: str | None = None) -> list[dict]:
        s = T["sessions"]
        q = sa.select(s.c.user, s.c.created_at, s.c.last_seen, s.c.client).order_by(s.c.last_seen.desc())
        if user is not None:
            q = q.where(s.c.user == user)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    # audit log ------------------------------------------------------------------------------
    @retry_busy
    def audit(
        self,
        action: str,
        actor: str,
        target: str = "",
        client: str = "",
        detail: dict | None = None,
        at: float | None = None,
    ) -> int:
        """Append one audit event (sign-ins, failures, lockouts, people changes, exports)."""
        with self.tx() as conn:
            return int(
                conn.execute(
                    T["audit_events"]
                    .insert()
                    .values(
                        at=at or time.time(),
                        action=action,
                        actor=actor[:128],
                        target=target[:255],
                        client=client[:200],
                        detail_json=json.dumps(detail or {}, ensure_ascii=False, default=str),
                    )
                ).inserted_primary_key[0]
            )

    def audit_events(
        self, actions: Sequence[str] | None = None, person: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[dict]:
        """Audit events, newest first (``person``: as actor or target)."""
        a = T["audit_events"]
        q = sa.select(a).order_by(a.c.id.desc()).limit(limit).offset(offset)
        if actions:
            q = q.where(a.c.action.in_(list(actions)))
        if person:
            q = q.where(sa.or_(a.c.actor == person, a.c.target == person))
        with self.engine.connect() as conn:
            return [
                {
                    **{k: v for k, v in r._mapping.items() if k != "detail_json"},
                    "detail": json.loads(r.detail_json or "{}"),
                }
                for r in conn.execute(q)
            ]

    def retractions(self, limit: int = 200) -> list[dict]:
        """Retractions of every dataset, newest first, with what they withdrew (read from the
        decisions themselves, not copied into the audit log)."""
        d, target, ds = T["decisions"], T["decisions"].alias("target"), T["datasets"]
        q = (
            sa.select(
                d.c.id,
                d.c.created_at,
                d.c.actor,
                d.c.role,
                d.c.reason,
                d.c.undoes,
                ds.c.name.label("dataset"),
                target.c.action.label("withdrawn_action"),
                target.c.actor.label("withdrawn_actor"),
            )
            .join(ds, ds.c.id == d.c.dataset_id)
            .outerjoin(target, target.c.id == d.c.undoes)
            .where(d.c.action == "retract")
            .order_by(d.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]


def _user(r: Any) -> dict:
    out = dict(r._mapping)
    out["disabled"] = bool(out.get("disabled"))
    return out
