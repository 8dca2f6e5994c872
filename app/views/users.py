"""Users (admins): people, their roles and passwords for team mode."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components.context import flash, require
from curation.auth import ROLES, hash_password

ctx = require("manage_users", need_dataset=False)
ws = ctx.ws
st.title("Users")
st.caption("Annotators review and decide; curators also configure scans, adjudicate, export and launch "
           "fine-tunes; admins also manage users. Passwords are stored as salted scrypt hashes.")
users = ws.users()
if users:
    st.dataframe(pd.DataFrame([{"name": u["name"], "role": u["role"], "password set": bool(u["password_hash"])}
                               for u in users]), hide_index=True, width="stretch")
else:
    st.caption("No users yet." + ("" if ctx.team else " Local mode needs none; team mode does."))

with st.form("add_user", clear_on_submit=True):
    st.markdown("**Add a person or change a role**")
    name = st.text_input("Name", key="user_name")
    role = st.selectbox("Role", ROLES, key="user_role")
    password = st.text_input("Password (leave empty to keep the current one)", type="password", key="user_password")
    if st.form_submit_button("Save"):
        name = name.strip()
        existing = ws.user(name) if name else None
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            st.error("A name is letters, digits, '.', '-' or '_'.")
        elif not password and existing is None:
            st.error("A new person needs a password.")
        elif password and len(password) < 8:
            st.error("Use at least 8 characters.")
        elif ctx.team and name == ctx.user and role != "admin":
            st.error("You cannot remove your own admin role; ask another admin.")
        else:
            stored = hash_password(password) if password else existing["password_hash"]
            ws.add_user(name, role, stored)
            flash("success", f"Saved {name} as {role}.")
            st.rerun()
