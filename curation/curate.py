"""The curated set as a pure function of the source examples and the decisions.

``derive`` replays decisions in order (undone ones removed) and returns one ``CuratedRow``
per source example plus one per added example, each saying what happened to it and which
decision did it. ``auto_decisions`` is the no-review policy (drop near-duplicates except
the representative, drop unresolved contradiction groups); ``resolution_decisions`` turns
a file of expert resolutions (row-based, see data/README.md) into decisions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable, Mapping, Sequence

from curation.schema import Decision, Example, Finding, Turn

POLICY_ACTOR = "policy:auto"


@dataclass(frozen=True)
class CuratedRow:
    """One row of the curated set (or one removed row, for the manifest)."""

    row: int | None  # source row; None for an added example
    turns: tuple[Turn, ...]
    status: str  # unchanged | kept | dropped | edited | added
    decision: Decision | None = None
    original: Example | None = None

    @property
    def included(self) -> bool:
        return self.status != "dropped"


def effective(decisions: Iterable[Decision]) -> list[Decision]:
    """Decisions in order, minus undone ones and the undo events themselves."""
    ordered = sorted(decisions, key=lambda d: d.id)
    undone = {d.undoes for d in ordered if d.action == "undo" and d.undoes is not None}
    return [d for d in ordered if d.id not in undone and d.action not in ("undo", "skip", "judge")]


def derive(examples: Sequence[Example], decisions: Iterable[Decision]) -> list[CuratedRow]:
    """Replay decisions over the examples; later decisions on a row win."""
    state: dict[int, CuratedRow] = {ex.row: CuratedRow(ex.row, ex.turns, "unchanged", None, ex) for ex in examples}
    added: list[CuratedRow] = []
    for d in effective(decisions):
        if d.action == "add":
            turns = turns_from_messages(d.payload.get("messages") or [])
            added.append(CuratedRow(None, turns, "added", d))
            continue
        if d.action == "edit":
            for row in d.rows:
                if row in state:
                    base = state[row].original
                    turns = _edited_turns(base.turns if base else state[row].turns, d.payload)
                    state[row] = CuratedRow(row, turns, "edited", d, base)
            continue
        keep = set(_keep_rows(d))
        for row in d.rows:
            if row not in state:
                continue
            cur = state[row]
            if d.action in ("keep",) or row in keep:
                status = "edited" if cur.status == "edited" else "kept"
                state[row] = CuratedRow(row, cur.turns, status, d if status == "kept" else cur.decision, cur.original)
            elif d.action in ("drop", "merge", "pick"):
                state[row] = CuratedRow(row, cur.turns, "dropped", d, cur.original)
    return [state[ex.row] for ex in examples] + added


def _keep_rows(d: Decision) -> list[int]:
    if d.action not in ("merge", "pick"):
        return []
    keep = d.payload.get("keep_rows")
    if keep is None and d.payload.get("keep_row") is not None:
        keep = [d.payload["keep_row"]]
    return [int(r) for r in keep or []]


def _edited_turns(turns: tuple[Turn, ...], payload: Mapping[str, Any]) -> tuple[Turn, ...]:
    if payload.get("messages"):
        return turns_from_messages(payload["messages"])
    answer = payload.get("answer")
    if answer is None:
        raise ValueError("an edit needs 'messages' or 'answer' in its payload")
    if turns and turns[-1].role == "assistant":
        return turns[:-1] + (Turn("assistant", str(answer)),)
    return turns + (Turn("assistant", str(answer)),)


def turns_from_messages(messages: Sequence[Mapping[str, Any]]) -> tuple[Turn, ...]:
    turns = tuple(Turn(str(m["role"]), str(m["content"])) for m in messages)
    bad = [t.role for t in turns if t.role not in ("system", "user", "assistant")]
    if bad or not turns:
        raise ValueError(f"messages must be a non-empty list of system/user/assistant turns (got {bad or 'none'})")
    return turns


def auto_decisions(findings: Sequence[Finding], dataset_id: int = 0) -> list[Decision]:
    """The no-review policy: merge duplicate groups onto their representative, drop
    contradiction groups nobody resolved. Duplicates first, so a contradiction group keeps
    no stale copy."""
    out: list[Decision] = []
    now = time.time()
    ordered = sorted(findings, key=lambda f: (f.kind != "duplicate", f.finding_id))
    for f in ordered:
        if f.kind == "duplicate" and len(f.rows) > 1:
            rep = f.evidence.get("representative", min(f.rows))
            out.append(Decision(len(out) + 1, dataset_id, "merge", POLICY_ACTOR, tuple(f.rows), f.finding_id,
                                {"keep_row": int(rep)}, f"auto: near-duplicate group, kept row {rep}", now))
        elif f.kind == "contradiction":
            out.append(Decision(len(out) + 1, dataset_id, "drop", POLICY_ACTOR, tuple(f.rows), f.finding_id,
                                {}, "auto: unresolved contradiction, all answers dropped", now))
    return out


ACTION_KINDS = {"merge": ("duplicate",), "pick": ("contradiction",), "edit": ("contradiction", "quality"),
                "drop": ("duplicate", "contradiction", "quality", "leakage"), "keep": ("duplicate", "contradiction")}


def attach_findings(decisions: Sequence[Decision], findings: Sequence[Finding]) -> list[Decision]:
    """Give row-based decisions the id of the finding they settle (the finding of a fitting
    kind sharing the most rows with them), so queues show those findings as resolved."""
    by_row: dict[int, list[Finding]] = {}
    for f in findings:
        for r in f.rows:
            by_row.setdefault(r, []).append(f)
    out = []
    for d in decisions:
        if d.finding_id or not d.rows:
            out.append(d)
            continue
        kinds = ACTION_KINDS.get(d.action, ())
        candidates = {f.finding_id: f for r in d.rows for f in by_row.get(r, ()) if f.kind in kinds}
        need = 1 if len(d.rows) == 1 else 2
        best = max(candidates.values(), default=None,
                   key=lambda f: (len(set(f.rows) & set(d.rows)), f.score, f.finding_id))
        if best is not None and len(set(best.rows) & set(d.rows)) >= need:
            d = Decision(d.id, d.dataset_id, d.action, d.actor, d.rows, best.finding_id, d.payload, d.reason,
                         d.created_at, d.undoes)
        out.append(d)
    return out


def resolution_decisions(resolutions: Iterable[Mapping[str, Any]], actor: str = "expert",
                         dataset_id: int = 0) -> list[Decision]:
    """Expert resolutions (row-based records) as decisions, in file order."""
    out: list[Decision] = []
    now = time.time()
    for i, res in enumerate(resolutions, 1):
        action = res["action"]
        rows = tuple(int(r) for r in res.get("rows") or ([res["row"]] if "row" in res else []))
        payload = {k: v for k, v in res.items() if k not in ("action", "rows", "row", "reason")}
        out.append(Decision(i, dataset_id, action, res.get("actor", actor), rows, res.get("finding_id"),
                            payload, res.get("reason", ""), now))
    return out
