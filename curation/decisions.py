"""What a decision means: the one module that interprets decision events.

Decisions are append-only events (``schema.Decision``). Three families:

- **Row decisions** change the curated set: ``keep``, ``drop``, ``edit``, ``pick``,
  ``merge`` and ``add``.
- **Item decisions** change only a review item: ``skip`` (the actor looks at it later) and
  ``judge`` (``payload.kind == "vote"``: a blind vote on a finding, which the curated set
  ignores until votes agree or a curator adjudicates; ``"ab"``: an A/B judgement of two
  model answers, about no finding).
- **Withdrawals** name the event they withdraw (``undoes``): ``undo`` (the actor withdraws
  a decision of their own) and ``retract`` (a curator or admin withdraws anyone's decision,
  saying why). A withdrawn event counts as never recorded. A withdrawal cannot itself be
  withdrawn: record the decision again instead.

How row decisions apply, in event order (on the same row the later decision wins):

- ``keep ROWS`` includes the rows; ``drop ROWS`` excludes them.
- ``edit ROWS`` replaces the text (``answer``: the last answer; ``messages``: every turn).
  Text and inclusion are separate: an edited row that is dropped and kept again keeps its
  edited text.
- ``pick ROWS keep_row=R`` (a contradiction: R is right) and ``merge ROWS keep_row=R`` or
  ``keep_rows=[...]`` (duplicates: keep the representative) include the kept rows and
  exclude the others. ``answer`` or ``messages`` in their payload also edit the kept row,
  so "edit into the right answer" is one event, atomic.
- ``add messages=[...]`` writes a new example.

A finding's status for a viewer: ``resolved`` when a live row decision names it (or
``covers`` it: one decision on a disagreement resolves every pair in it), else
``disputed`` (two blind votes, nobody decided), ``voted`` (the viewer voted), ``settled``
(nobody decided it, but every one of its rows was decided elsewhere), ``skipped`` (the
viewer skipped it; anyone's skip when there is no viewer) or ``open``. Coverage gaps are
the exception (see ``Ledger.items``): an ``add`` writes one example and settles no finding
by itself; a gap is resolved by a ``keep`` naming it ("no example needed") or once the
coverage side (``curation.gaps``) finds every reference prompt of it covered. Its
``version`` is the id of the latest event about it, withdrawals included: the token that
optimistic locking compares. ``reversals`` tells which rows a new decision would turn around.

``check`` validates one decision against the dataset before anything is stored; a stored
event that cannot be applied anyway (written by an older version) is reported by
``Ledger.problems`` with its id, never raised. Not handled here: who may record what
(``curation.auth``) and what the reviewer is warned about (the app).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from curation.schema import ROLES, Decision, Example, Turn

ROW_ACTIONS = ("keep", "drop", "edit", "pick", "merge", "add")
ITEM_ACTIONS = ("skip", "judge")
WITHDRAWALS = ("undo", "retract")
ACTIONS = ROW_ACTIONS + ITEM_ACTIONS + WITHDRAWALS
RETRACT_ROLES = ("curator", "admin")


# validation ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a decision: the field it is in and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"field '{self.field}': {self.message}"


class DecisionError(ValueError):
    """A decision that cannot be recorded; ``problems`` says which field and why."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(map(str, self.problems)))


@dataclass(frozen=True)
class Dataset:
    """What validation checks a decision against."""

    n_rows: int
    findings: Mapping[str, Any] = field(default_factory=dict)  # finding_id -> finding (None: not in the latest scan)
    events: Mapping[int, Decision] = field(default_factory=dict)  # id -> recorded event (targets)


