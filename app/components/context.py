"""Who is using the app, on which workspace and dataset, and what their role allows.

Local mode (the default) needs no setup: the person is ``$USER`` acting as admin.
Team mode (``CURATE_TEAM_MODE=1``) requires signing in (``curation.signin``: throttled,
audited). A sign-in starts a session whose token the browser keeps in a cookie, so a reload
or a new tab stays signed in; on every rerun the session is checked again (idle and
absolute timeouts, sign-out everywhere) and the person's role read afresh, so a changed
role or a disabling takes effect on the next click. Every page calls ``require`` first.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app.components import session_cookie
from curation import review, signin
from curation.auth import allowed
from curation.decisions import Ledger
from curation.store import Dataset, Workspace

TOKEN = "session_token"  # session_state key of the signed-in session's token


@dataclass(frozen=True)
class Ctx:
    ws: Workspace
    dataset: Dataset | None
    user: str
    role: str
    team: bool

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)

    def hidden(self) -> set[int]:
        """Ids of the decisions this person may not see yet (double-blind: everyone else's
        votes on items not resolved, ``review.hidden_events``)."""
        return review.hidden_events(self.ws, self.dataset.id, self.user, self.role)

    def visible(self) -> Ledger:
        """The dataset's decisions as this person may see them (``review.visible_ledger``):
        what every page that shows statuses, counts or history reads."""
        return review.visible_ledger(self.ws, self.dataset.id, self.user, self.role)


@st.cache_resource(show_spinner=False, max_entries=8)
def open_workspace(path: str) -> Workspace:
    """One Workspace (engine and connection pool) per folder for the whole server."""
    return Workspace(Path(path))


def team_mode() -> bool:
    return os.environ.get("CURATE_TEAM_MODE", "") not in ("", "0", "false")


def local_user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser() or "local"
    except OSError:
        return "local"


def workspace_path() -> str:
    default = os.environ.get("CURATE_WORKSPACE", "workspace")
    return st.session_state.get("workspace_path", default) if not team_mode() else default


def client_address() -> str:
    """The address a request came from: the first ``X-Forwarded-For`` hop behind a reverse
    proxy the server trusts (``CURATE_TRUST_PROXY=1``), else the connection's own."""
    try:
        if os.environ.get("CURATE_TRUST_PROXY") == "1":
            forwarded = st.context.headers.get("X-Forwarded-For")
            if isinstance(forwarded, str) and forwarded.split(",")[0].strip():
                return forwarded.split(",")[0].strip()[:200]
        address = st.context.ip_address
        return address[:200] if isinstance(address, str) else ""
    except (AttributeError, RuntimeError):
        return ""


def cookie_token() -> str | None:
    """The session token the browser sent with this connection (None without one)."""
    try:
        value = st.context.cookies.get(session_cookie.NAME)
    except (AttributeError, RuntimeError):
        return None
    return value if isinstance(value, str) and value else None


def sign_in(ws: Workspace, name: str, password: str) -> signin.Outcome:
    """Check a name and password; on success start a session and remember it (here and in
    the browser's cookie)."""
    client = client_address()
    outcome = signin.sign_in(ws, name, password, client)
    if outcome.ok:
        st.session_state[TOKEN] = signin.start_session(ws, outcome.user["name"], client)
    return outcome


def sign_out(ws: Workspace, user: str, everywhere: bool = False) -> None:
    """End this session (``everywhere``: every session of the person, other browsers too)."""
    token = st.session_state.pop(TOKEN, None)
    if everywhere:
        signin.end_everywhere(ws, user, user, client_address())
    else:
        signin.end_session(ws, token, user, client_address())
    st.session_state["_signed_out"] = True  # the cookie this connection came with is stale now
    for key in ("dataset_id", "_ctx"):
        st.session_state.pop(key, None)


def person(ws: Workspace) -> tuple[str, str] | None:
    """(name, role) of the person using the app; None in team mode before sign-in, after the
    session ended, or once the person was removed or disabled."""
    if not team_mode():
        return local_user(), "admin"
    token = st.session_state.get(TOKEN)
    if token is None and not st.session_state.get("_signed_out"):
        token = cookie_token()  # a reload, or a new tab: the browser kept the session
    user = signin.session_user(ws, token)
    if user is None:
        st.session_state.pop(TOKEN, None)
        return None
    st.session_state[TOKEN] = token
    return user["name"], user["role"]


def session_token() -> str | None:
    return st.session_state.get(TOKEN)


def pick_dataset(ws: Workspace) -> Dataset | None:
    """The dataset chosen in the sidebar (the newest one by default)."""
    sets = ws.datasets(include_reference=False)
    if not sets:
        return None
    ids = [d.id for d in sets]
    if st.session_state.get("dataset_id") not in ids:
        st.session_state["dataset_id"] = ids[-1]
    return next(d for d in sets if d.id == st.session_state["dataset_id"])


def set_current(ctx: Ctx) -> None:
    st.session_state["_ctx"] = ctx


def current() -> Ctx:
    ctx = st.session_state.get("_ctx")
    if ctx is None:
        st.error("Open the app through its main page.")
        st.stop()
    return ctx


def require(permission: str, need_dataset: bool = True) -> Ctx:
    """The context, after checking the role may do ``permission``; stops the page otherwise."""
    ctx = current()
    if not ctx.can(permission):
        st.error(f"Your role ({ctx.role}) does not allow this page ({permission}).")
        st.stop()
    if need_dataset and ctx.dataset is None:
        st.info(
            "This workspace has no dataset yet. A curator can add one on the Data & scans page, "
            "or run `curate demo` and open workspace/demo."
        )
        st.stop()
    return ctx


FLASH_ICONS = {
    "success": ":material/check_circle:",
    "info": ":material/info:",
    "warning": ":material/warning:",
    "error": ":material/error:",
}


def flash(kind: str, message: str) -> None:
    """A message shown once on the next rerun (set from callbacks)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    """Pending messages as toasts: they float over the page instead of being drawn above it,
    so a message appearing or going away never moves the widgets (a moved text field is
    redrawn and loses the keyboard focus). Warnings and errors stay until closed."""
    from app.components.text import md

    for kind, message in st.session_state.pop("_flash", []):
        st.toast(
            md(message), icon=FLASH_ICONS.get(kind), duration="short" if kind in ("success", "info") else "infinite"
        )
