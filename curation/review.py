"""Review logic under the app (no UI): queues, decisions, undo, blind routing, agreement.

What a decision means and what status a finding has are ``curation.decisions``; this
module turns them into queues for one viewer and records what a reviewer does, one click =
one event. Queues page over light (id, score) tuples and load full findings and examples
for one page only, so 50,000 examples stay fast.

Double-blind review routes each finding to two annotators by rendezvous hashing (stable,
no assignment table). Their decisions are stored as ``judge`` events with
``payload.kind == "vote"``, which the curated set ignores; when the two votes agree, the
agreed decision is recorded as a real one, otherwise a curator adjudicates. Until an item
is resolved, a routed annotator sees no one else's vote on it (``visible_ledger``): not in
queues, statuses, counts, progress or histories; a curator in the rotation sees the votes
of items routed to others (to adjudicate them), never of their own.
Not handled: more than two votes per item, weighted kappa.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from curation import decisions as model
from curation import gaps
from curation import review_items as items_
from curation.agreement import cohen_kappa, krippendorff_alpha
from curation.auth import allowed
from curation.decisions import OPEN, ItemState, Ledger
from curation.schema import Decision, Example, Finding
from curation.store import Workspace, reference_set_id
from curation.store_review import ReviewSettings

TODO = ("open", "skipped")
STATUSES = ("open", "skipped", "voted", "disputed", "settled", "resolved")


@dataclass(frozen=True)
class QueueItem:
    finding: Finding  # the lead finding: it names the item
    state: ItemState
    examples: dict[int, Example]
    references: dict[int, Example]
    group: items_.Group | None = None  # what the item covers (a disagreement: every pair, sides, copies)
    members: tuple[Finding, ...] = ()  # the findings it covers, lead first
    row_states: dict[int, Any] = field(default_factory=dict)  # row -> CuratedRow, rows a decision touched

    @property
    def covers(self) -> list[str]:
        return self.group.covers if self.group is not None else [self.finding.finding_id]


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
def states(
    ws: Workspace, dataset_id: int, viewer: str | None = None, ledger: Ledger | None = None
) -> dict[str, ItemState]:
    """finding_id -> ItemState for ``viewer`` (None: anyone's skip counts). Absent = open;
    findings whose rows were all decided elsewhere are ``settled``; a coverage gap is
    resolved once its reference prompts are covered (``curation.gaps``). ``ledger``: the
    decisions to read (``visible_ledger`` for what a blind annotator may see)."""
    return _states(ws, dataset_id, ledger if ledger is not None else ws.ledger(dataset_id), viewer)


# what a blind annotator may see -------------------------------------------------------------
def hidden_events(
    ws: Workspace,
    dataset_id: int,
    viewer: str | None,
    role: str | None = None,
    settings: ReviewSettings | None = None,
    ledger: Ledger | None = None,
) -> set[int]:
    """Ids of the events ``viewer`` may not see yet: in double-blind mode, for an annotator of
    the rotation, everyone else's votes (and their withdrawals) on items not resolved yet;
    a curator (``role`` may adjudicate) still sees the votes of items not routed to them."""
    settings = settings or load_settings(ws, dataset_id)
    if viewer is None or not is_blind_voter(settings, viewer):
        return set()
    ledger = ledger if ledger is not None else ws.ledger(dataset_id)
    votes = [e for e in ledger.events if model.is_vote(e) and e.actor != viewer]
    if not votes:
        return set()
    st = _states(ws, dataset_id, ledger, None)
    adjudicator = allowed(role, "adjudicate")
    hidden = {
        e.id
        for e in votes
        if st.get(e.finding_id, OPEN).status != "resolved"
        and not (adjudicator and viewer not in route(e.finding_id, settings.annotators))
    }
    return hidden | {e.id for e in ledger.events if e.undoes in hidden}


def visible_ledger(
    ws: Workspace, dataset_id: int, viewer: str | None, role: str | None = None, settings: ReviewSettings | None = None
) -> Ledger:
    """The dataset's decisions as ``viewer`` may see them (``hidden_events`` left out)."""
    ledger = ws.ledger(dataset_id)
    hidden = hidden_events(ws, dataset_id, viewer, role, settings, ledger)
    return Ledger([e for e in ledger.events if e.id not in hidden]) if hidden else ledger


def _seen(full: Mapping[str, ItemState], seen: Mapping[str, ItemState]) -> dict[str, ItemState]:
    """States as seen (status, votes, skips) with the versions of every event: a hidden vote
    changes nothing a viewer sees, and the optimistic lock still covers it."""
    return {fid: replace(seen.get(fid, OPEN), version=full.get(fid, OPEN).version) for fid in {*full, *seen}}


def _states(
    ws: Workspace, dataset_id: int, ledger: Any, viewer: str | None, covered: Mapping[str, bool] | None = None
) -> dict[str, ItemState]:
    covered = covered if covered is not None else gaps.closed(ws, dataset_id, ledger)
    return ledger.items(viewer, _light(ws, dataset_id), covered=covered)


@dataclass(frozen=True)
class _Light:
    finding_id: str
    kind: str
    score: float
    rows: tuple[int, ...]


def _light(ws: Workspace, dataset_id: int) -> list[_Light]:
    return [_Light(*r) for r in ws.finding_rows(dataset_id)]


_GROUPS: dict[tuple, list] = {}


def review_groups(ws: Workspace, dataset_id: int, kind: str | None) -> list[items_.Group]:
    """The review items of the latest scan (a scan never changes: cached per scan)."""
    scan_id = ws.latest_scan_id(dataset_id)
    key = (ws.url, dataset_id, scan_id, kind)
    if key not in _GROUPS:
        if kind in (None, "contradiction"):
            found = ws.findings(dataset_id, kind="contradiction") + ws.findings(dataset_id, kind="duplicate")
            if kind is None:
                found += [f for f in ws.findings(dataset_id) if f.kind not in ("contradiction", "duplicate")]
        else:
            found = [
                Finding(k, "", rows, score, "", {}, (), fid)
                for fid, k, score, rows in ws.finding_rows(dataset_id)
                if k == kind
            ]
        if len(_GROUPS) > 32:
            _GROUPS.clear()
        _GROUPS[key] = items_.groups(found, kind)
    return _GROUPS[key]


def rule_counts(ws: Workspace, dataset_id: int, kind: str | None) -> dict[str, int]:
    """How many findings of the latest scan name each rule id (for the queue's rule filter)."""
    counts: dict[str, int] = {}
    for ids in finding_rules(ws, dataset_id, kind).values():
        for rid in ids:
            counts[rid] = counts.get(rid, 0) + 1
    return dict(sorted(counts.items()))


def finding_rules(ws: Workspace, dataset_id: int, kind: str | None) -> dict[str, tuple[str, ...]]:
    """Rule ids per finding of the latest scan (a scan never changes: cached per scan)."""
    key = ("rules", ws.url, dataset_id, ws.latest_scan_id(dataset_id), kind)
    if key not in _GROUPS:
        _GROUPS[key] = ws.finding_rules(dataset_id, kind)
    return _GROUPS[key]


def queue(
    ws: Workspace,
    dataset_id: int,
    kind: str | None,
    viewer: str | None,
    *,
    statuses: Sequence[str] = TODO,
    search: str | None = None,
    min_score: float | None = None,
    page: int = 1,
    page_size: int = 10,
    settings: ReviewSettings | None = None,
    view: Ledger | None = None,
    rule: str | None = None,
) -> QueuePage:
    """One page of a review queue: open items by score, then the viewer's skipped ones, oldest
    skip first. Contradictions come one item per disagreement. In double-blind mode a routed
    annotator sees only the items routed to them, and no one else's vote on them. ``view``:
    the decisions whose statuses filter and show the items (``visible_ledger``). ``rule``: only
    items with a finding that names this rule id (``evidence.rules``)."""
    settings = settings or load_settings(ws, dataset_id)
    ledger = ws.ledger(dataset_id)
    st = _states(ws, dataset_id, ledger, viewer)
    blind = viewer is not None and is_blind_voter(settings, viewer)
    if blind or view is not None:  # what this viewer may see of other people's votes
        view = view if view is not None else visible_ledger(ws, dataset_id, viewer, None, settings)
        st = _seen(st, _states(ws, dataset_id, view, viewer))
    hits = {fid for fid, _, _ in ws.light_findings(dataset_id, kind, None, search)} if search else None
    ruled = {fid for fid, ids in finding_rules(ws, dataset_id, kind).items() if rule in ids} if rule else None
    picked = []
    for g in review_groups(ws, dataset_id, kind):
        if (min_score is not None and g.score < min_score) or (hits is not None and not hits.intersection(g.covers)):
            continue
        if ruled is not None and not ruled.intersection(g.covers):
            continue
        s = items_.combined(g, st)
        if s.status in statuses and (not blind or viewer in route(g.lead, settings.annotators)):
            picked.append((s.status == "skipped", s.skipped_at, -g.score, g.lead, g, s))
    if set(statuses) == set(TODO):  # skipped items come back after the open ones
        picked.sort(key=lambda t: t[:4])
    page = max(1, page)
    chosen = picked[(page - 1) * page_size : page * page_size]
    return QueuePage(_load(ws, dataset_id, [(t[4], t[5]) for t in chosen], ledger), len(picked), page, page_size)


def load_items(
    ws: Workspace,
    dataset_id: int,
    finding_ids: Sequence[str],
    st: Mapping[str, ItemState] | None = None,
    view: Ledger | None = None,
) -> list[QueueItem]:
    """The review items led by ``finding_ids`` (a finding inside a disagreement brings the
    whole disagreement), with their examples and reference prompts, in the given order
    (statuses as ``view`` shows them, when given)."""
    ledger = ws.ledger(dataset_id)
    st = st if st is not None else _states(ws, dataset_id, ledger, None)
    if view is not None:
        st = _seen(st, _states(ws, dataset_id, view, None))
    every = review_groups(ws, dataset_id, None)
    by_id = {g.lead: g for g in every}
    for g in every:
        for fid in g.members:  # a pair of a disagreement brings the whole disagreement
            by_id.setdefault(fid, g)
    chosen = []
    for fid in finding_ids:
        g = by_id.get(fid)
        if g is not None and g not in [c for c, _ in chosen]:
            chosen.append((g, items_.combined(g, st)))
    return _load(ws, dataset_id, chosen, ledger)


def _load(
    ws: Workspace, dataset_id: int, chosen: Sequence[tuple[items_.Group, ItemState]], ledger: Any
) -> list[QueueItem]:
    scan_id = ws.latest_scan_id(dataset_id)
    if not chosen or scan_id is None:
        return []
    ids = [fid for g, _ in chosen for fid in g.members]
    found = {fid: ws.finding(dataset_id, fid, scan_id) for fid in ids}
    rows = sorted({r for g, _ in chosen for r in g.rows} | {r for f in found.values() for r in f.rows})
    examples = {ex.row: ex for ex in ws.examples(dataset_id, rows)} if rows else {}
    # reference rows point into the scan's coverage reference, or its eval set for leakage
    info = ws.scan_info(scan_id) if any(f.reference_rows for f in found.values()) else {}
    want: dict[int, set[int]] = defaultdict(set)
    for f in found.values():
        if (set_id := reference_set_id(info, f.kind)) is not None:
            want[set_id].update(f.reference_rows)
    refs = {set_id: {ex.row: ex for ex in ws.examples(set_id, sorted(rows))} for set_id, rows in want.items()}
    row_states = ledger.row_states(rows)
    out = []
    for g, state in chosen:
        lead = found[g.lead]
        g_rows = g.rows if g.kind == "contradiction" else lead.rows
        lead_refs = refs.get(reference_set_id(info, lead.kind), {})
        out.append(
            QueueItem(
                lead,
                state,
                {r: examples[r] for r in g_rows if r in examples},
                {r: lead_refs[r] for r in lead.reference_rows if r in lead_refs},
                g if g.kind == "contradiction" else None,
                tuple(found[f] for f in g.members),
                {r: row_states[r] for r in g_rows if r in row_states},
            )
        )
    return out


# decisions --------------------------------------------------------------------------------
def click_key(
    actor: str, finding_id: str, version: int, action: str, rows: Sequence[int], payload: Mapping[str, Any]
) -> str:
    """The idempotency key of one click: the same click on the same item version (a double
    click, a retried request) records one decision."""
    body = json.dumps([action, sorted(rows), payload], sort_keys=True, ensure_ascii=False, default=str)
    return f"app:{actor}:{finding_id}:v{version}:{hashlib.sha1(body.encode()).hexdigest()[:16]}"


def decide(
    ws: Workspace,
    dataset_id: int,
    finding_id: str,
    version: int,
    action: str,
    rows: Sequence[int],
    payload: Mapping[str, Any] | None,
    actor: str,
    role: str,
    reason: str = "",
    settings: ReviewSettings | None = None,
) -> list[int]:
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
        vote = {
            "kind": "vote",
            "label": model.label(action, rows, payload),
            "decision": {"action": action, "rows": list(rows), "payload": payload},
        }
        d = Decision(0, dataset_id, "judge", actor, (), finding_id, vote, reason, 0.0, key=key, role=role)
        vote_id = ws.record(dataset_id, [d]).ids[0]  # votes are independent: no lock on the item
        return [vote_id] + _consensus(ws, dataset_id, finding_id, actor, role)
    d = Decision(0, dataset_id, action, actor, tuple(rows), finding_id, payload, reason, 0.0, key=key, role=role)
    if action == "skip" and is_blind_voter(settings, actor):
        # a skip only postpones the item for its author; checked against the item's version it
        # would fail whenever the other annotator voted, and so tell that they had
        return ws.record(dataset_id, [d]).ids
    return ws.record(dataset_id, [d], version, item=(payload.get("covers") or finding_id, ())).ids


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
    d = Decision(
        0,
        dataset_id,
        action,
        actor,
        rows,
        finding_id,
        {**payload, "agreed_by": voters},
        f"agreed by {' and '.join(voters)}",
        0.0,
        key=f"consensus:{finding_id}:v{state.version}",
        role=role,
    )
    return ws.record(dataset_id, [d]).ids


def decide_bulk(
    ws: Workspace,
    dataset_id: int,
    items: Sequence[QueueItem],
    action: str,
    actor: str,
    role: str,
    reason: str,
    bulk: str,
) -> int:
    """One decision per item, all in one transaction (``payload.bulk`` ties them together, so
    one undo withdraws all of them). ``action``: keep, drop, merge (onto each duplicate
    group's representative) or keep-x (a disagreement of different requests)."""
    batch = []
    for it in items:
        g = it.group
        if g is not None:
            act_, rows, payload = (
                items_.drop_all_decision(g)
                if action == "drop"
                else items_.keep_all_decision(g, "different requests" if action == "keep-x" else "open-ended")
            )
        elif action == "merge":
            rep = int(it.finding.evidence.get("representative", min(it.finding.rows)))
            act_, rows, payload = "merge", it.finding.rows, {"keep_row": rep}
        else:
            act_, rows, payload = action.split("-")[0], it.finding.rows, {}
        batch.append(
            Decision(
                0,
                dataset_id,
                act_,
                actor,
                tuple(rows),
                it.finding.finding_id,
                {**payload, "bulk": bulk},
                reason,
                0.0,
                key=f"bulk:{bulk}:{it.finding.finding_id}",
                role=role,
            )
        )
    return ws.record(dataset_id, batch).new if batch else 0


def decide_rows(
    ws: Workspace,
    dataset_id: int,
    action: str,
    rows: Sequence[int],
    payload: Mapping[str, Any] | None,
    actor: str,
    role: str,
    reason: str = "",
    bulk: str | None = None,
) -> list[int]:
    """Decisions on rows no finding names (the example browser): one per row, in one
    transaction, each checked against the row's version (ConflictError when someone decided
    on the row meanwhile); ``bulk`` ties them together so one undo withdraws all of them."""
    payload = dict(payload or {})
    if bulk:
        payload["bulk"] = bulk
    batch = []
    for r in rows:
        version = ws.version(dataset_id, None, [r])
        key = click_key(actor, f"row{r}", version, action, [r], payload)
        batch.append(Decision(0, dataset_id, action, actor, (r,), None, payload, reason, 0.0, key=key, role=role))
    if len(batch) == 1:
        return ws.record(dataset_id, batch, version, item=(None, batch[0].rows)).ids
    return ws.record(dataset_id, batch).ids


def undo_last(ws: Workspace, dataset_id: int, actor: str) -> list[int]:
    """Withdraw the actor's latest live decision (every decision of it, for a bulk action);
    returns the withdrawn ids (or nothing)."""
    ledger = ws.ledger(dataset_id)
    mine = [e for e in ledger.live if e.actor == actor and not (e.action == "judge" and e.payload.get("kind") == "ab")]
    if not mine:
        return []
    bulk = mine[-1].payload.get("bulk")
    targets = [e for e in mine if bulk and e.payload.get("bulk") == bulk] or [mine[-1]]
    ws.record(
        dataset_id,
        [
            Decision(
                0, dataset_id, "undo", actor, e.rows, e.finding_id, {}, f"undo decision {e.id}", 0.0, e.id, role=e.role
            )
            for e in targets
        ],
    )
    return [e.id for e in targets]


def retract(ws: Workspace, dataset_id: int, decision_id: int, actor: str, role: str, reason: str) -> int:
    """A curator or admin withdraws anyone's decision (an event with who and why)."""
    return ws.retract(dataset_id, decision_id, actor, role, reason)


# agreement and progress ---------------------------------------------------------------------
def vote_category(vote: Decision) -> str:
    """What a blind vote does, as a category (keep, drop, merge, pick, edit, add): two
    annotators who merge the same group onto different rows agree on the category."""
    return str(vote.payload.get("label", "")).split(":")[0] or "?"


def agreement(ws: Workspace, dataset_id: int, ledger: Ledger | None = None) -> dict[str, Any]:
    """Agreement over items with two or more blind votes: Cohen's kappa over the action
    category (overall, per finding kind, per annotator pair), Krippendorff's alpha (any
    number of annotators), and how often the exact decisions (rows too) agree. ``ledger``:
    the decisions to read (``visible_ledger`` for a curator who is in the rotation)."""
    kinds = {fid: kind for fid, kind, _, _ in ws.finding_rows(dataset_id)}
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    units, exact = [], []
    for fid, s in states(ws, dataset_id, ledger=ledger).items():
        if len(s.votes) < 2:
            continue
        units.append([vote_category(v) for v in s.votes])
        a, b = sorted(s.votes[:2], key=lambda v: v.actor)
        pair = (vote_category(a), vote_category(b))
        pairs[(a.actor, b.actor)].append(pair)
        by_kind[kinds.get(fid, "?")].append(pair)
        exact.append(a.payload.get("label") == b.payload.get("label"))
    every = [p for ps in pairs.values() for p in ps]
    return {
        "n_items": len(every),
        "n_agree": sum(exact),
        "n_agree_category": sum(a == b for a, b in every),
        "kappa": cohen_kappa(every),
        "alpha": krippendorff_alpha(units),
        "by_kind": [{"kind": k, "n_items": len(ps), "kappa": cohen_kappa(ps)} for k, ps in sorted(by_kind.items())],
        "pairs": [
            {"annotators": f"{a} / {b}", "n_items": len(ps), "kappa": cohen_kappa(ps)}
            for (a, b), ps in sorted(pairs.items())
        ],
    }


def adjudication_queue(
    ws: Workspace, dataset_id: int, page: int = 1, page_size: int = 10, view: Ledger | None = None
) -> QueuePage:
    """Findings whose two blind votes disagree and that nobody has decided yet (curators;
    ``view``: ``visible_ledger`` of a curator in the rotation, who adjudicates only others' items)."""
    return queue(
        ws,
        dataset_id,
        None,
        None,
        statuses=("disputed",),
        page=page,
        page_size=page_size,
        settings=ReviewSettings(),
        view=view,
    )


def progress(
    ws: Workspace,
    dataset_id: int,
    settings: ReviewSettings | None = None,
    ledger: Ledger | None = None,
    viewer: str | None = None,
) -> list[dict[str, Any]]:
    """Per person: live decisions by action, items touched, and (blind mode) items left.
    ``ledger`` and ``viewer``: what a blind annotator may see (``visible_ledger``; items left
    only for themselves)."""
    settings = settings or load_settings(ws, dataset_id)
    ledger = ledger if ledger is not None else ws.ledger(dataset_id)
    people: dict[str, dict[str, Any]] = defaultdict(lambda: {"actions": Counter(), "items": set(), "last": 0.0})
    for e in ledger.live:
        if e.finding_id is None:
            continue
        credited = [e.actor] + [a for a in e.payload.get("agreed_by") or () if a != e.actor]
        for who in credited:  # an agreed or adjudicated result counts for every annotator who chose it
            p = people[who]
            p["actions"]["vote" if e.action == "judge" else e.action] += 1
            p["items"].add(e.finding_id)
            p["last"] = max(p["last"], e.created_at)
    if settings.double_blind and len(settings.annotators) >= 2:
        ids = [fid for fid, _, _ in ws.light_findings(dataset_id)]
        closed = gaps.closed(ws, dataset_id, ledger)
        for name in settings.annotators:
            if viewer is not None and is_blind_voter(settings, viewer) and name != viewer:
                continue  # how far another annotator is would tell when they voted
            st = _states(ws, dataset_id, ledger, name, closed)
            mine = [f for f in ids if name in route(f, settings.annotators)]
            people[name]["left"] = sum(st.get(f, OPEN).status in TODO for f in mine)
    return [
        {
            "person": name,
            "items": len(p["items"]),
            "decisions": sum(p["actions"].values()),
            **{k: p["actions"].get(k, 0) for k in ("keep", "drop", "merge", "pick", "edit", "add", "skip", "vote")},
            "left": p.get("left"),
            "last_at": p["last"] or None,
        }
        for name, p in sorted(people.items())
    ]
