"""The frame every review queue shares: filters, paging, the focused item, and decisions.

Decisions run in button callbacks, before the page reruns, so the queue drawn afterwards
already reflects them. Each decision carries the item version the page showed; when
someone else decided in between, ``ConflictError`` is turned into a message and the item
is shown again, fresh. A decision that would turn around an earlier one on a row (restore a
dropped row, drop a kept one) is not recorded at once: the page asks first, naming that
decision (Y records it, X cancels). Keys come from ``app.components.keys`` (one
document-level handler, inert while a text field has focus, queued across reruns); the page
binds them in a slot drawn right under the title, so binding them never moves anything else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd
import streamlit as st

from app.components import keys, text
from app.components.context import Ctx, flash
from curation import review
from curation.decisions import CuratedRow, DecisionError
from curation.schema import Decision as Event
from curation.store import ConflictError

STATUS_CHOICES = {
    "to do": review.TODO,
    "skipped": ("skipped",),
    "voted (blind)": ("voted",),
    "disputed": ("disputed",),
    "settled elsewhere": ("settled",),
    "resolved": ("resolved",),
    "all": review.STATUSES,
}
PENDING = "_pending_decision"


def settings(ctx: Ctx) -> review.ReviewSettings:
    return review.load_settings(ctx.ws, ctx.dataset.id)


Decision = tuple[str, Sequence[int], dict]  # (action, rows, payload): one click, one event


def act(
    ctx: Ctx, item: review.QueueItem, decision: Decision, what: str, note_key: str, confirmed: bool = False
) -> None:
    """Record a decision (a button callback); a conflict becomes a message, never an error page,
    and a reversal of an earlier decision waits for the reviewer's yes."""
    if not ctx.can("review"):
        flash("error", "Your role cannot record decisions.")
        return
    note = st.session_state.get(note_key, "") or ""
    action, rows, payload = decision
    if not confirmed and action not in ("skip",):
        ledger = ctx.ws.ledger(ctx.dataset.id)
        now = max((s.version for fid, s in ledger.items().items() if fid in item.covers), default=0)
        proposed = Event(
            0, ctx.dataset.id, action, ctx.user, tuple(rows), item.finding.finding_id, dict(payload), "", 0
        )
        turned = ledger.reversals(proposed) if now == item.state.version else []  # a stale item: conflict below
        if turned:
            st.session_state[PENDING] = {
                "kind": item.finding.kind,
                "item": item,
                "decision": decision,
                "what": what,
                "note_key": note_key,
                "reversals": turned,
            }
            return
    try:
        review.decide(
            ctx.ws,
            ctx.dataset.id,
            item.finding.finding_id,
            item.state.version,
            action,
            rows,
            payload,
            ctx.user,
            ctx.role,
            reason=note.strip() or what,
            settings=settings(ctx),
        )
    except ConflictError:
        latest = [e for e in ctx.visible().events if e.finding_id in item.covers][-1:]
        who = f"{latest[0].actor} recorded '{latest[0].action}'" if latest else "someone decided on it"
        flash(
            "warning",
            f"This item changed since you opened it: {who}. "
            "It is shown again as it is now; choose again (your choice then replaces theirs).",
        )
        st.session_state[f"{item.finding.kind}_pinned"] = item.finding.finding_id
        st.session_state[f"{item.finding.kind}_focus"] = item.finding.finding_id
        return
    except DecisionError as err:
        flash("error", f"Not recorded: {err}")
        return
    st.session_state.pop(f"{item.finding.kind}_pinned", None)
    st.session_state.pop(f"{item.finding.kind}_focus", None)  # the queue's next item takes focus
    st.session_state[note_key] = ""
    if action != "skip" and review.is_blind_voter(settings(ctx), ctx.user):
        flash(
            "success",
            f"Vote recorded (blind): {what}. It takes effect when the other annotator agrees or a curator adjudicates.",
        )
    else:
        flash("success", f"Recorded: {what}.")


