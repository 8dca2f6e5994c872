"""Signing in and staying signed in (team mode), without the UI.

``sign_in`` checks a name and password under the throttle (``curation.throttle``: counted
per account and per client in the database, exponential delay, temporary lockout), rehashes
a password stored with older parameters, and writes an audit event for every success,
failure and lockout. Every path costs one password check, whether the name exists, is
disabled or has no password, so neither the answer nor its timing tells which.

A session is a random 256-bit token: the browser keeps it (a cookie, see ``app``), the
database keeps its SHA-256 with who and when. ``session_user`` accepts a token only while
the session is younger than the absolute timeout, was used within the idle timeout, and its
person still exists and is enabled; the person's role is read afresh each time, so a role
change or a disabling takes effect on the next request. Signing out everywhere deletes
every session of the person.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curation.auth import check_password, hash_password
from curation.throttle import ThrottlePolicy

if TYPE_CHECKING:
    from curation.store import Workspace

TOUCH_EVERY = 60.0  # seconds: how often a session's last use is written (not on every click)


@dataclass(frozen=True)
class SessionPolicy:
    idle: float = 60 * 60.0  # seconds without a request before a session ends
    absolute: float = 12 * 60 * 60.0  # seconds after sign-in when a session ends regardless

    @classmethod
    def from_env(cls) -> SessionPolicy:
        """``CURATE_SESSION_IDLE_MINUTES`` and ``CURATE_SESSION_MAX_HOURS`` when set."""
        base = cls()
        idle = float(os.environ.get("CURATE_SESSION_IDLE_MINUTES", base.idle / 60)) * 60
        absolute = float(os.environ.get("CURATE_SESSION_MAX_HOURS", base.absolute / 3600)) * 3600
        return cls(idle=max(1.0, idle), absolute=max(1.0, absolute))


@dataclass(frozen=True)
class Outcome:
    """What a sign-in attempt came to: ``user`` (a users row) when it succeeded, else the
    message to show and, when throttled, the seconds to wait."""

    user: dict | None
    message: str = ""
    wait: float = 0.0

    @property
    def ok(self) -> bool:
        return self.user is not None


FAILED = "Unknown name or wrong password."


def sign_in(
    ws: Workspace,
    name: str,
    password: str,
    client: str = "",
    policy: ThrottlePolicy | None = None,
    now: float | None = None,
) -> Outcome:
    """Check ``name`` and ``password`` (see the module docstring); ``client`` is the address
    the attempt came from."""
    policy = policy or ThrottlePolicy.from_env()
    name = (name or "").strip()[:128]
    account = f"account:{name.casefold()}"
    keys = [account] + ([f"client:{client}"] if client else [])
    wait = ws.reserve_signin(keys, policy, now)
    if wait > 0:
        return Outcome(None, f"Too many failed sign-ins: try again in {_duration(wait)}.", wait)
    user = ws.user(name) if name else None
    usable = user is not None and not user["disabled"]
    ok, rehash = check_password(password or "", user["password_hash"] if usable else None)
    locked = ws.finish_signin(keys, ok, policy, now, account=account)
    if not ok:
        ws.audit(
            "signin_failed",
            name or "(empty)",
            target=name,
            client=client,
            detail={"reason": "disabled" if user is not None and user["disabled"] else "no match"},
        )
        for key in locked:
            kind, _, what = key.partition(":")
            ws.audit(
                "lockout",
                name or "(empty)",
                target=what,
                client=client,
                detail={"kind": kind, "minutes": round(policy.lockout / 60, 1), "failures": policy.limit(key)},
            )
        return Outcome(None, FAILED)
    if rehash:
        ws.update_user(user["name"], password_hash=hash_password(password))
    ws.audit("signin", user["name"], target=user["name"], client=client, detail={"rehashed": rehash})
    return Outcome(ws.user(user["name"]))


def start_session(ws: Workspace, name: str, client: str = "", now: float | None = None) -> str:
    """A new session for ``name``; returns its token (for the browser; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    ws.create_session(token_hash(token), name, now or time.time(), client)
    return token


def session_user(
    ws: Workspace, token: str | None, policy: SessionPolicy | None = None, now: float | None = None
) -> dict | None:
    """The person a session token belongs to (their users row, role as it is now), or None
    when the token is unknown, expired, ended, or its person removed or disabled."""
    if not token:
        return None
    policy = policy or SessionPolicy.from_env()
    now = now or time.time()
    digest = token_hash(token)
    s = ws.session(digest)
    if s is None:
        return None
    if now - s["created_at"] > policy.absolute or now - s["last_seen"] > policy.idle:
        ws.end_session(digest)
        ws.audit(
            "session_expired",
            s["user"],
            target=s["user"],
            client=s["client"],
            detail={"idle": now - s["last_seen"] > policy.idle},
        )
        return None
    user = ws.user(s["user"])
    if user is None or user["disabled"]:
        ws.end_session(digest)
        return None
    if now - s["last_seen"] > TOUCH_EVERY:
        ws.touch_session(digest, now)
    return user


def end_session(ws: Workspace, token: str | None, actor: str = "", client: str = "") -> None:
    if token and ws.end_session(token_hash(token)) and actor:
        ws.audit("signout", actor, target=actor, client=client)


def end_everywhere(ws: Workspace, name: str, actor: str, client: str = "") -> int:
    """End every session of ``name`` (their own "sign out everywhere", or an admin's)."""
    n = ws.end_sessions(name)
    ws.audit("signout_everywhere", actor, target=name, client=client, detail={"sessions": n})
    return n


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    return f"{round(seconds / 60)} min"
