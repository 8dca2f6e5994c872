"""Contradictions, one review item per disagreement: every row that answers one fact
differently, grouped by side (rows that assert the same values), the sides side by side with
their counts and rows. One decision settles the whole disagreement: this side is right
(the other sides and any copies are dropped), edit one row into the right answer, all
valid (an open-ended request), different requests, or all wrong. The workspace's
guidelines and facts sheet are shown beside it. A suggested side (``curation.suggestions``:
the facts sheet, recency of dated rows, support by rows and phrasings) is marked with its
confidence and the evidence behind it."""

from __future__ import annotations

import streamlit as st

from app.components import keys, queue_ui, text
from app.components.context import require
from curation import review_items as items_
from curation import suggestions
from curation.guidance import load_facts, load_guidelines

KIND = "contradiction"
ctx = require("review")
shown = queue_ui.show(ctx, KIND, "Contradictions")
item = shown.item
if item is not None:
    f = item.finding
    g = item.group or items_.groups([f], KIND)[0]
    note = queue_ui.note_key(KIND, item)
    sides = items_.side_rows(g)
    answers = {r: f"{ex.user_request}\n{ex.answer}" for r, ex in item.examples.items()}
    facts = load_facts(ctx.ws, ctx.dataset.id)
    requests = {r: ex.user_request or ex.request for r, ex in item.examples.items()}
    records = {r: ex.record for r, ex in item.examples.items()}
    suggestion = suggestions.suggest(g, answers, requests, facts, records)
    main, aside = st.columns([4, 1])
    bindings: list[keys.Binding] = []
    with main:
        firsts = {s: item.examples[rows[0]] for s, rows in sides.items() if rows and rows[0] in item.examples}
        cols = st.columns(min(3, len(sides)) or 1)
        for n, (side, rows) in enumerate(sides.items(), 1):
            with cols[(n - 1) % len(cols)]:
                lead = firsts.get(side)
                other = next((ex for s, ex in firsts.items() if s != side), None)
                badge = (
                    f" · suggested ({suggestion.basis}, confidence {suggestion.confidence:.0%})"
                    if suggestion.side == side
                    else ""
                )
                st.markdown(f"**Side {n}: {text.md(side)}** · {len(rows)} row(s){text.md(badge)}")
                for r in rows:
                    ex = item.examples.get(r)
                    if ex is None:
                        continue
                    copy = f"copy of row {g.copies[r]} · " if r in g.copies else ""
                    text.card(
                        ex,
                        f"{copy}side {n}",
                        compare_answer=other.answer if other and ex is lead else None,
                        state=queue_ui.row_state(item.row_states.get(r)),
                    )
                decision = items_.side_decision(g, side)
                args = (
                    ctx,
                    item,
                    decision,
                    f"side {n} ({side}) is right: kept rows "
                    f"{', '.join(map(str, decision[2]['keep_rows']))}, dropped the others",
                    note,
                )
                if n <= 9:
                    bindings.append(keys.Binding(str(n), f"side {n} is right ({side})", queue_ui.act, args))
                st.button(
                    keys.hint("This side is right", str(n)) if n <= 9 else "This side is right",
                    key=f"con_side_{n}",
                    type="primary",
                    width="stretch",
                    on_click=queue_ui.act,
                    args=args,
                )
        if suggestion.side is not None:
            n_side = list(sides).index(suggestion.side) + 1
            how = (
                "decisive: the no-review policy applies it"
                if suggestion.decisive
                else "not decisive: the no-review policy leaves this open"
            )
            st.caption(
                text.md(
                    f"Suggestion: side {n_side}, confidence {suggestion.confidence:.0%} ({how}). "
                    + " · ".join(suggestions.render(suggestion, list(sides)))
                )
            )
        conflicts = sorted({c for m in item.members for c in m.evidence.get("conflicts") or []})
        if conflicts:
            st.caption("What differs: " + text.md("; ".join(conflicts[:6])))
        if len(item.members) > 1:
            st.caption(f"{len(item.members)} conflicting pairs in this disagreement; one decision settles all of them.")
        keep = keys.Binding(
            "k",
            "all valid: an open-ended request, keep every row",
            queue_ui.act,
            (ctx, item, items_.keep_all_decision(g, "open-ended"), "all valid (open-ended), kept every row", note),
        )
        other_q = keys.Binding(
            "x",
            "different requests: keep every row",
            queue_ui.act,
            (ctx, item, items_.keep_all_decision(g, "different requests"), "different requests, kept every row", note),
        )
        drop = keys.Binding(
            "d",
            "all wrong: drop every row",
            queue_ui.act,
            (ctx, item, items_.drop_all_decision(g), "all wrong, dropped every row", note),
        )
        bindings += [keep, other_q, drop]
        c1, c2, c3 = st.columns(3)
        c1.button(
            keys.hint("All valid (open-ended)", "k"),
            key="con_keep",
            width="stretch",
            on_click=queue_ui.act,
            args=keep.args,
        )
        c2.button(
            keys.hint("Different requests", "x"),
            key="con_other",
            width="stretch",
            on_click=queue_ui.act,
            args=other_q.args,
        )
        c3.button(
            keys.hint("All wrong: drop all", "d"),
            key="con_drop",
            width="stretch",
            on_click=queue_ui.act,
            args=drop.args,
        )
        with st.expander("Edit one row into the right answer (rows that say otherwise are dropped)"):
            editable = [r for r in g.rows if r in item.examples and r not in g.copies]
            target = st.selectbox(
                "Row to edit",
                editable,
                key=f"con_target_{f.finding_id}",
                format_func=lambda r: f"row {r} (side {list(sides).index(g.sides[r]) + 1})",
            )
            edit_key = f"con_edit_{f.finding_id}_{target}"
            st.text_area("Right answer", value=item.examples[target].answer, key=edit_key, height=160)

            def save_edit(row: int = target, key: str = edit_key) -> None:
                answer = (st.session_state.get(key) or "").strip()
                if not answer:
                    queue_ui.flash("error", "The edited answer is empty.")
                    return
                # one event: the kept row's new text and the dropped rows are stored together
                queue_ui.act(
                    ctx, item, items_.edit_decision(g, row, answer), f"edited row {row} into the right answer", note
                )

            st.button("Save as the right answer", key="con_save_edit", on_click=save_edit)
    with aside:
        st.markdown("**Guidelines**")
        guidelines = load_guidelines(ctx.ws, ctx.dataset.id)
        text.plain(guidelines or "None yet: a curator writes them on the Team review page.")
        st.markdown("**Facts sheet**")
        if facts:
            for k, v in list(facts.items())[:12]:
                text.plain(v["value"], v["label"] or k)
        else:
            st.caption("No facts yet (key = current value; Team review page).")
    queue_ui.common_bar(ctx, KIND, shown, bindings)
