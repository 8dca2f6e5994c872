"""Review logic under the app (no UI): queues, decisions, undo, blind routing, agreement.

Every state here is derived from the append-only decision events, so a refresh or a
restart loses nothing. A finding's status *for a viewer* is one of ``open``, ``skipped``
(by that viewer: it comes back after the open items), ``voted`` (double-blind: the viewer
voted, the other annotator has not), ``disputed`` (two blind votes and no decision yet:
the adjudication queue) or ``resolved``. Queues page over light (id, score) tuples and
load full findings and examples for one page only, so 50,000 examples stay fast.

Double-blind review routes each finding to two annotators by rendezvous hashing (stable,
no assignment table). Their decisions are stored as ``judge`` events with
``payload.kind == "vote"``, which the curated set ignores; when the two votes agree the
second voter's steps are recorded as real decisions, otherwise a curator adjudicates.
Not handled: more than two votes per item, weighted kappa.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from curation.agreement import cohen_kappa
from curation.migrations import metadata
from curation.schema import Example, Finding
from curation.store import Workspace

T = metadata.tables
TODO = ("open", "skipped")
Step = tuple[str, Sequence[int], dict]  # (action, rows, payload)


@dataclass(frozen=True)
class Event:
    """The columns of one decision that review states need (payload only for votes)."""

    id: int
    finding_id: str
    action: str
    actor: str
    undoes: int | None
    created_at: float
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ItemState:
    status: str
    version: int  # the optimistic-lock token Workspace.record_decision checks
    votes: tuple[Event, ...] = ()
    skipped_at: float = 0.0


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


@dataclass(frozen=True)
class ReviewSettings:
    """Per-dataset review settings (stored in the runs table, so a team database shares them)."""

    double_blind: bool = False
    annotators: tuple[str, ...] = ()


# settings ---------------------------------------------------------------------------------
def _settings_id(dataset_id: int) -> str:
    return f"review-settings-{dataset_id}"


def load_settings(ws: Workspace, dataset_id: int) -> ReviewSettings:
    for run in ws.runs(kind="settings"):
        if run["id"] == _settings_id(dataset_id):
            cfg = run["config"]
            return ReviewSettings(bool(cfg.get("double_blind")), tuple(cfg.get("annotators") or ()))
    return ReviewSettings()


def save_settings(ws: Workspace, dataset_id: int, settings: ReviewSettings) -> None:
    ws.record_run(_settings_id(dataset_id), asdict(settings), "", "active", kind="settings")


def route(finding_id: str, annotators: Sequence[str], k: int = 2) -> tuple[str, ...]:
    """The ``k`` annotators an item goes to (rendezvous hashing: stable, balanced)."""
    ranked = sorted(annotators, key=lambda a: hashlib.sha1(f"{finding_id}|{a}".encode()).hexdigest())
    return tuple(ranked[:k])


def is_blind_voter(settings: ReviewSettings, actor: str) -> bool:
    return settings.double_blind and actor in settings.annotators and len(settings.annotators) >= 2


# states -----------------------------------------------------------------------------------
def events(ws: Workspace, dataset_id: int) -> list[Event]:
    """Every decision about a finding, light columns only, in order."""
    c = T["decisions"].c
    q = (sa.select(c.id, c.finding_id, c.action, c.actor, c.undoes, c.created_at,
                   sa.case((c.action == "judge", c.payload_json), else_=None).label("payload"))
         .where(c.dataset_id == dataset_id, c.finding_id.is_not(None)).order_by(c.id))
    with ws.engine.connect() as conn:
        return [Event(r.id, r.finding_id, r.action, r.actor, r.undoes, r.created_at,
                      json.loads(r.payload) if r.payload else {}) for r in conn.execute(q)]


def states(evts: Iterable[Event], viewer: str | None = None) -> dict[str, ItemState]:
    """finding_id -> ItemState for ``viewer`` (None: anyone's skip counts). Absent = open, v0."""
    evts = list(evts)
    undone = {e.undoes for e in evts if e.action == "undo"}
    by_item: dict[str, list[Event]] = defaultdict(list)
    for e in evts:
        by_item[e.finding_id].append(e)
    out = {}
    for fid, items in by_item.items():
        live = [e for e in items if e.action != "undo" and e.id not in undone]
        votes = {e.actor: e for e in live if e.action == "judge" and e.payload.get("kind") == "vote"}
        skips = [e for e in live if e.action == "skip" and (viewer is None or e.actor == viewer)]
        if any(e.action not in ("skip", "judge") for e in live):
            status = "resolved"
        elif len(votes) >= 2:
            status = "disputed"
        elif viewer in votes:
            status = "voted"
        elif skips:
            status = "skipped"
        else:
            status = "open"
        out[fid] = ItemState(status, max(e.id for e in items), tuple(votes.values()),
                             skips[-1].created_at if skips else 0.0)
    return out


OPEN = ItemState("open", 0)


def _light_findings(ws: Workspace, dataset_id: int, kind: str | None, min_score: float | None,
                    search: str | None) -> list[tuple[str, float, list[int]]]:
    """(finding_id, score, rows) of the latest scan, best first; search also looks in example text."""
    scan_id = ws.latest_scan_id(dataset_id)
    if scan_id is None:
        return []
    c = T["findings"].c
    cols = [c.finding_id, c.score] + ([c.rows_json, c.reason, c.evidence_json] if search else [])
    q = sa.select(*cols).where(c.scan_id == scan_id)
    if kind:
        q = q.where(c.kind == kind)
    if min_score is not None:
        q = q.where(c.score >= min_score)
    q = q.order_by(c.score.desc(), c.n_rows.desc(), c.finding_id)
    with ws.engine.connect() as conn:
        found = list(conn.execute(q))
        if not search:
            return [(r.finding_id, r.score, []) for r in found]
        e = T["examples"].c
        hits = {r for (r,) in conn.execute(sa.select(e.row).where(
            e.dataset_id == dataset_id, e.turns_json.icontains(search, autoescape=True)))}
    needle, out = search.casefold(), []
    for r in found:
        rows = json.loads(r.rows_json)
        if needle in r.reason.casefold() or needle in r.evidence_json.casefold() or hits.intersection(rows):
            out.append((r.finding_id, r.score, rows))
    return out


def queue(ws: Workspace, dataset_id: int, kind: str | None, viewer: str | None, *,
          statuses: Sequence[str] = TODO, search: str | None = None, min_score: float | None = None,
          page: int = 1, page_size: int = 10, settings: ReviewSettings | None = None) -> QueuePage:
    """One page of a review queue: open items by score, then the viewer's skipped ones, oldest
    skip first. In double-blind mode a routed annotator sees only the items routed to them."""
    settings = settings or load_settings(ws, dataset_id)
    st = states(events(ws, dataset_id), viewer)
    blind = viewer is not None and is_blind_voter(settings, viewer)
    picked = []
    for fid, score, _ in _light_findings(ws, dataset_id, kind, min_score, search or None):
        s = st.get(fid, OPEN)
        if s.status in statuses and (not blind or viewer in route(fid, settings.annotators)):
            picked.append((s.status == "skipped", s.skipped_at, -score, fid))
    if set(statuses) == set(TODO):  # skipped items come back after the open ones
        picked.sort(key=lambda t: t[:3])
    page = max(1, page)
    ids = [t[3] for t in picked[(page - 1) * page_size: page * page_size]]
    items = load_items(ws, dataset_id, ids, st)
    return QueuePage(items, len(picked), page, page_size)


def load_items(ws: Workspace, dataset_id: int, finding_ids: Sequence[str],
               st: dict[str, ItemState] | None = None) -> list[QueueItem]:
    """Full findings with their examples (and reference prompts for gaps), in the given order."""
    scan_id = ws.latest_scan_id(dataset_id)
    if not finding_ids or scan_id is None:
        return []
    st = st if st is not None else states(events(ws, dataset_id))
    found = {f.finding_id: f for f in (ws.finding(dataset_id, fid, scan_id) for fid in finding_ids)}
    rows = sorted({r for f in found.values() for r in f.rows})
    examples = {ex.row: ex for ex in ws.examples(dataset_id, rows)} if rows else {}
    ref_rows = sorted({r for f in found.values() for r in f.reference_rows})
    ref_id = ws.scan_info(scan_id)["reference_dataset_id"] if ref_rows else None
    refs = {ex.row: ex for ex in ws.examples(ref_id, ref_rows)} if ref_id else {}
    return [QueueItem(f, st.get(fid, OPEN), {r: examples[r] for r in f.rows if r in examples},
                      {r: refs[r] for r in f.reference_rows if r in refs})
            for fid in finding_ids if (f := found.get(fid))]


# decisions --------------------------------------------------------------------------------
def label(steps: Sequence[Step]) -> str:
    """A comparable label of a decision (for agreement): action plus the rows it keeps/edits."""
    parts = []
    for action, rows, payload in steps:
        keep = payload.get("keep_rows") or ([payload["keep_row"]] if "keep_row" in payload else None)
        detail = keep if keep is not None else (list(rows) if action == "edit" else None)
        parts.append(action + (f":{','.join(map(str, sorted(detail)))}" if detail is not None else ""))
    return "+".join(parts)


def decide(ws: Workspace, dataset_id: int, finding_id: str, version: int, steps: Sequence[Step],
           actor: str, role: str, reason: str = "", settings: ReviewSettings | None = None) -> list[int]:
    """Record one reviewer action (one or more steps, undone together) on a finding.

    Raises ConflictError when the item changed since ``version``. A routed annotator in
    double-blind mode records a vote instead; agreeing votes become real decisions.
    """
    settings = settings or load_settings(ws, dataset_id)
    group = uuid.uuid4().hex[:12]
    if is_blind_voter(settings, actor) and steps[0][0] != "skip":
        payload = {"kind": "vote", "group": group, "label": label(steps),
                   "steps": [[a, list(r), p] for a, r, p in steps]}
        vote = ws.record_decision(dataset_id, "judge", actor, (), finding_id, payload, reason, role=role)
        return [vote] + _consensus(ws, dataset_id, finding_id, actor, role, group, vote)
    return _record(ws, dataset_id, finding_id, version, steps, actor, role, reason, group)


def _record(ws: Workspace, dataset_id: int, finding_id: str, version: int | None, steps: Sequence[Step],
            actor: str, role: str, reason: str, group: str) -> list[int]:
    ids: list[int] = []
    for action, rows, payload in steps:
        ids.append(ws.record_decision(dataset_id, action, actor, rows, finding_id, {**payload, "group": group},
                                      reason, expected_version=ids[-1] if ids else version, role=role))
    return ids


def _consensus(ws: Workspace, dataset_id: int, finding_id: str, actor: str, role: str, group: str,
               vote_id: int) -> list[int]:
    state = states([e for e in events(ws, dataset_id) if e.finding_id == finding_id]).get(finding_id)
    if state is None or state.status != "disputed" or len({v.payload["label"] for v in state.votes}) != 1:
        return []
    who = " and ".join(sorted(v.actor for v in state.votes))
    steps = [(a, r, p) for a, r, p in ws.decision(vote_id).payload["steps"]]
    return _record(ws, dataset_id, finding_id, None, steps, actor, role, f"agreed by {who}", group)


def undo_last(ws: Workspace, dataset_id: int, actor: str) -> list[int]:
    """Withdraw the actor's latest live action (every step of it); returns the undone ids."""
    mine = ws.decisions(dataset_id, actor=actor)
    undone = {d.undoes for d in ws.decisions(dataset_id) if d.action == "undo"}
    live = [d for d in mine if d.action != "undo" and d.id not in undone]
    if not live:
        return []
    group = live[-1].payload.get("group")
    targets = [d for d in live if group and d.payload.get("group") == group] or [live[-1]]
    for d in reversed(targets):
        ws.undo(dataset_id, d.id, actor)
    return [d.id for d in targets]


# agreement and progress ---------------------------------------------------------------------
def agreement(ws: Workspace, dataset_id: int) -> dict[str, Any]:
    """Agreement over items with two blind votes: counts, kappa overall and per annotator pair."""
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for s in states(events(ws, dataset_id)).values():
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
    evts = events(ws, dataset_id)
    undone = {e.undoes for e in evts if e.action == "undo"}
    people: dict[str, dict[str, Any]] = defaultdict(lambda: {"actions": Counter(), "items": set(), "last": 0.0})
    for e in evts:
        if e.action != "undo" and e.id not in undone:
            p = people[e.actor]
            p["actions"]["vote" if e.action == "judge" else e.action] += 1
            p["items"].add(e.finding_id)
            p["last"] = max(p["last"], e.created_at)
    if settings.double_blind and len(settings.annotators) >= 2:
        ids = [fid for fid, _, _ in _light_findings(ws, dataset_id, None, None, None)]
        for name in settings.annotators:
            st = states(evts, name)
            mine = [f for f in ids if name in route(f, settings.annotators)]
            people[name]["left"] = sum(st.get(f, OPEN).status in TODO for f in mine)
    return [{"person": name, "items": len(p["items"]), "decisions": sum(p["actions"].values()),
             **{k: p["actions"].get(k, 0) for k in ("keep", "drop", "merge", "pick", "edit", "add", "skip", "vote")},
             "left": p.get("left"), "last_at": p["last"] or None}
            for name, p in sorted(people.items())]
