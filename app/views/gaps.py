"""Coverage gaps: the reference prompts the training data does not cover and the nearest
training examples; write new examples (``add`` decisions, exported marked as added). A gap
stays open until each of its reference prompts is covered (``curation.gaps``): the page says
how many are, marks each, and offers the next uncovered prompt to write an example for."""

from __future__ import annotations

import streamlit as st

from app.components import keys, queue_ui, text
from app.components.context import flash, require
from curation import gaps

KIND = "coverage_gap"
ctx = require("review")
shown = queue_ui.show(ctx, KIND, "Coverage gaps")
item = shown.item
if item is not None:
    f = item.finding
    gap = str(f.evidence.get("label") or "gap")
    note = queue_ui.note_key(KIND, item)
    done = gaps.progress(ctx.ws, ctx.dataset.id).get(f.finding_id)
    reference = ctx.ws.scan_info(ctx.ws.latest_scan_id(ctx.dataset.id)).get("reference_dataset_id")
    if reference is not None:
        st.caption(
            text.md(
                f"Against the coverage reference {ctx.ws.dataset(int(reference)).name}: prompts users "
                "really ask. A gap stays open until each of its prompts is covered by an example close "
                "to it, or you decide no example is needed."
            )
        )
    if done is not None:
        st.progress(min(1.0, done.n_covered / max(1, done.n_wanted)), text=text.md(f"{done.summary} · {gap}"))
    left, right = st.columns(2)
    with left:
        st.subheader(f"Uncovered reference prompts · {gap}")
        covered = done.covered if done is not None else {}
        for row, ex in item.references.items():
            by = covered.get(row)
            text.plain(ex.user_request or ex.request, f"ref {row} · covered by {by}" if by else f"ref {row}")
        if not item.references:
            st.caption("The reference prompts are not in this workspace.")
    with right:
        st.subheader("Nearest training examples")
        for ex in item.examples.values():
            text.card(ex, state=queue_ui.row_state(item.row_states.get(ex.row)))
        if not item.examples:
            st.caption("No training example is near.")
    added = [d for d in ctx.ws.decisions(ctx.dataset.id, finding_id=f.finding_id) if d.action == "add"]
    if added:
        st.caption(f"{len(added)} example(s) already written for this gap.")

    st.subheader("Write a new example")
    # the next prompt still to cover (the first when every one is covered)
    first_ref = next(
        (ex for row, ex in item.references.items() if row not in covered), next(iter(item.references.values()), None)
    )
    fid = f.finding_id
    st.text_input("System prompt (optional)", key=f"gap_system_{fid}")
    st.text_area("User request", value=first_ref.user_request if first_ref else "", key=f"gap_prompt_{fid}")
    st.text_area("Answer", key=f"gap_answer_{fid}", height=160)

    def add_example() -> None:
        system = (st.session_state.get(f"gap_system_{fid}") or "").strip()
        prompt = (st.session_state.get(f"gap_prompt_{fid}") or "").strip()
        answer = (st.session_state.get(f"gap_answer_{fid}") or "").strip()
        if not prompt or not answer:
            flash("error", "A new example needs a user request and an answer.")
            return
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": answer},
        ]
        queue_ui.act(
            ctx, item, ("add", (), {"messages": messages, "gap": gap}), f"added an example for the gap '{gap}'", note
        )
        st.session_state[f"gap_answer_{fid}"] = ""
        # one example rarely covers the whole gap: stay on it, with its next uncovered prompt
        st.session_state.pop(f"gap_prompt_{fid}", None)
        st.session_state[f"{KIND}_focus"] = fid

    accept = keys.Binding(
        "k",
        "no example needed",
        queue_ui.act,
        (ctx, item, ("keep", (), {}), f"gap '{gap}' accepted without new examples", note),
    )
    c1, c2 = st.columns(2)
    c1.button(keys.hint("Add this example", "a"), key="gap_add", type="primary", width="stretch", on_click=add_example)
    c2.button(
        keys.hint("No example needed", "k"), key="gap_accept", width="stretch", on_click=queue_ui.act, args=accept.args
    )
    queue_ui.common_bar(ctx, KIND, shown, [keys.Binding("a", "add the example written here", add_example), accept])