def confirm_pending(ctx: Ctx) -> None:
    pending = st.session_state.pop(PENDING, None)
    if pending:
        act(ctx, pending["item"], pending["decision"], pending["what"], pending["note_key"], confirmed=True)


def cancel_pending() -> None:
    if st.session_state.pop(PENDING, None):
        flash("info", "Nothing recorded: the earlier decisions stand.")


def undo(ctx: Ctx) -> None:
    undone = review.undo_last(ctx.ws, ctx.dataset.id, ctx.user)
    if not undone:
        flash("info", "Nothing of yours to undo.")
        return
    d = ctx.ws.decision(undone[0])
    what = (
        f"{len(undone)} decisions of one bulk action ({d.action})"
        if len(undone) > 1
        else f"{d.action} ({d.reason or 'no reason'}), decision {d.id}"
    )
    flash("info", f"Undid your last decision: {what}. The item is back in its queue.")
    if d.finding_id:  # bring the undone item back into view
        st.session_state[f"{_kind_of(ctx, d.finding_id)}_focus"] = d.finding_id


def _kind_of(ctx: Ctx, finding_id: str) -> str:
    try:
        return ctx.ws.finding(ctx.dataset.id, finding_id).kind
    except KeyError:
        return ""


def next_item(kind: str, ids: list[str], page: int, n_pages: int) -> None:
    """The next item; past the last one of the page, the first of the next page."""
    focus_key = f"{kind}_focus"
    st.session_state.pop(f"{kind}_pinned", None)
    cur = st.session_state.get(focus_key)
    if cur in ids and ids.index(cur) + 1 < len(ids):
        st.session_state[focus_key] = ids[ids.index(cur) + 1]
        return
    st.session_state[f"{kind}_page"] = page + 1 if page < n_pages else 1
    st.session_state.pop(focus_key, None)


def _reset_page(kind: str) -> None:
    st.session_state[f"{kind}_page"] = 1
    st.session_state.pop(f"{kind}_focus", None)


class Shown(NamedTuple):
    """What ``show`` drew: the focused item (or None), the ids on the page, the slot under
    the title where the page's keys are bound (``common_bar`` fills it), and the paging."""

    item: review.QueueItem | None
    ids: list[str]
    keys_slot: st.delta_generator.DeltaGenerator
    page: int = 1
    n_pages: int = 1


