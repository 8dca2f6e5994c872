"""Who is using the app, on which workspace and dataset, and what their role allows.

Local mode (the default) needs no setup: the person is ``$USER`` acting as admin.
Team mode (``CURATE_TEAM_MODE=1``) requires signing in against the workspace users table
(scrypt hashes, ``curation.auth``); the role is re-read from the table on every rerun, so
a changed or removed role takes effect at once. Every page calls ``require`` first.
"""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from curation.auth import allowed, verify_password
from curation.store import Dataset, Workspace


@dataclass(frozen=True)
class Ctx:
    ws: Workspace
    dataset: Dataset | None
    user: str
    role: str
    team: bool

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)


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


def sign_in(ws: Workspace, name: str, password: str) -> bool:
    """Check a name and password against the users table; remember the person on success."""
    user = ws.user(name.strip()) if name else None
    if user is None or not verify_password(password, user.get("password_hash")):
        time.sleep(0.3)  # slows down guessing a little
        return False
    st.session_state["user"] = user["name"]
    return True


def sign_out() -> None:
    for key in ("user", "dataset_id"):
        st.session_state.pop(key, None)


def person(ws: Workspace) -> tuple[str, str] | None:
    """(name, role) of the person using the app; None in team mode before sign-in."""
    if not team_mode():
        return local_user(), "admin"
    name = st.session_state.get("user")
    user = ws.user(name) if name else None
    if user is None:
        st.session_state.pop("user", None)
        return None
    return user["name"], user["role"]


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
        st.info("This workspace has no dataset yet. A curator can add one on the Data & scans page, "
                "or run `curate demo` and open workspace/demo.")
        st.stop()
    return ctx


FLASH_ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:",
               "error": ":material/error:"}


def flash(kind: str, message: str) -> None:
    """A message shown once on the next rerun (set from callbacks)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    """Pending messages as toasts: they float over the page instead of being drawn above it,
    so a message appearing or going away never moves the widgets (a moved text field is
    redrawn and loses the keyboard focus). Warnings and errors stay until closed."""
    from app.components.text import md

    for kind, message in st.session_state.pop("_flash", []):
        st.toast(md(message), icon=FLASH_ICONS.get(kind), duration="short" if kind in ("success", "info") else "infinite")
