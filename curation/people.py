"""Managing people (admins): add, change a role or a password, disable, enable, remove.

One set of operations for ``curate users ...`` and the app's Users page, so both apply the
same rules: names and passwords pass ``curation.credentials``; a role change never touches
the password; a new password, a disabling or a removal ends the person's sessions (a new
password keeps the session of whoever set it for themselves); enabling also lifts a sign-in
lockout; the last enabled admin cannot be demoted, disabled or removed. Every change is an
audit event naming who made it (``by``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from curation.auth import ROLES, hash_password
from curation.credentials import name_problem, password_problems

if TYPE_CHECKING:
    from curation.store import Workspace


class PeopleError(ValueError):
    """The change cannot be made (one line a person can act on)."""


def add(ws: Workspace, name: str, role: str, password: str, by: str, client: str = "") -> None:
    """A new person with ``role`` and ``password`` (checked against the password policy)."""
    name = (name or "").strip()
    _check_role(role)
    if (problem := name_problem(name)) is not None:
        raise PeopleError(problem)
    clash = next((u["name"] for u in ws.users() if u["name"].casefold() == name.casefold()), None)
    if clash is not None:
        raise PeopleError(f"{clash} already exists" + ("" if clash == name else " (names ignore case)"))
    _check_password(password, name)
    ws.add_user(name, role, hash_password(password))
    ws.audit("user_added", by, target=name, client=client, detail={"role": role})


def set_role(ws: Workspace, name: str, role: str, by: str, client: str = "") -> str:
    """Change ``name``'s role (the password stays); returns the role before."""
    _check_role(role)
    user = _existing(ws, name)
    if user["role"] == "admin" and role != "admin":
        _keep_an_admin(ws, name, "demote")
    ws.update_user(name, role=role)
    ws.audit("role_changed", by, target=name, client=client, detail={"from": user["role"], "to": role})
    return user["role"]


def set_password(
    ws: Workspace, name: str, password: str, by: str, client: str = "", keep_session: str | None = None
) -> int:
    """A new password for ``name``; ends their sessions (but ``keep_session``, a token hash)
    and lifts a lockout. Returns how many sessions ended."""
    _existing(ws, name)
    _check_password(password, name)
    ws.update_user(name, password_hash=hash_password(password))
    ended = ws.end_sessions(name, keep=keep_session)
    ws.clear_throttle(f"account:{name.casefold()}")
    ws.audit("password_changed", by, target=name, client=client, detail={"sessions_ended": ended})
    return ended


def disable(ws: Workspace, name: str, by: str, client: str = "") -> int:
    """``name`` can no longer sign in, and their sessions end at once; returns how many."""
    user = _existing(ws, name)
    if user["role"] == "admin":
        _keep_an_admin(ws, name, "disable")
    ws.update_user(name, disabled=True)
    ended = ws.end_sessions(name)
    ws.audit("user_disabled", by, target=name, client=client, detail={"sessions_ended": ended})
    return ended


def enable(ws: Workspace, name: str, by: str, client: str = "") -> None:
    """``name`` may sign in again; a sign-in lockout on the name is lifted too."""
    _existing(ws, name)
    ws.update_user(name, disabled=False)
    lifted = ws.clear_throttle(f"account:{name.casefold()}")
    ws.audit("user_enabled", by, target=name, client=client, detail={"lockout_lifted": lifted})


def remove(ws: Workspace, name: str, by: str, client: str = "") -> None:
    """Delete ``name`` (their decisions stay in the log under their name)."""
    user = _existing(ws, name)
    if user["role"] == "admin":
        _keep_an_admin(ws, name, "remove")
    ws.remove_user(name)
    ws.audit("user_removed", by, target=name, client=client, detail={"role": user["role"]})


def _existing(ws: Workspace, name: str) -> dict:
    user = ws.user(name)
    if user is None:
        raise PeopleError(f"no person named {name!r}")
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise PeopleError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")


def _check_password(password: str, name: str) -> None:
    problems = password_problems(password or "", name)
    if problems:
        raise PeopleError("; ".join(problems))


def _keep_an_admin(ws: Workspace, name: str, verb: str) -> None:
    others = [u for u in ws.users() if u["role"] == "admin" and not u["disabled"] and u["name"] != name]
    if not others:
        raise PeopleError(f"cannot {verb} {name}: they are the last enabled admin (make someone else admin first)")