def check(d: Decision, ds: Dataset, ledger: Ledger | None = None) -> list[Problem]:
    """Every problem of ``d`` (empty when it can be recorded). ``ledger`` (the dataset's
    decisions so far) lets withdrawals and skips be checked against what stands."""
    out: list[Problem] = []
    if d.action not in ACTIONS:
        return [Problem("action", f"unknown action {d.action!r} (choose from {', '.join(ACTIONS)})")]
    if not isinstance(d.actor, str) or not d.actor.strip():
        out.append(Problem("actor", "a decision needs an actor (who decided)"))
    if not isinstance(d.reason, str):
        out.append(Problem("reason", f"expected text, got {_type(d.reason)}"))
    if not isinstance(d.payload, Mapping):
        return out + [Problem("payload", f"expected an object, got {_type(d.payload)}")]
    out += _rows(d.rows, ds.n_rows)
    if d.finding_id is not None and d.finding_id in ds.findings and ds.findings[d.finding_id] is None:
        out.append(Problem("finding_id", f"no finding {d.finding_id!r} in the latest scan"))
    rows, p = list(d.rows), d.payload
    if d.action == "keep" and not rows and _kind(ds, d) != "coverage_gap":
        out.append(Problem("rows", "keep needs the rows it applies to"))
    elif d.action == "drop" and not rows:
        out.append(Problem("rows", "drop needs the rows it applies to"))
    elif d.action == "edit":
        if not rows:
            out.append(Problem("rows", "edit needs the row it changes"))
        out += _text_change(p, required=True)
    elif d.action in ("pick", "merge"):
        out += _kept(d.action, rows, p)
        out += _text_change(p, required=False)
    elif d.action == "add":
        if rows:
            out.append(Problem("rows", "add writes a new example: it takes no rows"))
        out += _messages(p.get("messages"), "messages", required=True)
    elif d.action == "skip" and d.finding_id is None:
        out.append(Problem("finding_id", "skip needs the finding it postpones"))
    elif d.action == "skip" and ledger is not None and ledger.item(d.finding_id).status == "resolved":
        out.append(Problem("action", f"finding {d.finding_id} is already resolved: nothing to skip"))
    elif d.action == "judge" and p.get("kind") not in ("vote", "ab"):
        out.append(Problem("payload.kind", "a judgement is a blind 'vote' on a finding or an 'ab' judgement"))
    elif d.action in WITHDRAWALS:
        out += _withdrawal(d, ds, ledger)
    covers = p.get("covers")
    if covers is not None and (not isinstance(covers, list) or not all(isinstance(c, str) for c in covers)):
        out.append(Problem("covers", "expected a list of finding ids"))
    elif covers:
        missing = [c for c in covers if c in ds.findings and ds.findings[c] is None]
        if missing:
            out.append(Problem("covers", f"no finding {missing[0]!r} in the latest scan"))
    return out


def _withdrawal(d: Decision, ds: Dataset, ledger: Ledger | None) -> list[Problem]:
    if d.undoes is None or isinstance(d.undoes, bool) or not isinstance(d.undoes, int):
        return [Problem("undoes", f"{d.action} needs the id of the decision it withdraws")]
    target = ds.events.get(d.undoes)
    if target is None:
        return [Problem("undoes", f"no decision {d.undoes} in this dataset")]
    if target.action in WITHDRAWALS:
        return [Problem("undoes", f"decision {d.undoes} is itself a withdrawal: record the decision again instead")]
    if ledger is not None and d.undoes in ledger.withdrawn:
        by = ledger.withdrawn[d.undoes]
        return [Problem("undoes", f"decision {d.undoes} was already withdrawn ({by.action} {by.id} by {by.actor})")]
    if d.action == "undo" and target.actor != d.actor:
        return [Problem("undoes", f"decision {d.undoes} is {target.actor}'s: only a curator can retract it")]
    if d.action == "retract" and not d.reason.strip():
        return [Problem("reason", "a retraction says why")]
    return []


def _rows(rows: Any, n_rows: int) -> list[Problem]:
    if not isinstance(rows, (list, tuple)):
        return [Problem("rows", f"expected a list of row numbers, got {_type(rows)}")]
    for r in rows:
        if isinstance(r, bool) or not isinstance(r, int):
            return [Problem("rows", f"row {r!r} is not a whole number")]
        if not 0 <= r < n_rows:
            return [Problem("rows", f"row {r} is not in the dataset (rows 0..{n_rows - 1})")]
    return []


def _kept(action: str, rows: list[int], p: Mapping[str, Any]) -> list[Problem]:
    if not rows:
        return [Problem("rows", f"{action} needs the rows it chooses among")]
    if "keep_rows" in p:
        keep = p["keep_rows"]
        if not isinstance(keep, list) or not keep:
            return [Problem("keep_rows", "expected a non-empty list of row numbers")]
        bad = [r for r in keep if isinstance(r, bool) or not isinstance(r, int) or r not in rows]
        return [Problem("keep_rows", f"{bad[0]!r} is not among the rows {rows}")] if bad else []
    keep = p.get("keep_row")
    if keep is None:
        return [Problem("keep_row", f"{action} needs keep_row: the row that stays")]
    if isinstance(keep, bool) or not isinstance(keep, int):
        return [Problem("keep_row", f"{keep!r} is not a row number")]
    if keep not in rows:
        return [Problem("keep_row", f"{keep} is not among the rows {rows}")]
    return []


