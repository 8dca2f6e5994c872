"""Audit log (admins): sign-ins, failed sign-ins and lockouts, people changes, exports, and
retractions (read from the decisions themselves). Shown as tables: nothing in them renders
as markdown or HTML, whatever a name typed at the sign-in form holds."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app.components.context import require

GROUPS = {
    "sign-ins": ["signin", "signout", "signout_everywhere", "session_expired"],
    "failures and lockouts": ["signin_failed", "lockout"],
    "people": ["user_added", "role_changed", "password_changed", "user_disabled", "user_enabled", "user_removed"],
    "exports": ["export"],
}

ctx = require("manage_users", need_dataset=False)
ws = ctx.ws
st.title("Audit log")


def when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


c1, c2, c3 = st.columns([3, 2, 1])
chosen = c1.multiselect("Show", [*GROUPS, "retractions"], default=[*GROUPS, "retractions"], key="audit_groups")
person = c2.text_input("Person (as actor or target)", key="audit_person").strip() or None
limit = int(c3.number_input("Rows", min_value=10, max_value=5000, value=200, step=50, key="audit_limit"))

actions = [a for g in chosen if g in GROUPS for a in GROUPS[g]]
events = ws.audit_events(actions, person, limit=limit) if actions else []
failures = [e for e in events if e["action"] in ("signin_failed", "lockout")]
m = st.columns(3)
m[0].metric("Events shown", len(events))
m[1].metric("Failed sign-ins shown", sum(e["action"] == "signin_failed" for e in failures))
m[2].metric("Lockouts shown", sum(e["action"] == "lockout" for e in failures))
if events:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "when": when(e["at"]),
                    "event": e["action"],
                    "by": e["actor"],
                    "about": e["target"],
                    "client": e["client"],
                    "detail": ", ".join(f"{k}: {v}" for k, v in e["detail"].items()),
                }
                for e in events
            ]
        ),
        hide_index=True,
        width="stretch",
    )
elif actions:
    st.caption("No events match.")

if "retractions" in chosen:
    st.subheader("Retractions")
    found = [r for r in ws.retractions(limit) if person in (None, r["actor"], r["withdrawn_actor"])]
    if found:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "when": when(r["created_at"]),
                        "dataset": r["dataset"],
                        "by": r["actor"],
                        "role": r["role"],
                        "decision": r["undoes"],
                        "withdrew": f"{r['withdrawn_action']} by {r['withdrawn_actor']}",
                        "why": r["reason"],
                    }
                    for r in found
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No retractions.")