def show(ctx: Ctx, kind: str, title: str, page_size: int = 10) -> Shown:
    """Filters, bulk actions, the page table and the item picker. An item whose decision
    just conflicted stays pinned on top; a decision waiting for a yes is asked about."""
    st.title(title)
    st.caption(f"Dataset: {text.md(ctx.dataset.name)} ({ctx.dataset.n_examples:,} examples)")
    text.style()
    keys_slot = st.container()
    prompt_slot = st.container()
    c1, c2, c5, c3, c4 = st.columns([3, 2, 2, 2, 1])
    search = c1.text_input(
        "Search (reason, evidence or example text)", key=f"{kind}_search", on_change=_reset_page, args=(kind,)
    )
    status = c2.selectbox("Status", list(STATUS_CHOICES), key=f"{kind}_status", on_change=_reset_page, args=(kind,))
    counts = review.rule_counts(ctx.ws, ctx.dataset.id, kind)
    rule = c5.selectbox(
        "Rule",
        [ANY_RULE, *counts],
        key=f"{kind}_rule",
        on_change=_reset_page,
        args=(kind,),
        format_func=lambda r: r if r == ANY_RULE else f"{r} ({counts.get(r, 0)})",
        help="Only items a given rule decided (the rule ids are listed under each item)",
    )
    min_score = c3.slider(
        "Minimum score", 0.0, 1.0, 0.0, 0.05, key=f"{kind}_min_score", on_change=_reset_page, args=(kind,)
    )
    st.session_state.setdefault(f"{kind}_page", 1)
    page_no = c4.number_input("Page", min_value=1, step=1, key=f"{kind}_page")
    query = dict(
        statuses=STATUS_CHOICES[status],
        search=search.strip() or None,
        min_score=min_score or None,
        rule=None if rule == ANY_RULE else rule,
    )
    page = review.queue(
        ctx.ws, ctx.dataset.id, kind, ctx.user, page=int(page_no), page_size=page_size, settings=settings(ctx), **query
    )
    if page.page > page.n_pages:  # the filter shrank the queue under the page we were on
        page = review.queue(
            ctx.ws,
            ctx.dataset.id,
            kind,
            ctx.user,
            page=page.n_pages,
            page_size=page_size,
            settings=settings(ctx),
            **query,
        )
    st.caption(
        f"{page.total} item(s) · page {page.page} of {page.n_pages} · ordered by score"
        + ("; skipped items come back after the open ones" if status == "to do" else "")
    )
    if ctx.can("review") and page.total:
        _bulk(ctx, kind, query)
    items = list(page.items)
    pinned = st.session_state.get(f"{kind}_pinned")
    if pinned and pinned not in [i.finding.finding_id for i in items]:
        items = review.load_items(ctx.ws, ctx.dataset.id, [pinned], view=ctx.visible()) + items
    with prompt_slot:
        asking = _pending_prompt(ctx, kind)
    if not items:
        st.success("Nothing left here." if status == "to do" else "No item matches.")
        _undo_button(ctx, kind)
        with keys_slot:
            keys.bind(kind, asking or [keys.Binding("u", "undo my last decision", undo, (ctx,))])
        return Shown(None, [], keys_slot, page.page, page.n_pages)
    ids = [i.finding.finding_id for i in items]
    focus_key = f"{kind}_focus"
    if st.session_state.get(focus_key) not in ids:
        st.session_state[focus_key] = ids[0]
    table = pd.DataFrame(
        [
            {
                "score": round(i.finding.score, 3),
                "status": i.state.status,
                "rows": ", ".join(map(str, _rows(i)[:8])) + (" …" if len(_rows(i)) > 8 else ""),
                "reason": text.preview(i.finding.reason, 110),
                "finding": i.finding.finding_id,
            }
            for i in items
        ]
    )
    with st.expander(f"This page ({len(ids)} items)", expanded=False):
        st.dataframe(table, hide_index=True, width="stretch")
    labels = {
        i.finding.finding_id: f"{n + 1 + (page.page - 1) * page_size}. [{i.finding.score:.2f}] "
        f"{text.preview(_label(i), 80)}"
        for n, i in enumerate(items)
    }
    st.selectbox("Item", ids, format_func=labels.get, key=focus_key)
    item = items[ids.index(st.session_state[focus_key])]
    _item_header(ctx, item)
    if asking:
        with keys_slot:
            keys.bind(kind, asking)
    return Shown(item, ids, None if asking else keys_slot, page.page, page.n_pages)


def _rows(item: review.QueueItem) -> tuple[int, ...]:
    return item.group.rows if item.group is not None else item.finding.rows


def _label(item: review.QueueItem) -> str:
    if item.group is not None and len(item.group.members) > 1:
        return f"{len(item.group.rows)} rows, {len(item.group.members)} conflicting pairs: {item.finding.reason}"
    return item.finding.reason