def _text_change(p: Mapping[str, Any], required: bool) -> list[Problem]:
    if "messages" in p:
        return _messages(p["messages"], "messages", required=True)
    if "answer" in p:
        a = p["answer"]
        if not isinstance(a, str):
            return [Problem("answer", f"expected text, got {_type(a)}")]
        return [] if a.strip() else [Problem("answer", "the new answer is empty")]
    return [Problem("answer", "an edit needs 'answer' (the new last answer) or 'messages'")] if required else []


def _messages(value: Any, name: str, required: bool) -> list[Problem]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value:
        return [Problem(name, f"expected a non-empty list of {{role, content}} objects, got {_type(value)}")]
    for i, m in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(m, Mapping):
            return [Problem(where, f"expected an object with role and content, got {_type(m)}")]
        if m.get("role") not in ROLES:
            return [Problem(f"{where}.role", f"{m.get('role')!r} is not one of {', '.join(ROLES)}")]
        if not isinstance(m.get("content"), str):
            return [Problem(f"{where}.content", f"expected text, got {_type(m.get('content'))}")]
    if not any(m["role"] == "user" for m in value):
        return [Problem(name, "an example needs a user turn")]
    return []


def _kind(ds: Dataset, d: Decision) -> str | None:
    f = ds.findings.get(d.finding_id) if d.finding_id else None
    return getattr(f, "kind", None)


def _type(v: Any) -> str:
    return (
        "nothing"
        if v is None
        else {
            bool: "true/false",
            int: "a number",
            float: "a number",
            str: "text",
            list: "a list",
            dict: "an object",
        }.get(type(v), type(v).__name__)
    )


# interpretation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemState:
    """A finding as a review item, for one viewer."""

    status: str  # open | skipped | voted | disputed | settled | resolved
    version: int  # the optimistic-lock token (id of the latest event about the item; 0 = none)
    votes: tuple[Decision, ...] = ()
    skipped_at: float = 0.0
    decided_by: tuple[Decision, ...] = ()  # the live row decisions that resolve it


OPEN = ItemState("open", 0)


@dataclass(frozen=True)
class CuratedRow:
    """One row of the curated set (or one removed row, for the manifest)."""

    row: int | None  # source row; None for an added example
    turns: tuple[Turn, ...]
    status: str  # unchanged | kept | dropped | edited | added
    decision: Decision | None = None  # the decision that gave the row its status
    original: Example | None = None
    history: tuple[Decision, ...] = ()  # every live decision on the row, in order

    @property
    def included(self) -> bool:
        return self.status != "dropped"


