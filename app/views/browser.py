"""Example browser: search and filter by finding, status, category and source; open any
example with its findings and the history of decisions on it; see the added examples."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app.components import text
from app.components.context import flash, require
from app.lib import browse
from curation import review
from curation.decisions import RETRACT_ROLES, WITHDRAWALS, DecisionError
from curation.schema import FINDING_KINDS

STATUSES = ["unchanged", "kept", "dropped", "edited", "added"]


@st.cache_data(show_spinner=False, max_entries=16)
def facets(_ws, root: str, dataset_id: int, content_hash: str) -> dict[str, list[str]]:
    """Category and source values, once per dataset (the workspace itself is not hashed)."""
    found = browse.facets(_ws, dataset_id)
    return {k: sorted(v) for k, v in found.items()}


def retract(decision_id: int, why: str) -> None:
    try:
        review.retract(ws, ds.id, decision_id, ctx.user, ctx.role, why.strip())
    except DecisionError as err:
        flash("error", f"Not retracted: {err}")
        return
    flash("success", f"Retracted decision {decision_id}.")


def when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


ctx = require("review")
ws, ds = ctx.ws, ctx.dataset
st.title("Example browser")
st.caption(f"Dataset: {text.md(ds.name)} ({ds.n_examples:,} examples)")
text.style()
values = facets(ws, str(ws.root), ds.id, ds.content_hash)
c1, c2, c3, c4, c5, c6 = st.columns([3, 2, 2, 2, 2, 1])
search = c1.text_input("Search example text", key="br_search")
kind = c2.selectbox("Finding", ["any", "none", *FINDING_KINDS], key="br_kind")
status = c3.selectbox("Status", ["any", *STATUSES], key="br_status")
category = c4.selectbox("Category", ["any", *values["category"]], key="br_category")
source = c5.selectbox("Source", ["any", *values["source"]], key="br_source")
page_no = int(c6.number_input("Page", min_value=1, value=1, key="br_page"))

if status == "added":
    _, added = browse.curated_statuses(ws.decisions(ds.id))
    st.caption(f"{len(added)} example(s) written by reviewers; they are exported marked as added.")
    for r in added:
        d = r.decision
        st.caption(text.md(f"decision {d.id} · {d.actor} · {when(d.created_at)} · {text.preview(d.reason, 80)}"))
        st.html("".join(f'<div class="cw-role">{text.safe_html(t.role)}</div>'
                        f'<div class="cw-text">{text.rich(t.content)}</div>' for t in r.turns))
    st.stop()

page = browse.browse(ws, ds.id, search=search.strip(), kind=None if kind == "any" else kind,
                     status=None if status == "any" else status, category=None if category == "any" else category,
                     source=None if source == "any" else source, page=page_no, page_size=25)
st.caption(f"{page.total:,} example(s) match · page {page_no} of {max(1, -(-page.total // 25))}")
if page.examples:
    st.dataframe(pd.DataFrame([{"row": ex.row, "id": ex.source_id, "category": ex.record.get("category"),
                                "source": ex.record.get("source"), "status": page.statuses[ex.row],
                                "findings": ", ".join(page.kinds[ex.row]), "request": text.preview(ex.user_request),
                                "answer": text.preview(ex.answer)} for ex in page.examples])
                 .dropna(axis=1, how="all"),  # no category/source columns for data without them
                 hide_index=True, width="stretch")
    rows = [ex.row for ex in page.examples]
    row = st.selectbox("Open example", rows, key="br_open")
    ex = next(e for e in page.examples if e.row == row)
    left, right = st.columns([3, 2])
    with left:
        text.card(ex, f"status {page.statuses[row]}", show_system=True)
    with right:
        decisions, found = browse.history(ws, ds.id, row)
        st.markdown("**Findings**")
        for f in found:
            st.caption(f"{f.kind} · score {f.score:.2f} · rows {', '.join(map(str, f.rows[:10]))} · {f.finding_id}")
            text.plain(f.reason)
        if not found:
            st.caption("None in the latest scan.")
        st.markdown("**History of decisions**")
        withdrawn = {d.undoes: d for d in decisions if d.action in WITHDRAWALS}
        if decisions:
            st.dataframe(pd.DataFrame([{"id": d.id, "when": when(d.created_at), "who": d.actor, "action": d.action,
                                        "reason": d.reason,
                                        "withdrawn": (f"{withdrawn[d.id].action} by {withdrawn[d.id].actor}"
                                                      if d.id in withdrawn else "")} for d in decisions]),
                         hide_index=True, width="stretch")
        else:
            st.caption("No decision touched this example yet.")
        live = [d for d in decisions if d.action not in WITHDRAWALS and d.id not in withdrawn]
        if live and ctx.role in RETRACT_ROLES:
            with st.expander("Retract a decision (curators)"):
                target = st.selectbox("Decision", [d.id for d in live], key=f"br_retract_id_{row}",
                                      format_func=lambda i: next(f"{d.id}: {d.action} by {d.actor}" for d in live
                                                                 if d.id == i))
                why = st.text_input("Why", key=f"br_retract_why_{row}")
                st.button("Retract", key="br_retract", disabled=not why.strip(), on_click=retract,
                          args=(target, why))
