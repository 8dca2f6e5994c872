"""Review logic under the app (no UI): queues, decisions, undo, blind routing, agreement.

What a decision means and what status a finding has are ``curation.decisions``; this
module turns them into queues for one viewer and records what a reviewer does, one click =
one event. Queues page over light (id, score) tuples and load full findings and examples
for one page only, so 50,000 examples stay fast.

Double-blind review routes each finding to two annotators by rendezvous hashing (stable,
no assignment table). Their decisions are stored as ``judge`` events with
``payload.kind == "vote"``, which the curated set ignores; when the two votes agree, the
agreed decision is recorded as a real one, otherwise a curator adjudicates.
Not handled: more than two votes per item, weighted kappa.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from curation import decisions as model
from curation import gaps
from curation.agreement import cohen_kappa
from curation.decisions import OPEN, ItemState
from curation.schema import Decision, Example, Finding
from curation.store import Workspace, reference_set_id
from curation.store_review import ReviewSettings

TODO = ("open", "skipped")


@dataclass(frozen=True)
class QueueItem:
    finding: Finding
    state: ItemState
    examples: dict[int, Example]
    references: dict[int, Example]


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    page_size: int

    @property
    def n_pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


# settings ---------------------------------------------------------------------------------
def load_settings(ws: Workspace, dataset_id: int) -> ReviewSettings:
    return ws.review_settings(dataset_id)


def save_settings(ws: Workspace, dataset_id: int, settings: ReviewSettings) -> None:
    ws.save_review_settings(dataset_id, settings)


def route(finding_id: str, annotators: Sequence[str], k: int = 2) -> tuple[str, ...]:
    """The ``k`` annotators an item goes to (rendezvous hashing: stable, balanced)."""
    ranked = sorted(annotators, key=lambda a: hashlib.sha1(f"{finding_id}|{a}".encode()).hexdigest())
    return tuple(ranked[:k])


def is_blind_voter(settings: ReviewSettings, actor: str) -> bool:
    return settings.double_blind and actor in settings.annotators and len(settings.annotators) >= 2


# states and queues ------------------------------------------------------------------------
def states(ws: Workspace, dataset_id: int, viewer: str | None = None) -> dict[str, ItemState]:
    """finding_id -> ItemState for ``viewer`` (None: anyone's skip counts). Absent = open.
    A coverage gap is resolved once its reference prompts are covered (``curation.gaps``)."""
    ledger = ws.ledger(dataset_id)
    return ledger.items(viewer, covered=gaps.closed(ws, dataset_id, ledger))


def queue(ws: Workspace, dataset_id: int, kind: str | None, viewer: str | None, *,
          statuses: Sequence[str] = TODO, search: str | None = None, min_score: float | None = None,
          page: int = 1, page_size: int = 10, settings: ReviewSettings | None = None) -> QueuePage:
    """One page of a review queue: open items by score, then the viewer's skipped ones, oldest
    skip first. In double-blind mode a routed annotator sees only the items routed to them."""
    settings = settings or load_settings(ws, dataset_id)
    st = states(ws, dataset_id, viewer)
    blind = viewer is not None and is_blind_voter(settings, viewer)
    picked = []
    for fid, score, _ in ws.light_findings(dataset_id, kind, min_score, search or None):
        s = st.get(fid, OPEN)
        if s.status in statuses and (not blind or viewer in route(fid, settings.annotators)):
            picked.append((s.status == "skipped", s.skipped_at, -score, fid))
    if set(statuses) == set(TODO):  # skipped items come back after the open ones
        picked.sort(key=lambda t: t[:3])
    page = max(1, page)
    ids = [t[3] for t in picked[(page - 1) * page_size: page * page_size]]
    return QueuePage(load_items(ws, dataset_id, ids, st), len(picked), page, page_size)


def load_items(ws: Workspace, dataset_id: int, finding_ids: Sequence[str],
               st: Mapping[str, ItemState] | None = None) -> list[QueueItem]:
    """Full findings with their examples (and reference prompts for gaps), in the given order."""
    scan_id = ws.latest_scan_id(dataset_id)
    if not finding_ids or scan_id is None:
        return []
    st = st if st is not None else states(ws, dataset_id)
    found = {f.finding_id: f for f in (ws.finding(dataset_id, fid, scan_id) for fid in finding_ids)}
    rows = sorted({r for f in found.values() for r in f.rows})
    examples = {ex.row: ex for ex in ws.examples(dataset_id, rows)} if rows else {}
    # reference rows point into the scan's coverage reference, or its eval set for leakage
    info = ws.scan_info(scan_id) if any(f.reference_rows for f in found.values()) else {}
    want: dict[int, set[int]] = defaultdict(set)
    for f in found.values():
        if (set_id := reference_set_id(info, f.kind)) is not None:
            want[set_id].update(f.reference_rows)
    refs = {set_id: {ex.row: ex for ex in ws.examples(set_id, sorted(rows))} for set_id, rows in want.items()}
    return [QueueItem(f, st.get(fid, OPEN), {r: examples[r] for r in f.rows if r in examples},
                      {r: ex[r] for r in f.reference_rows if r in (ex := refs.get(reference_set_id(info, f.kind), {}))})
            for fid in finding_ids if (f := found.get(fid))]


# decisions --------------------------------------------------------------------------------
def click_key(actor: str, finding_id: str, version: int, action: str, rows: Sequence[int],
              payload: Mapping[str, Any]) -> str:
    """The idempotency key of one click: the same click on the same item version (a double
    click, a retried request) records one decision."""
    body = json.dumps([action, sorted(rows), payload], sort_keys=True, ensure_ascii=False, default=str)
    return f"app:{actor}:{finding_id}:v{version}:{hashlib.sha1(body.encode()).hexdigest()[:16]}"


def decide(ws: Workspace, dataset_id: int, finding_id: str, version: int, action: str, rows: Sequence[int],
           payload: Mapping[str, Any] | None, actor: str, role: str, reason: str = "",
           settings: ReviewSettings | None = None) -> list[int]:
    """Record what a reviewer did on a finding: one event (an edit into the right answer is
    a ``pick`` whose payload carries the answer), so it is stored whole or not at all.

    Raises ConflictError when the item changed since ``version`` and DecisionError when the
    decision is invalid. A routed annotator in double-blind mode records a vote instead;
    agreeing votes become the real decision.
    """
    settings = settings or load_settings(ws, dataset_id)
    payload = dict(payload or {})
    key = click_key(actor, finding_id, version, action, rows, payload)
    if is_blind_voter(settings, actor) and action != "skip":
        proposed = Decision(0, dataset_id, action, actor, tuple(rows), finding_id, payload, reason, 0.0, role=role)
        ws.validate(dataset_id, [proposed])  # a vote proposes a decision that could be recorded
        vote = {"kind": "vote", "label": model.label(action, rows, payload),
                "decision": {"action": action, "rows": list(rows), "payload": payload}}
        d = Decision(0, dataset_id, "judge", actor, (), finding_id, vote, reason, 0.0, key=key, role=role)
        vote_id = ws.record(dataset_id, [d]).ids[0]  # votes are independent: no lock on the item
        return [vote_id] + _consensus(ws, dataset_id, finding_id, actor, role)
    d = Decision(0, dataset_id, action, actor, tuple(rows), finding_id, payload, reason, 0.0, key=key, role=role)
    return ws.record(dataset_id, [d], version, item=(finding_id, ())).ids


def voted_decision(vote: Decision) -> tuple[str, tuple[int, ...], dict]:
    """The decision a blind vote proposes (action, rows, payload)."""
    d = vote.payload.get("decision")
    if d is None:  # votes recorded before one click was one event: their first step
        action, rows, payload = vote.payload["steps"][0]
        return action, tuple(rows), {k: v for k, v in payload.items() if k != "group"}
    return d["action"], tuple(d["rows"]), dict(d["payload"])


def _consensus(ws: Workspace, dataset_id: int, finding_id: str, actor: str, role: str) -> list[int]:
    state = ws.ledger(dataset_id).item(finding_id)
    if state.status != "disputed" or len({v.payload.get("label") for v in state.votes}) != 1:
        return []
    voters = sorted(v.actor for v in state.votes)
    action, rows, payload = voted_decision(state.votes[-1])
    d = Decision(0, dataset_id, action, actor, rows, finding_id, {**payload, "agreed_by": voters},
                 f"agreed by {' and '.join(voters)}", 0.0, key=f"consensus:{finding_id}:v{state.version}", role=role)
    return ws.record(dataset_id, [d]).ids


def undo_last(ws: Workspace, dataset_id: int, actor: str) -> list[int]:
    """Withdraw the actor's latest live decision; returns the withdrawn id (or nothing)."""
    ledger = ws.ledger(dataset_id)
    mine = [e for e in ledger.live if e.actor == actor and not (e.action == "judge" and e.payload.get("kind") == "ab")]
    if not mine:
        return []
    ws.undo(dataset_id, mine[-1].id, actor)
    return [mine[-1].id]


def retract(ws: Workspace, dataset_id: int, decision_id: int, actor: str, role: str, reason: str) -> int:
    """A curator or admin withdraws anyone's decision (an event with who and why)."""
    return ws.retract(dataset_id, decision_id, actor, role, reason)


# agreement and progress ---------------------------------------------------------------------
def agreement(ws: Workspace, dataset_id: int) -> dict[str, Any]:
    """Agreement over items with two blind votes: counts, kappa overall and per annotator pair."""
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for s in states(ws, dataset_id).values():
        if len(s.votes) >= 2:
            a, b = sorted(s.votes[:2], key=lambda v: v.actor)
            pairs[(a.actor, b.actor)].append((a.payload["label"], b.payload["label"]))
    every = [p for ps in pairs.values() for p in ps]
    return {"n_items": len(every), "n_agree": sum(a == b for a, b in every), "kappa": cohen_kappa(every),
            "pairs": [{"annotators": f"{a} / {b}", "n_items": len(ps), "kappa": cohen_kappa(ps)}
                      for (a, b), ps in sorted(pairs.items())]}


def adjudication_queue(ws: Workspace, dataset_id: int, page: int = 1, page_size: int = 10) -> QueuePage:
    """Findings whose two blind votes disagree and that nobody has decided yet (curators)."""
    return queue(ws, dataset_id, None, None, statuses=("disputed",), page=page, page_size=page_size,
                 settings=ReviewSettings())


def progress(ws: Workspace, dataset_id: int, settings: ReviewSettings | None = None) -> list[dict[str, Any]]:
    """Per person: live decisions by action, items touched, and (blind mode) items left."""
    settings = settings or load_settings(ws, dataset_id)
    ledger = ws.ledger(dataset_id)
    people: dict[str, dict[str, Any]] = defaultdict(lambda: {"actions": Counter(), "items": set(), "last": 0.0})
    for e in ledger.live:
        if e.finding_id is None:
            continue
        p = people[e.actor]
        p["actions"]["vote" if e.action == "judge" else e.action] += 1
        p["items"].add(e.finding_id)
        p["last"] = max(p["last"], e.created_at)
    if settings.double_blind and len(settings.annotators) >= 2:
        ids = [fid for fid, _, _ in ws.light_findings(dataset_id)]
        closed = gaps.closed(ws, dataset_id, ledger)
        for name in settings.annotators:
            st = ledger.items(name, covered=closed)
            mine = [f for f in ids if name in route(f, settings.annotators)]
            people[name]["left"] = sum(st.get(f, OPEN).status in TODO for f in mine)
    return [{"person": name, "items": len(p["items"]), "decisions": sum(p["actions"].values()),
             **{k: p["actions"].get(k, 0) for k in ("keep", "drop", "merge", "pick", "edit", "add", "skip", "vote")},
             "left": p.get("left"), "last_at": p["last"] or None}
            for name, p in sorted(people.items())]