class Ledger:
    """The decisions of one dataset as they stand: which are live, what each finding's
    status is, and what the curated set is."""

    def __init__(self, events: Iterable[Decision]):
        self.events = sorted(events, key=lambda e: e.id)
        self.withdrawn: dict[int, Decision] = {
            e.undoes: e for e in self.events if e.action in WITHDRAWALS and e.undoes is not None
        }
        self.live = [e for e in self.events if e.action not in WITHDRAWALS and e.id not in self.withdrawn]
        self.problems: dict[int, str] = {}  # event id -> why it could not be applied

    def by_id(self) -> dict[int, Decision]:
        return {e.id: e for e in self.events}

    # findings ---------------------------------------------------------------------------
    def item(self, finding_id: str, viewer: str | None = None) -> ItemState:
        return self.items(viewer).get(finding_id, OPEN)

    def items(
        self, viewer: str | None = None, findings: Sequence[Any] = (), covered: Mapping[str, bool] | None = None
    ) -> dict[str, ItemState]:
        """finding_id -> ItemState for ``viewer`` (absent = open, version 0). An event is about
        the finding it names and those its payload ``covers`` (one decision on a disagreement
        resolves every pair of it). With ``findings`` (objects with ``finding_id``, ``kind``
        and ``rows``), a finding nobody decided whose rows were all decided elsewhere is
        ``settled``, its ``decided_by`` the decisions that settled it.

        ``covered``: finding_id -> True for each coverage gap whose reference prompts are all
        covered now, as the coverage side computes it (``curation.gaps.closed``); such a gap
        is resolved even with no decision naming it. An ``add`` alone resolves nothing."""
        version: dict[str, int] = {}
        covered = covered or {}
        for fid, done in covered.items():
            if done:
                version.setdefault(fid, 0)
        by_item: dict[str, list[Decision]] = defaultdict(list)
        live = set(id(e) for e in self.live)
        for e in self.events:
            for fid in _about(e):
                version[fid] = max(version.get(fid, 0), e.id)
                if id(e) in live:
                    by_item[fid].append(e)
        out = {}
        for fid, v in version.items():
            mine = by_item.get(fid, [])
            done = covered.get(fid, False)
            decided = _settling(mine, done)
            votes = {e.actor: e for e in mine if _is_vote(e)}
            skips = [e for e in mine if e.action == "skip" and (viewer is None or e.actor == viewer)]
            if decided or done:
                status = "resolved"
            elif len(votes) >= 2:
                status = "disputed"
            elif viewer is not None and viewer in votes:
                status = "voted"
            elif skips:
                status = "skipped"
            else:
                status = "open"
            out[fid] = ItemState(status, v, tuple(votes.values()), skips[-1].created_at if skips else 0.0, decided)
        if findings:
            touched = self.touched()
            for f in findings:
                state = out.get(f.finding_id, OPEN)
                if state.status not in ("open", "skipped") or not f.rows or f.kind == "coverage_gap":
                    continue
                if all(r in touched for r in f.rows):
                    by = tuple({e.id: e for e in (touched[r][-1] for r in f.rows)}.values())
                    out[f.finding_id] = ItemState("settled", state.version, state.votes, state.skipped_at, by)
        return out

    def touched(self) -> dict[int, list[Decision]]:
        """row -> the live row decisions on it, in order."""
        out: dict[int, list[Decision]] = defaultdict(list)
        for e in self.live:
            if e.action in ROW_ACTIONS:
                for r in e.rows:
                    out[r].append(e)
        return out

    def row_states(self, rows: Iterable[int]) -> dict[int, CuratedRow]:
        """What each of ``rows`` has become (only rows a live decision touched), without
        loading the examples: the status, the decision behind it and the row's history."""
        wanted = set(rows) & set(self.touched())
        stubs = [Example(row=r, turns=()) for r in sorted(wanted)]
        problems = dict(self.problems)
        out = {c.row: c for c in self.curated(stubs) if c.row is not None}
        self.problems = problems
        return out

    def reversals(self, d: Decision) -> list[tuple[int, Decision, str]]:
        """(row, the earlier decision, what would change) for each row whose inclusion ``d``
        would turn around: restoring a dropped row, or dropping a row someone kept."""
        states = self.row_states(d.rows)
        try:
            changes = _changes(d, {r: Example(row=r, turns=()) for r in d.rows}, {})
        except (KeyError, TypeError, ValueError):
            return []
        out = []
        for row, keep, _ in changes:
            state = states.get(row)
            if state is None or keep is None or state.decision is None or state.decision.action == "edit":
                continue
            if keep and state.status == "dropped":
                out.append((row, state.decision, "restore"))
            elif not keep and state.status in ("kept", "edited"):
                out.append((row, state.decision, "drop"))
        return out

    # rows ---------------------------------------------------------------------------------
    def curated(self, examples: Sequence[Example], fallback: Iterable[Decision] = ()) -> list[CuratedRow]:
        """One CuratedRow per example (in order) plus one per added example. ``fallback``
        events (a policy's) apply first, so every recorded decision overrides them."""
        self.problems = {}
        base = {ex.row: ex for ex in examples}
        included: dict[int, bool] = {}
        text: dict[int, tuple[Turn, ...]] = {}
        edit_by: dict[int, Decision] = {}
        status_by: dict[int, Decision] = {}
        history: dict[int, list[Decision]] = defaultdict(list)
        added: list[CuratedRow] = []
        for e in [*fallback, *self.live]:
            if e.action not in ROW_ACTIONS:
                continue
            try:
                changes = _changes(e, base, text)
            except (KeyError, TypeError, ValueError) as err:
                self.problems[e.id] = f"{e.action} cannot be applied: {err}"
                continue
            if e.action == "add":
                added.append(CuratedRow(None, changes[0][2], "added", e, None, (e,)))
                continue
            for row, keep, turns in changes:
                history[row].append(e)
                status_by[row] = e
                if keep is not None:
                    included[row] = keep
                if turns is not None:
                    text[row], edit_by[row] = turns, e
        out = []
        for ex in examples:
            r = ex.row
            if r not in status_by:
                out.append(CuratedRow(r, ex.turns, "unchanged", None, ex))
            elif not included.get(r, True):
                out.append(CuratedRow(r, text.get(r, ex.turns), "dropped", status_by[r], ex, tuple(history[r])))
            elif r in edit_by:
                out.append(CuratedRow(r, text[r], "edited", edit_by[r], ex, tuple(history[r])))
            else:
                out.append(CuratedRow(r, ex.turns, "kept", status_by[r], ex, tuple(history[r])))
        return out + added

    def related_rows(self, row: int) -> list[int]:
        """``row`` and every row a live decision on it also names: the examples ``curated`` needs
        to tell one row's current state (a pick on rows 3 and 9 cannot apply without row 9)."""
        return sorted({row, *(r for e in self.live if row in e.rows for r in e.rows)})

    def current(self, row: int, fetch: Callable[[Sequence[int]], Sequence[Example]]) -> CuratedRow:
        """One row as it stands now; ``fetch`` loads the examples of the given rows."""
        return next(c for c in self.curated(fetch(self.related_rows(row))) if c.row == row)


