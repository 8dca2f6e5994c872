"""The frame every review queue shares: filters, paging, the focused item, and decisions.

Decisions run in button callbacks, before the page reruns, so the queue drawn afterwards
already reflects them. Each decision carries the item version the page showed; when
someone else decided in between, ``ConflictError`` is turned into a message and the item
is shown again, fresh. Keys come from ``app.components.keys`` (one document-level handler,
inert while a text field has focus, queued across reruns); the page binds them in a slot
drawn right under the title, so binding them never moves anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd
import streamlit as st

from app.components import keys, text
from app.components.context import Ctx, flash
from curation import review
from curation.decisions import DecisionError
from curation.store import ConflictError

STATUS_CHOICES = {"to do": review.TODO, "skipped": ("skipped",), "voted (blind)": ("voted",),
                  "disputed": ("disputed",), "resolved": ("resolved",),
                  "all": ("open", "skipped", "voted", "disputed", "resolved")}


def settings(ctx: Ctx) -> review.ReviewSettings:
    return review.load_settings(ctx.ws, ctx.dataset.id)


Decision = tuple[str, Sequence[int], dict]  # (action, rows, payload): one click, one event


def act(ctx: Ctx, item: review.QueueItem, decision: Decision, what: str, note_key: str) -> None:
    """Record a decision (a button callback); a conflict becomes a message, never an error page."""
    if not ctx.can("review"):
        flash("error", "Your role cannot record decisions.")
        return
    note = st.session_state.get(note_key, "") or ""
    action, rows, payload = decision
    try:
        review.decide(ctx.ws, ctx.dataset.id, item.finding.finding_id, item.state.version, action, rows, payload,
                      ctx.user, ctx.role, reason=note.strip() or what, settings=settings(ctx))
    except ConflictError:
        latest = ctx.ws.decisions(ctx.dataset.id, finding_id=item.finding.finding_id)[-1]
        flash("warning", f"This item changed since you opened it: {latest.actor} recorded '{latest.action}'. "
                         "It is shown again as it is now; choose again (your choice then replaces theirs).")
        st.session_state[f"{item.finding.kind}_pinned"] = item.finding.finding_id
        st.session_state[f"{item.finding.kind}_focus"] = item.finding.finding_id
        return
    except DecisionError as err:
        flash("error", f"Not recorded: {err}")
        return
    st.session_state.pop(f"{item.finding.kind}_pinned", None)
    st.session_state.pop(f"{item.finding.kind}_focus", None)  # the queue's next item takes focus
    st.session_state[note_key] = ""
    flash("success", f"Recorded: {what}.")


def undo(ctx: Ctx) -> None:
    undone = review.undo_last(ctx.ws, ctx.dataset.id, ctx.user)
    if not undone:
        flash("info", "Nothing of yours to undo.")
        return
    d = ctx.ws.decision(undone[0])
    flash("info", f"Undid your last decision: {d.action} ({d.reason or 'no reason'}), decision {d.id}.")


def next_item(focus_key: str, ids: list[str]) -> None:
    st.session_state.pop(focus_key.replace("_focus", "_pinned"), None)
    cur = st.session_state.get(focus_key)
    st.session_state[focus_key] = ids[(ids.index(cur) + 1) % len(ids)] if cur in ids else ids[0]


class Shown(NamedTuple):
    """What ``show`` drew: the focused item (or None), the ids on the page, and the slot
    under the title where the page's keys are bound (``common_bar`` fills it)."""

    item: review.QueueItem | None
    ids: list[str]
    keys_slot: st.delta_generator.DeltaGenerator


