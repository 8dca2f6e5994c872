"""Team review (curators): double-blind routing, agreement (Cohen's kappa), and the
adjudication queue of items whose two blind votes disagree."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import text
from app.components.context import flash, require
from curation import review
from curation.auth import allowed
from curation.decisions import DecisionError
from curation.schema import Decision
from curation.store import ConflictError

ctx = require("adjudicate")
ws, ds = ctx.ws, ctx.dataset
st.title("Team review")
text.style()

current = review.load_settings(ws, ds.id)
reviewers = [u["name"] for u in ws.users() if allowed(u["role"], "review")]
with st.form("routing"):
    blind = st.checkbox("Double-blind: route each item to two annotators who do not see each other's decision",
                        value=current.double_blind, key="team_blind")
    chosen = st.multiselect("Annotators in the rotation", sorted(set(reviewers) | set(current.annotators)),
                            default=list(current.annotators), key="team_annotators")
    if st.form_submit_button("Save routing"):
        if blind and len(chosen) < 2:
            st.error("Double-blind review needs at least two annotators.")
        else:
            review.save_settings(ws, ds.id, review.ReviewSettings(blind, tuple(chosen)))
            st.success("Saved. Annotators now see only the items routed to them." if blind else "Saved.")

st.subheader("Agreement")
agree = review.agreement(ws, ds.id)
c = st.columns(3)
c[0].metric("Items with two votes", agree["n_items"])
c[1].metric("Agreed", agree["n_agree"])
c[2].metric("Cohen's kappa", "n/a" if agree["kappa"] is None else f"{agree['kappa']:.2f}")
if agree["pairs"]:
    st.dataframe(pd.DataFrame(agree["pairs"]), hide_index=True, width="stretch")


def adjudicate(item: review.QueueItem, vote: Decision) -> None:
    action, rows, payload = review.voted_decision(vote)
    try:
        review.decide(ws, ds.id, item.finding.finding_id, item.state.version, action, rows, payload, ctx.user,
                      ctx.role, reason=f"adjudicated: chose {vote.actor}'s decision ({vote.payload['label']})",
                      settings=review.ReviewSettings())
    except ConflictError:
        flash("warning", "Someone decided on this item meanwhile; it is shown as it is now.")
        return
    except DecisionError as err:
        flash("error", f"Not recorded: {err}")
        return
    flash("success", f"Applied {vote.actor}'s decision.")


st.subheader("Adjudication queue")
page_no = st.number_input("Page", min_value=1, value=1, key="adj_page")
page = review.adjudication_queue(ws, ds.id, page=int(page_no), page_size=5)
st.caption(f"{page.total} item(s) where the two blind votes disagree.")
for item in page.items:
    f = item.finding
    with st.container(border=True):
        st.caption(f"{f.kind} · score {f.score:.2f} · {f.finding_id}")
        text.plain(f.reason, "why")
        for group in text.members_grid(list(item.examples.values())):
            for col, ex in zip(st.columns(3), group):
                with col:
                    text.card(ex)
        for ref in item.references.values():
            text.plain(ref.user_request, f"ref {ref.row}")
        cols = st.columns(max(1, len(item.state.votes)))
        for col, vote in zip(cols, item.state.votes):
            with col:
                text.plain(f"{vote.actor} chose {vote.payload.get('label')}", "vote")
                st.button(f"Apply {vote.actor}'s decision", key=f"adj_{f.finding_id}_{vote.actor}",
                          on_click=adjudicate, args=(item, vote))
        st.caption(f"Or decide differently on the {f.kind} page (status filter: disputed).")
