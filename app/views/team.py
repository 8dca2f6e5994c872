"""Team review (curators): double-blind routing, agreement (Cohen's kappa), and the
adjudication queue of items whose two blind votes disagree."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import text
from app.components.context import flash, require
from curation import guidance, review
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
    blind = st.checkbox(
        "Double-blind: route each item to two annotators who do not see each other's decision",
        value=current.double_blind,
        key="team_blind",
    )
    chosen = st.multiselect(
        "Annotators in the rotation",
        sorted(set(reviewers) | set(current.annotators)),
        default=list(current.annotators),
        key="team_annotators",
    )
    if st.form_submit_button("Save routing"):
        if blind and len(chosen) < 2:
            st.error("Double-blind review needs at least two annotators.")
        else:
            review.save_settings(ws, ds.id, review.ReviewSettings(blind, tuple(chosen)))
            st.success("Saved. Annotators now see only the items routed to them." if blind else "Saved.")

st.subheader("Agreement")
view = ctx.visible()  # a curator in the rotation sees no vote on the items routed to them
agree = review.agreement(ws, ds.id, ledger=view)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


c = st.columns(5)
c[0].metric("Items with two votes", agree["n_items"])
c[1].metric("Same action", agree["n_agree_category"], help="keep / drop / merge / pick / edit / add")
c[2].metric("Same decision", agree["n_agree"], help="the action and the rows it keeps or edits")
c[3].metric("Cohen's kappa (action)", _fmt(agree["kappa"]), help="over the action category, not the exact rows")
c[4].metric("Krippendorff's alpha", _fmt(agree["alpha"]), help="nominal; any number of annotators per item")
if agree["by_kind"]:
    st.dataframe(pd.DataFrame(agree["by_kind"]), hide_index=True, width="stretch")
if agree["pairs"]:
    st.dataframe(pd.DataFrame(agree["pairs"]), hide_index=True, width="stretch")

st.subheader("Guidelines and facts sheet")
st.caption(
    "Shown to reviewers beside every contradiction; a fact whose current value only one side states "
    "marks that side as a suggestion."
)
guide = st.text_area("Review guidelines", value=guidance.load_guidelines(ws, ds.id), key="team_guidelines", height=120)
if st.button("Save the guidelines", key="team_save_guidelines"):
    guidance.save_guidelines(ws, ds.id, guide)
    st.success("Saved.")
facts = guidance.load_facts(ws, ds.id)
table = pd.DataFrame(
    [{"key": k, "value": v["value"], "label": v["label"]} for k, v in facts.items()]
    or [{"key": "", "value": "", "label": ""}]
)
edited = st.data_editor(table, num_rows="dynamic", hide_index=True, width="stretch", key="team_facts")
c1, c2 = st.columns([1, 2])
if c1.button("Save the facts sheet", key="team_save_facts"):
    guidance.save_facts(
        ws,
        ds.id,
        {str(r["key"]): {"value": r["value"], "label": r["label"]} for r in edited.to_dict("records") if r.get("key")},
    )
    st.success("Saved.")
upload = c2.file_uploader("Or import a facts file (JSON)", type=["json"], key="team_facts_file")
if upload is not None and st.button("Import it", key="team_import_facts"):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (upload.name or "facts.json")
        path.write_bytes(upload.getvalue())
        try:
            guidance.save_facts(ws, ds.id, guidance.read_facts(path))
        except guidance.FactsError as err:
            st.error(text.md(str(err).replace(str(path), upload.name or "facts.json")))
        else:
            st.success("Imported.")


def adjudicate(item: review.QueueItem, vote: Decision) -> None:
    action, rows, payload = review.voted_decision(vote)
    agreeing = sorted(v.actor for v in item.state.votes if v.payload.get("label") == vote.payload.get("label"))
    payload = {**payload, "agreed_by": agreeing}  # every annotator who chose it gets the credit
    try:
        review.decide(
            ws,
            ds.id,
            item.finding.finding_id,
            item.state.version,
            action,
            rows,
            payload,
            ctx.user,
            ctx.role,
            reason=f"adjudicated: chose {vote.actor}'s decision ({vote.payload['label']})",
            settings=review.ReviewSettings(),
        )
    except ConflictError:
        flash("warning", "Someone decided on this item meanwhile; it is shown as it is now.")
        return
    except DecisionError as err:
        flash("error", f"Not recorded: {err}")
        return
    flash("success", f"Applied {vote.actor}'s decision.")


st.subheader("Adjudication queue")
page_no = st.number_input("Page", min_value=1, value=1, key="adj_page")
page = review.adjudication_queue(ws, ds.id, page=int(page_no), page_size=5, view=view)
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
                st.button(
                    text.md(f"Apply {vote.actor}'s decision"),
                    key=f"adj_{f.finding_id}_{vote.actor}",
                    on_click=adjudicate,
                    args=(item, vote),
                )
        st.caption(f"Or decide differently on the {f.kind} page (status filter: disputed).")
