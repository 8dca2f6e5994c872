"""Example browser: the workbench for any row. Search (exact, or fuzzy for misspellings) and
filter by finding, status, category and source; open a row to see its current text (after
edits) beside its findings and history; drop, restore or edit it whether or not a finding
names it; find rows like it by embedding; apply one decision to everything a search selects
(one undo withdraws it); curators retract any decision."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pandas as pd
import streamlit as st

from app.components import queue_ui, text
from app.components.context import flash, require
from app.lib import browse
from curation import review
from curation.decisions import RETRACT_ROLES, WITHDRAWALS, DecisionError
from curation.schema import FINDING_KINDS
from curation.store import ConflictError

STATUSES = ["unchanged", "kept", "dropped", "edited", "added"]


@st.cache_data(show_spinner=False, max_entries=16)
def facets(_ws, root: str, dataset_id: int, content_hash: str) -> dict[str, list[str]]:
    """Category and source values, once per dataset (the workspace itself is not hashed)."""
    found = browse.facets(_ws, dataset_id)
    return {k: sorted(v) for k, v in found.items()}


@st.cache_data(show_spinner="Reading the rows for a fuzzy search...", max_entries=4)
def row_texts(_ws, root: str, dataset_id: int, content_hash: str) -> list[tuple[int, str]]:
    return [(ex.row, "\n".join(t.content for t in ex.turns)) for ex in _ws.examples(dataset_id)]


@st.cache_resource(show_spinner="Embedding the requests (cached after the first time)...", max_entries=2)
def request_vectors(_ws, root: str, dataset_id: int, content_hash: str) -> tuple[list[int], np.ndarray]:
    from curation.scan import latest_settings, make_embedder

    # the scan's model, backend and vector cache: rows the scan embedded are not embedded again
    examples = _ws.examples(dataset_id)
    vecs = make_embedder(latest_settings(_ws, dataset_id), _ws.cache_dir).encode(
        [ex.user_request or ex.request for ex in examples]
    )
    return [ex.row for ex in examples], np.asarray(vecs)


def decide_rows(action: str, rows: list[int], payload: dict, what: str, bulk: bool = False) -> None:
    try:
        review.decide_rows(
            ws,
            ds.id,
            action,
            rows,
            payload,
            ctx.user,
            ctx.role,
            reason=what,
            bulk=uuid.uuid4().hex[:12] if bulk else None,
        )
    except ConflictError:
        flash("warning", "Someone decided on this row meanwhile; it is shown as it is now.")
        return
    except DecisionError as err:
        flash("error", f"Not recorded: {err}")
        return
    flash("success", f"Recorded: {what}." + (" Undo my last withdraws all of it." if bulk else ""))


def save_edit(row: int, key: str) -> None:
    answer = (st.session_state.get(key) or "").strip()
    if not answer:
        flash("error", "The edited answer is empty.")
        return
    decide_rows("edit", [row], {"answer": answer}, f"edited row {row}")


def undo() -> None:
    undone = review.undo_last(ws, ds.id, ctx.user)
    flash("info", f"Undid {len(undone)} decision(s)." if undone else "Nothing of yours to undo.")


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
fuzzy = c1.checkbox("Fuzzy (finds misspellings)", key="br_fuzzy")
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
        st.html(
            "".join(
                f'<div class="cw-role">{text.safe_html(t.role)}</div><div class="cw-text">{text.rich(t.content)}</div>'
                for t in r.turns
            )
        )
    st.stop()

filters = dict(
    kind=None if kind == "any" else kind,
    status=None if status == "any" else status,
    category=None if category == "any" else category,
    source=None if source == "any" else source,
)
only = (
    browse.fuzzy_rows(row_texts(ws, str(ws.root), ds.id, ds.content_hash), search) if fuzzy and search.strip() else None
)
page = browse.browse(
    ws, ds.id, search="" if only is not None else search.strip(), rows=only, page=page_no, page_size=25, **filters
)
st.caption(f"{page.total:,} example(s) match · page {page_no} of {max(1, -(-page.total // 25))}")
if page.total and ctx.can("review") and (search.strip() or any(filters.values())):
    with st.expander(f"Bulk: one decision for all {page.total:,} rows this search and filter select"):
        everything = browse.browse(
            ws,
            ds.id,
            search="" if only is not None else search.strip(),
            rows=only,
            page=1,
            page_size=100_000,
            **filters,
        )
        target = [ex.row for ex in everything.examples]
        for ex in everything.examples[:5]:
            text.plain(text.preview(ex.answer, 140), f"row {ex.row}")
        b1, b2 = st.columns(2)
        b1.button(
            f"Drop all {len(target)}",
            key="br_bulk_drop",
            width="stretch",
            on_click=decide_rows,
            args=("drop", target, {}, f"dropped {len(target)} rows matching the search", True),
        )
        b2.button(
            f"Keep all {len(target)}",
            key="br_bulk_keep",
            width="stretch",
            on_click=decide_rows,
            args=("keep", target, {}, f"kept {len(target)} rows matching the search", True),
        )
if page.examples:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "row": ex.row,
                    "id": ex.source_id,
                    "category": ex.record.get("category"),
                    "source": ex.record.get("source"),
                    "status": page.statuses[ex.row],
                    "findings": ", ".join(page.kinds[ex.row]),
                    "request": text.preview(ex.user_request),
                    "answer": text.preview(ex.answer),
                }
                for ex in page.examples
            ]
        ).dropna(axis=1, how="all"),  # no category/source columns for data without them
        hide_index=True,
        width="stretch",
    )
    rows = [ex.row for ex in page.examples]
    row = st.selectbox("Open example", rows, key="br_open")
    ex = next(e for e in page.examples if e.row == row)
    ledger = ws.ledger(ds.id)
    now = ledger.current(row, lambda rows: ws.examples(ds.id, rows=rows))
    left, right = st.columns([3, 2])
    with left:
        shown = ex.__class__(
            row=ex.row, turns=now.turns, record=ex.record, source_format=ex.source_format, source_id=ex.source_id
        )
        text.card(
            shown,
            f"status {now.status}" + (" · the text as edited" if now.status == "edited" else ""),
            show_system=True,
            state=queue_ui.row_state(now),
        )
        if now.status == "edited":
            with st.expander("The original text"):
                text.card(ex, "original", show_system=True)
        if ctx.can("review"):
            a1, a2, a3 = st.columns(3)
            a1.button(
                "Drop this row",
                key="br_drop",
                width="stretch",
                disabled=not now.included,
                on_click=decide_rows,
                args=("drop", [row], {}, f"dropped row {row}"),
            )
            a2.button(
                "Restore (keep) this row",
                key="br_restore",
                width="stretch",
                disabled=now.included,
                on_click=decide_rows,
                args=("keep", [row], {}, f"restored row {row}"),
            )
            a3.button("Undo my last", key="br_undo", width="stretch", on_click=undo)
            with st.expander("Edit the answer"):
                edit_key = f"br_edit_{row}"
                st.text_area("Answer", value=shown.answer, key=edit_key, height=140)
                st.button("Save the edit", key="br_save_edit", on_click=save_edit, args=(row, edit_key))
        if st.button("Find similar rows (embedding)", key="br_similar"):
            st.session_state["br_similar_of"] = row
        if st.session_state.get("br_similar_of") == row:
            rows_all, vecs = request_vectors(ws, str(ws.root), ds.id, ds.content_hash)
            near = browse.similar_rows(vecs, rows_all, row)
            found_ex = {e.row: e for e in ws.examples(ds.id, [r for r, _ in near])}
            st.dataframe(
                pd.DataFrame(
                    [
                        {"row": r, "similarity": round(sim, 3), "request": text.preview(found_ex[r].user_request, 90)}
                        for r, sim in near
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    with right:
        decisions, found = browse.history(ws, ds.id, row, ctx.hidden())
        st.markdown("**Findings**")
        for f in found:
            st.caption(f"{f.kind} · score {f.score:.2f} · rows {', '.join(map(str, f.rows[:10]))} · {f.finding_id}")
            text.plain(f.reason)
        if not found:
            st.caption("None in the latest scan.")
        st.markdown("**History of decisions**")
        withdrawn = {d.undoes: d for d in decisions if d.action in WITHDRAWALS}
        if decisions:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "id": d.id,
                            "when": when(d.created_at),
                            "who": d.actor,
                            "action": d.action,
                            "reason": d.reason,
                            "withdrawn": (
                                f"{withdrawn[d.id].action} by {withdrawn[d.id].actor}" if d.id in withdrawn else ""
                            ),
                        }
                        for d in decisions
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No decision touched this example yet.")
        live = [d for d in decisions if d.action not in WITHDRAWALS and d.id not in withdrawn]
        if live and ctx.role in RETRACT_ROLES:
            with st.expander("Retract a decision (curators)"):
                target = st.selectbox(
                    "Decision",
                    [d.id for d in live],
                    key=f"br_retract_id_{row}",
                    format_func=lambda i: next(f"{d.id}: {d.action} by {d.actor}" for d in live if d.id == i),
                )
                why = st.text_input("Why", key=f"br_retract_why_{row}")
                st.button("Retract", key="br_retract", disabled=not why.strip(), on_click=retract, args=(target, why))
