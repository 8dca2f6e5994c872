"""Other findings (quality, leakage and any kind a detector adds): keep, drop or edit."""

from __future__ import annotations

import streamlit as st

from app.components import keys, queue_ui, text
from app.components.context import flash, require

OWN_PAGES = {"duplicate", "contradiction", "coverage_gap"}
ctx = require("review")
kinds = [k for k in ctx.ws.finding_kinds(ctx.dataset.id) if k not in OWN_PAGES]
if not kinds:
    st.title("Other findings")
    st.success("The latest scan found nothing besides duplicates, contradictions and gaps.")
    st.stop()
kind = st.segmented_control("Kind", kinds, default=kinds[0], key="other_kind") or kinds[0]
shown = queue_ui.show(ctx, kind, f"Other findings · {kind}")
item = shown.item
if item is not None:
    f = item.finding
    note = queue_ui.note_key(kind, item)
    for group in text.members_grid(list(item.examples.values())):
        for col, ex in zip(st.columns(3), group):
            with col:
                text.card(ex, state=queue_ui.row_state(item.row_states.get(ex.row)))
    for row, ref in item.references.items():  # e.g. the evaluation prompt a training row leaks
        text.plain(ref.user_request or ref.request, f"{'eval' if f.kind == 'leakage' else 'reference'} prompt {row}")
    keep = keys.Binding(
        "k",
        "fine as it is: keep",
        queue_ui.act,
        (ctx, item, ("keep", f.rows, {}), f"kept ({kind} finding dismissed)", note),
    )
    drop = keys.Binding("d", "drop", queue_ui.act, (ctx, item, ("drop", f.rows, {}), f"dropped ({kind})", note))
    c1, c2 = st.columns(2)
    c1.button(
        keys.hint("Fine as it is: keep", "k"),
        key=f"{kind}_keep",
        width="stretch",
        on_click=queue_ui.act,
        args=keep.args,
    )
    c2.button(
        keys.hint("Drop", "d"),
        key=f"{kind}_drop",
        type="primary",
        width="stretch",
        on_click=queue_ui.act,
        args=drop.args,
    )
    if len(item.examples) == 1:
        ex = next(iter(item.examples.values()))
        with st.expander("Edit the answer instead"):
            key = f"{kind}_edit_{f.finding_id}"
            st.text_area("Answer", value=ex.answer, key=key, height=140)

            def save_edit() -> None:
                answer = (st.session_state.get(key) or "").strip()
                if not answer:
                    flash("error", "The edited answer is empty.")
                    return
                queue_ui.act(ctx, item, ("edit", (ex.row,), {"answer": answer}), f"edited row {ex.row}", note)

            st.button("Save the edit", key=f"{kind}_save_edit", on_click=save_edit)
    queue_ui.common_bar(ctx, kind, shown, [keep, drop])
