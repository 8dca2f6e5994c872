"""Contradictions: the answers side by side with the differing words highlighted; pick the
right one, edit one into the right answer (the others are dropped), drop all, or keep all."""

from __future__ import annotations

import streamlit as st

from app.components import keys, queue_ui, text
from app.components.context import require

KIND = "contradiction"
ctx = require("review")
shown = queue_ui.show(ctx, KIND, "Contradictions")
item = shown.item
if item is not None:
    f = item.finding
    rows = [r for r in f.rows if r in item.examples]
    note = queue_ui.note_key(KIND, item)
    first = item.examples[rows[0]] if rows else None
    bindings = []
    for group in text.members_grid([item.examples[r] for r in rows]):
        for col, ex in zip(st.columns(3), group):
            with col:
                other = item.examples[rows[1]] if ex.row == rows[0] and len(rows) > 1 else first
                text.card(ex, f"answer {rows.index(ex.row) + 1}", compare_answer=other.answer)
                n = rows.index(ex.row) + 1
                pick = (ctx, item, ("pick", f.rows, {"keep_row": ex.row}), f"picked row {ex.row}", note)
                if n <= 9:
                    bindings.append(keys.Binding(str(n), f"answer {n} (row {ex.row}) is right", queue_ui.act, pick))
                st.button(keys.hint("This one is right", str(n)) if n <= 9 else "This one is right",
                          key=f"con_pick_{ex.row}", type="primary", width="stretch", on_click=queue_ui.act, args=pick)
    conflicts = f.evidence.get("conflicts") or ([" vs ".join(map(str, f.evidence["values"]))]
                                                if f.evidence.get("values") else [])
    if conflicts:
        st.caption("What differs: " + text.md("; ".join(map(str, conflicts))))
    drop = keys.Binding("d", "all wrong: drop all", queue_ui.act,
                        (ctx, item, ("drop", f.rows, {}), "dropped all answers", note))
    keep = keys.Binding("k", "no contradiction: keep all", queue_ui.act,
                        (ctx, item, ("keep", f.rows, {}), "not a contradiction, kept all", note))
    bindings += [drop, keep]
    c1, c2 = st.columns(2)
    c1.button(keys.hint("All wrong: drop all", "d"), key="con_drop", width="stretch", on_click=queue_ui.act,
              args=drop.args)
    c2.button(keys.hint("No contradiction: keep all", "k"), key="con_keep", width="stretch", on_click=queue_ui.act,
              args=keep.args)
    with st.expander("Edit one into the right answer (the others are dropped)", expanded=False):
        target = st.selectbox("Answer to edit", rows, format_func=lambda r: f"answer {rows.index(r) + 1} (row {r})",
                              key=f"con_target_{f.finding_id}")
        edit_key = f"con_edit_{f.finding_id}_{target}"
        st.text_area("Right answer", value=item.examples[target].answer, key=edit_key, height=160)

        def save_edit(row: int = target, key: str = edit_key) -> None:
            answer = (st.session_state.get(key) or "").strip()
            if not answer:
                queue_ui.flash("error", "The edited answer is empty.")
                return
            # one event: the pick and its edit are stored together or not at all
            queue_ui.act(ctx, item, ("pick", f.rows, {"keep_row": row, "answer": answer}),
                         f"edited row {row} into the right answer", note)

        st.button("Save as the right answer", key="con_save_edit", on_click=save_edit)
    queue_ui.common_bar(ctx, KIND, shown, bindings)
