"""Users (admins): people, their roles and passwords, disabling and removing, sessions.

The same operations and rules as `curate users ...` (``curation.people``): one password
policy, validated names, a role change keeps the password, the last enabled admin stays.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import streamlit as st

from app.components import text
from app.components.context import client_address, flash, require, session_token
from curation import people, signin
from curation.auth import ROLES
from curation.busy import BusyError
from curation.credentials import MIN_LENGTH

ctx = require("manage_users", need_dataset=False)
ws = ctx.ws
st.title("Users")
st.caption(
    "Annotators review and decide; curators also configure scans, adjudicate, export and launch "
    "fine-tunes; admins also manage people and read the audit log. Passwords are stored as Argon2id "
    f"hashes; a password has at least {MIN_LENGTH} characters and is not a common one."
)


def when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def run(what: str, fn, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
    """Do one change as the signed-in admin; a refused change is a message, never an error page."""
    try:
        fn(ws, *args, by=ctx.user, client=client_address(), **kwargs)
    except people.PeopleError as err:
        flash("error", f"Not changed: {err}")
        return
    except BusyError as err:
        flash("warning", f"Not changed: {err}")
        return
    flash("success", what)


users = ws.users()
sessions: dict[str, list[dict]] = {}
for s in ws.sessions():
    sessions.setdefault(s["user"], []).append(s)
now = time.time()


def state(u: dict) -> str:
    lock = ws.throttle(f"account:{u['name'].casefold()}")
    if u["disabled"]:
        return "disabled"
    if lock and lock["locked_until"] and lock["locked_until"] > now:
        return f"locked until {when(lock['locked_until'])}"
    return "enabled" if u["password_hash"] else "no password"


if users:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "name": u["name"],
                    "role": u["role"],
                    "state": state(u),
                    "sessions": len(sessions.get(u["name"], [])),
                    "last seen": when(max((s["last_seen"] for s in sessions.get(u["name"], [])), default=None)),
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("No users yet." + ("" if ctx.team else " Local mode needs none; team mode does."))

with st.form("add_user", clear_on_submit=True):
    st.markdown("**Add a person**")
    c1, c2 = st.columns(2)
    name = c1.text_input("Name", key="user_name", help="Letters, digits, '.', '_' or '-'")
    role = c2.selectbox("Role", ROLES, key="user_role")
    password = st.text_input("Password", type="password", key="user_password")
    if st.form_submit_button("Add"):
        run(f"Added {name.strip()} as {role}.", people.add, name, role, password)
        st.rerun()

if users:
    st.subheader("Change a person")
    names = [u["name"] for u in users]
    who = st.selectbox("Person", names, key="user_pick")
    target = next(u for u in users if u["name"] == who)
    st.caption(text.md(f"{who}: {target['role']}, {state(target)}, {len(sessions.get(who, []))} open session(s)"))
    c1, c2 = st.columns(2)
    with c1, st.form("user_role_form"):
        new_role = st.selectbox(
            "Role", ROLES, index=ROLES.index(target["role"]) if target["role"] in ROLES else 0, key="user_new_role"
        )
        if st.form_submit_button("Change the role (the password stays)"):
            if ctx.team and who == ctx.user and new_role != "admin":
                st.error("You cannot remove your own admin role; ask another admin.")
            else:
                run(f"{who} is now {new_role}.", people.set_role, who, new_role)
                st.rerun()
    with c2, st.form("user_password_form", clear_on_submit=True):
        new_password = st.text_input("New password", type="password", key="user_new_password")
        if st.form_submit_button("Set the password (signs them out elsewhere)"):
            mine = signin.token_hash(session_token()) if who == ctx.user and session_token() else None
            run(f"New password set for {who}.", people.set_password, who, new_password, keep_session=mine)
            st.rerun()
    b1, b2, b3 = st.columns(3)
    if target["disabled"]:
        b1.button(
            "Enable (and lift a lockout)",
            key="user_enable",
            width="stretch",
            on_click=run,
            args=(f"{who} can sign in again.", people.enable, who),
        )
    else:
        b1.button(
            "Disable (ends their sessions)",
            key="user_disable",
            width="stretch",
            disabled=who == ctx.user,
            on_click=run,
            args=(f"{who} is disabled.", people.disable, who),
        )
        if state(target).startswith("locked"):
            b1.button(
                "Lift the lockout",
                key="user_unlock",
                width="stretch",
                on_click=run,
                args=(f"{who} can try again.", people.enable, who),
            )
    b2.button(
        "Sign out everywhere",
        key="user_signout_all",
        width="stretch",
        on_click=lambda: (
            signin.end_everywhere(ws, who, ctx.user, client_address()),
            flash("success", f"Ended every session of {who}."),
        ),
    )
    confirm = b3.checkbox(f"Yes, remove {text.md(who)}", key=f"user_remove_ok_{who}", disabled=who == ctx.user)
    b3.button(
        "Remove",
        key="user_remove",
        width="stretch",
        disabled=not confirm or who == ctx.user,
        on_click=run,
        args=(f"Removed {who}.", people.remove, who),
    )