def _pending_prompt(ctx: Ctx, kind: str) -> list[keys.Binding]:
    """The question a reversal waits for (drawn in a fixed slot); its keys, or []."""
    pending = st.session_state.get(PENDING)
    if not pending or pending["kind"] != kind:
        return []
    lines = []
    for row, earlier, change in pending["reversals"][:6]:
        verb = "restore row {row}, dropped" if change == "restore" else "drop row {row}, kept"
        lines.append(
            f"{verb.format(row=row)} by {earlier.actor} on {when(earlier.created_at)} "
            f"(decision {earlier.id}: {earlier.action}{', ' + earlier.reason if earlier.reason else ''})"
        )
    more = len(pending["reversals"]) - len(lines)
    st.warning(
        text.md(
            f"This would {pending['what']} and turn around earlier decisions: "
            + "; ".join(lines)
            + (f"; and {more} more" if more > 0 else "")
            + ". Record it anyway?"
        )
    )
    c1, c2 = st.columns(2)
    c1.button(
        keys.hint("Yes, record it", "y"),
        key=f"{kind}_confirm",
        type="primary",
        width="stretch",
        on_click=confirm_pending,
        args=(ctx,),
    )
    c2.button(keys.hint("Cancel", "x"), key=f"{kind}_cancel", width="stretch", on_click=cancel_pending)
    return [
        keys.Binding("y", "yes, record the decision that turns the earlier ones around", confirm_pending, (ctx,)),
        keys.Binding("x", "cancel: the earlier decisions stand", cancel_pending),
    ]


def when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _item_header(ctx: Ctx, item: review.QueueItem) -> None:
    f = item.finding
    settled = " · settled by decisions elsewhere" if item.state.status == "settled" else ""
    st.caption(
        f"{f.kind} · detector {f.detector} · score {f.score:.2f} · status {item.state.status}{settled} · {f.finding_id}"
    )
    text.plain(_label(item), "why")
    show_rules(ctx, item)


def show_rules(ctx: Ctx, item: review.QueueItem) -> None:
    """The named rules that decided the item's findings, each with what it checks."""
    from curation.detectors.rules import RULES

    members = item.members or (item.finding,)
    ids = list(
        dict.fromkeys(e.get("id", "") for m in members for e in m.evidence.get("rules") or [] if isinstance(e, dict))
    )
    if ids:
        st.caption(
            "Rules: "
            + " · ".join(  # a registered id is [a-z._]: safe as code
                f"`{i}` ({text.md(RULES[i].description)})" if i in RULES else text.md(i) for i in ids
            )
        )
    rows = item.finding.rows
    if item.finding.kind in ("duplicate", "contradiction") and len(rows) >= 2:
        with st.expander(f"Why: every check on rows {rows[0]} and {rows[1]} (as `curate explain`)"):
            key = f"explain_{item.finding.finding_id}"
            if st.button("Explain this pair", key=key):
                st.session_state[key + "_text"] = _explain(ctx, item.finding.finding_id, rows[0], rows[1])
            if st.session_state.get(key + "_text"):
                st.code(st.session_state[key + "_text"], language=None)


def _explain(ctx: Ctx, finding_id: str, row_a: int, row_b: int) -> str:
    from curation.explain import explain_in_workspace, render

    with st.spinner("Replaying the detectors on the pair..."):
        try:
            return render(explain_in_workspace(ctx.ws, ctx.dataset, row_a, row_b))
        except (KeyError, ValueError) as err:
            return f"{finding_id}: {err.args[0]}"


def row_state(state: CuratedRow | None) -> str:
    """One line saying what a row has become, by whom and where ('' when untouched)."""
    if state is None or state.decision is None:
        return ""
    d = state.decision
    how = {"merge": "merged", "pick": "another answer picked"}.get(d.action) if state.status == "dropped" else None
    keep = d.payload.get("keep_rows") or ([d.payload["keep_row"]] if "keep_row" in d.payload else [])
    into = f" into row {keep[0]}" if how == "merged" and keep else (f" (kept row {keep[0]})" if how and keep else "")
    where = f" on {d.finding_id}" if d.finding_id else " in the example browser"
    return f"{state.status}{' · ' + how + into if how else ''} · by {d.actor}{where} (decision {d.id})"


def note_key(kind: str, item: review.QueueItem) -> str:
    return f"{kind}_note_{item.finding.finding_id}"


