"""Duplicates: each group side by side, differences from the representative highlighted;
merge onto the representative, keep one, keep several, or keep all (not duplicates)."""

from __future__ import annotations

import streamlit as st

from app.components import keys, queue_ui, text
from app.components.context import require
from curation import review

KIND = "duplicate"
ctx = require("review")
shown = queue_ui.show(ctx, KIND, "Duplicates")
item = shown.item
if item is not None:
    f = item.finding
    rows = [r for r in f.rows if r in item.examples]
    rep = int(f.evidence.get("representative", rows[0] if rows else 0))
    rep_ex = item.examples.get(rep)
    members = f.evidence.get("members") or []  # [{"row", "edge", "similarity", "how", ...}] per member
    member_info = (
        {int(m["row"]): m for m in members if isinstance(m, dict) and "row" in m}
        if isinstance(members, list)
        else {int(k): v for k, v in members.items()}
    )
    note = queue_ui.note_key(KIND, item)
    in_conflict = sorted(
        {r for g in review.review_groups(ctx.ws, ctx.dataset.id, "contradiction") for r in g.rows} & set(rows)
    )
    if in_conflict:
        st.info(
            text.md(
                f"Rows {', '.join(map(str, in_conflict))} are in a disagreement (Contradictions page): "
                "choosing the right side there settles this group too, copies included."
            )
        )
    ordered = [rep] + [r for r in rows if r != rep] if rep in item.examples else rows
    for group in text.members_grid([item.examples[r] for r in ordered]):
        for col, ex in zip(st.columns(3), group):
            with col:
                is_rep = ex.row == rep
                info = member_info.get(ex.row) or {}
                how = " · ".join(str(info[k]) for k in ("edge", "how") if info.get(k))
                sim = f" · similarity {info['similarity']:.2f}" if isinstance(info.get("similarity"), float) else ""
                title = ("★ representative" if is_rep else "member") + (f" · {how}" if how else "") + sim
                text.card(
                    ex,
                    title,
                    compare_answer=None if is_rep or rep_ex is None else rep_ex.answer,
                    compare_request=None if is_rep or rep_ex is None else rep_ex.user_request,
                    state=queue_ui.row_state(item.row_states.get(ex.row)),
                )
                st.button(
                    f"Keep only row {ex.row}",
                    key=f"dup_only_{ex.row}",
                    width="stretch",
                    on_click=queue_ui.act,
                    args=(ctx, item, ("merge", f.rows, {"keep_row": ex.row}), f"kept only row {ex.row}", note),
                )
    why = f.evidence.get("representative_reason")
    st.caption("Highlighted words differ from the representative" + (f"; {text.md(why)}." if why else "."))
    bindings = [
        keys.Binding(
            "m",
            f"merge: keep representative {rep}",
            queue_ui.act,
            (ctx, item, ("merge", f.rows, {"keep_row": rep}), f"merged onto row {rep}", note),
        ),
        keys.Binding(
            "k",
            "not duplicates: keep all",
            queue_ui.act,
            (ctx, item, ("keep", f.rows, {}), "not duplicates, kept all", note),
        ),
        keys.Binding(
            "d",
            "drop the whole group",
            queue_ui.act,
            (ctx, item, ("drop", f.rows, {}), "dropped the whole group", note),
        ),
    ]
    c1, c2, c3 = st.columns(3)
    for col, b, label, key, btype in zip(
        (c1, c2, c3),
        bindings,
        (f"Merge: keep representative {rep}", "Not duplicates: keep all", "Drop the whole group"),
        ("dup_merge", "dup_keep", "dup_drop"),
        ("primary", "secondary", "secondary"),
    ):
        col.button(keys.hint(label, b.key), key=key, type=btype, width="stretch", on_click=b.callback, args=b.args)
    several = st.multiselect(
        "Keep several (the rest are dropped)",
        rows,
        default=[rep] if rep in rows else [],
        key=f"dup_several_{f.finding_id}",
    )
    st.button(
        "Keep the selected rows",
        key="dup_keep_several",
        disabled=not several,
        on_click=queue_ui.act,
        args=(
            ctx,
            item,
            ("merge", f.rows, {"keep_rows": sorted(several)}),
            f"kept rows {', '.join(map(str, sorted(several)))}",
            note,
        ),
    )
    queue_ui.common_bar(ctx, KIND, shown, bindings)