def show(ctx: Ctx, kind: str, title: str, page_size: int = 10) -> Shown:
    """Filters, the page table and the item picker. An item whose decision just conflicted
    stays pinned on top."""
    st.title(title)
    st.caption(f"Dataset: {text.md(ctx.dataset.name)} ({ctx.dataset.n_examples:,} examples)")
    text.style()
    keys_slot = st.container()
    c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
    search = c1.text_input("Search (reason, evidence or example text)", key=f"{kind}_search")
    status = c2.selectbox("Status", list(STATUS_CHOICES), key=f"{kind}_status")
    min_score = c3.slider("Minimum score", 0.0, 1.0, 0.0, 0.05, key=f"{kind}_min_score")
    page_no = c4.number_input("Page", min_value=1, value=1, step=1, key=f"{kind}_page")
    page = review.queue(ctx.ws, ctx.dataset.id, kind, ctx.user, statuses=STATUS_CHOICES[status],
                        search=search.strip() or None, min_score=min_score or None, page=int(page_no),
                        page_size=page_size, settings=settings(ctx))
    st.caption(f"{page.total} item(s) · page {page.page} of {page.n_pages} · ordered by score"
               + ("; skipped items come back after the open ones" if status == "to do" else ""))
    items = list(page.items)
    pinned = st.session_state.get(f"{kind}_pinned")
    if pinned and pinned not in [i.finding.finding_id for i in items]:
        items = review.load_items(ctx.ws, ctx.dataset.id, [pinned]) + items
    if not items:
        st.success("Nothing left here." if status == "to do" else "No item matches.")
        _undo_button(ctx, kind)
        with keys_slot:
            keys.bind(kind, [keys.Binding("u", "undo my last decision", undo, (ctx,))])
        return Shown(None, [], keys_slot)
    ids = [i.finding.finding_id for i in items]
    focus_key = f"{kind}_focus"
    if st.session_state.get(focus_key) not in ids:
        st.session_state[focus_key] = ids[0]
    table = pd.DataFrame([{"score": round(i.finding.score, 3), "status": i.state.status,
                           "rows": ", ".join(map(str, i.finding.rows[:8])) + (" …" if len(i.finding.rows) > 8 else ""),
                           "reason": text.preview(i.finding.reason, 110), "finding": i.finding.finding_id}
                          for i in items])
    with st.expander(f"This page ({len(ids)} items)", expanded=False):
        st.dataframe(table, hide_index=True, width="stretch")
    labels = {i.finding.finding_id: f"{n + 1 + (page.page - 1) * page_size}. [{i.finding.score:.2f}] "
              f"{text.preview(i.finding.reason, 80)}" for n, i in enumerate(items)}
    st.selectbox("Item", ids, format_func=labels.get, key=focus_key)
    item = items[ids.index(st.session_state[focus_key])]
    _item_header(item)
    return Shown(item, ids, keys_slot)


def _item_header(item: review.QueueItem) -> None:
    f = item.finding
    st.caption(f"{f.kind} · detector {f.detector} · score {f.score:.2f} · status {item.state.status} · "
               f"{f.finding_id}")
    text.plain(f.reason, "why")


def note_key(kind: str, item: review.QueueItem) -> str:
    return f"{kind}_note_{item.finding.finding_id}"


def common_bar(ctx: Ctx, kind: str, shown: Shown, bindings: Sequence[keys.Binding] = ()) -> None:
    """Note, Skip, Next and Undo, and the page's keys: ``bindings`` plus S, N and U."""
    item, ids = shown.item, shown.ids
    key = note_key(kind, item)
    st.text_input("Note (optional, saved with the decision)", key=key)
    skip = keys.Binding("s", "skip for now (it comes back later)", act,
                        (ctx, item, ("skip", (), {}), "skipped for now", key))
    nxt = keys.Binding("n", "next item", next_item, (f"{kind}_focus", ids))
    c1, c2, c3 = st.columns(3)
    resolved = item.state.status == "resolved"  # nothing to postpone: its decision stands
    c1.button(keys.hint("Skip for now", "s"), key=f"{kind}_skip", width="stretch", on_click=act, args=skip.args,
              disabled=resolved, help="Resolved items cannot be skipped; undo or decide again." if resolved else None)
    c2.button(keys.hint("Next", "n"), key=f"{kind}_next", width="stretch", on_click=next_item, args=nxt.args)
    with c3:
        _undo_button(ctx, kind)
    with shown.keys_slot:
        keys.bind(kind, [*bindings, *([] if resolved else [skip]), nxt,
                         keys.Binding("u", "undo my last decision", undo, (ctx,))])
    if item.state.votes and ctx.can("adjudicate"):
        st.caption(text.md("Blind votes: " + "; ".join(f"{v.actor}: {v.payload.get('label')}"
                                                        for v in item.state.votes)))


def _undo_button(ctx: Ctx, kind: str) -> None:
    st.button(keys.hint("Undo my last", "u"), key=f"{kind}_undo", width="stretch", on_click=undo, args=(ctx,))