def common_bar(ctx: Ctx, kind: str, shown: Shown, bindings: Sequence[keys.Binding] = ()) -> None:
    """Note, Skip, Next and Undo, and the page's keys: ``bindings`` plus S, N and U."""
    item, ids = shown.item, shown.ids
    key = note_key(kind, item)
    st.text_input("Note (optional, saved with the decision)", key=key)
    skip = keys.Binding(
        "s", "skip for now (it comes back later)", act, (ctx, item, ("skip", (), {}), "skipped for now", key)
    )
    nxt = keys.Binding(
        "n", "next item (the next page after the last)", next_item, (kind, ids, shown.page, shown.n_pages)
    )
    c1, c2, c3 = st.columns(3)
    resolved = item.state.status == "resolved"  # nothing to postpone: its decision stands
    c1.button(
        keys.hint("Skip for now", "s"),
        key=f"{kind}_skip",
        width="stretch",
        on_click=act,
        args=skip.args,
        disabled=resolved,
        help="Resolved items cannot be skipped; undo or decide again." if resolved else None,
    )
    c2.button(keys.hint("Next", "n"), key=f"{kind}_next", width="stretch", on_click=next_item, args=nxt.args)
    with c3:
        _undo_button(ctx, kind)
    if shown.keys_slot is not None:  # None while a reversal waits for its answer (Y / X)
        with shown.keys_slot:
            keys.bind(
                kind,
                [
                    *bindings,
                    *([] if resolved else [skip]),
                    nxt,
                    keys.Binding("u", "undo my last decision", undo, (ctx,)),
                ],
            )
    if item.state.votes and ctx.can("adjudicate"):
        st.caption(
            text.md("Blind votes: " + "; ".join(f"{v.actor}: {v.payload.get('label')}" for v in item.state.votes))
        )


def _undo_button(ctx: Ctx, kind: str) -> None:
    st.button(keys.hint("Undo my last", "u"), key=f"{kind}_undo", width="stretch", on_click=undo, args=(ctx,))


# bulk actions -----------------------------------------------------------------------------
BULK = {  # kind -> {label: action}; "merge" keeps each group's representative
    "duplicate": {
        "merge each group onto its representative": "merge",
        "not duplicates: keep all": "keep",
        "drop every row": "drop",
    },
    "contradiction": {
        "all valid (open-ended requests): keep all": "keep",
        "different requests: keep all": "keep-x",
        "all wrong: drop every row": "drop",
    },
}
ANY_RULE = "any rule"
OTHER_BULK = {"fine as they are: keep": "keep", "drop": "drop"}


def _bulk(ctx: Ctx, kind: str, query: dict) -> None:
    choices = BULK.get(kind, OTHER_BULK if kind != "coverage_gap" else {})
    if not choices:
        return
    with st.expander("Bulk: one decision for every item this filter selects"):
        label = st.selectbox("Decision", list(choices), key=f"{kind}_bulk_action")
        everything = review.queue(
            ctx.ws, ctx.dataset.id, kind, ctx.user, page=1, page_size=10_000, settings=settings(ctx), **query
        )
        todo = [i for i in everything.items if i.state.status not in ("resolved", "settled")]
        st.caption(f"{len(todo)} item(s) not yet decided match the filter; for example:")
        for i in todo[:5]:
            text.plain(text.preview(_label(i), 140), f"rows {', '.join(map(str, _rows(i)[:6]))}")
        st.button(
            f"Apply to {len(todo)} item(s)",
            key=f"{kind}_bulk_apply",
            disabled=not todo,
            on_click=apply_bulk,
            args=(ctx, [i.finding.finding_id for i in todo], choices[label], label),
        )


def apply_bulk(ctx: Ctx, finding_ids: list[str], action: str, label: str) -> None:
    """One decision per item, recorded together (one transaction); U undoes all of them."""
    items = review.load_items(ctx.ws, ctx.dataset.id, finding_ids, view=ctx.visible())
    done = review.decide_bulk(
        ctx.ws, ctx.dataset.id, items, action, ctx.user, ctx.role, reason=f"bulk: {label}", bulk=uuid.uuid4().hex[:12]
    )
    flash("success", f"Recorded: {label} on {done} item(s). U undoes the whole bulk action.")