def _changes(
    e: Decision, base: Mapping[int, Example], text: Mapping[int, tuple[Turn, ...]]
) -> list[tuple[int, bool | None, tuple[Turn, ...] | None]]:
    """What one row decision does: (row, included or None, new turns or None) per row."""
    p = e.payload
    if e.action == "add":
        return [(-1, True, turns_from_messages(p["messages"]))]
    missing = [r for r in e.rows if r not in base]
    if missing:
        raise KeyError(f"row {missing[0]} is not in the dataset")
    if e.action == "keep":
        return [(r, True, None) for r in e.rows]
    if e.action == "drop":
        return [(r, False, None) for r in e.rows]
    if e.action == "edit":
        return [(r, None, edited_turns(text.get(r, base[r].turns), p)) for r in e.rows]
    keep = kept_rows(e)
    if not keep or not set(keep) <= set(e.rows):
        raise ValueError(f"kept rows {keep} are not among the rows {list(e.rows)}")
    edits = "answer" in p or "messages" in p
    return [
        (r, r in keep, edited_turns(text.get(r, base[r].turns), p) if edits and r in keep else None) for r in e.rows
    ]


def kept_rows(e: Decision) -> list[int]:
    """The rows a pick or merge keeps."""
    if e.action not in ("pick", "merge"):
        return []
    keep = e.payload.get("keep_rows")
    if keep is None and e.payload.get("keep_row") is not None:
        keep = [e.payload["keep_row"]]
    return [int(r) for r in keep or []]


def edited_turns(turns: tuple[Turn, ...], payload: Mapping[str, Any]) -> tuple[Turn, ...]:
    """``turns`` with an edit applied: ``messages`` replace every turn, ``answer`` the last answer."""
    if payload.get("messages"):
        return turns_from_messages(payload["messages"])
    answer = payload.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError("an edit needs 'messages' or a non-empty 'answer'")
    if turns and turns[-1].role == "assistant":
        return turns[:-1] + (Turn("assistant", answer),)
    return turns + (Turn("assistant", answer),)


def turns_from_messages(messages: Sequence[Mapping[str, Any]]) -> tuple[Turn, ...]:
    problems = _messages(list(messages) if isinstance(messages, (list, tuple)) else messages, "messages", True)
    if problems:
        raise ValueError(str(problems[0]))
    return tuple(Turn(m["role"], m["content"]) for m in messages)


def _about(e: Decision) -> list[str]:
    """The findings an event is about: the one it names and the ones it covers."""
    covers = e.payload.get("covers") if isinstance(e.payload, Mapping) else None
    out = [e.finding_id] if e.finding_id is not None else []
    return out + [c for c in covers or () if isinstance(c, str) and c != e.finding_id]


def _settling(live: Sequence[Decision], covered: bool) -> tuple[Decision, ...]:
    """The live row decisions that resolve a finding: any but ``add`` (one written example
    does not close a gap), and its ``add``s too once the gap is covered."""
    return tuple(e for e in live if e.action in ROW_ACTIONS and (covered or e.action != "add"))


def _is_vote(e: Decision) -> bool:
    return e.action == "judge" and e.payload.get("kind") == "vote"


def is_vote(e: Decision) -> bool:
    """Whether ``e`` is a blind vote (which the curated set ignores)."""
    return _is_vote(e)


def derive(
    examples: Sequence[Example], decisions: Iterable[Decision], fallback: Iterable[Decision] = ()
) -> list[CuratedRow]:
    """The curated set: the examples with the live decisions applied (see the module doc)."""
    return Ledger(decisions).curated(examples, fallback)


def label(action: str, rows: Sequence[int], payload: Mapping[str, Any]) -> str:
    """What a decision does, comparable across annotators: the action and the rows it keeps
    or edits (two annotators who both merge onto row 7 agree)."""
    keep = payload.get("keep_rows") or ([payload["keep_row"]] if "keep_row" in payload else None)
    detail = keep if keep is not None else (list(rows) if action == "edit" else None)
    return action + (f":{','.join(map(str, sorted(detail)))}" if detail is not None else "")
