"""Review items: what a reviewer decides once.

Most findings are one item each. Contradictions are reviewed per *disagreement* (the
contradiction detector's ``evidence.disagreement``): every pair about one fact, with each
row's side (``evidence.sides``: rows that assert the same values share a side), plus the
duplicate groups that share rows with it, whose copies go with their original's side. One
decision resolves the whole item: the payload ``covers`` every finding in it.

Decisions on a disagreement (see ``side_decision`` and friends):
- *this side is right*: keep the side's rows, drop every other side's rows and every copy
  of a duplicate group (the group's representative stays when it is on the right side);
- *edit to ...*: one row gets the new answer, the rows that say otherwise are dropped, the
  rows that agree with it stay as they are;
- *all valid* (open-ended) or *different requests*: keep the rows;
- *all wrong*: drop every row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from curation.decisions import OPEN, ItemState
from curation.schema import Finding

DONE = ("resolved", "settled")


@dataclass(frozen=True)
class Group:
    """One review item: its lead finding (which names it), every finding it covers, and for
    a disagreement each row's side and the rows that are copies of another row."""

    lead: str
    members: tuple[str, ...]
    kind: str
    score: float
    rows: tuple[int, ...]
    sides: Mapping[int, str] = field(default_factory=dict)
    copies: Mapping[int, int] = field(default_factory=dict)  # copy row -> the row it copies
    duplicates: tuple[str, ...] = ()  # duplicate findings folded into a disagreement

    @property
    def covers(self) -> list[str]:
        return [*self.members, *self.duplicates]


def groups(findings: Sequence[Finding], kind: str | None) -> list[Group]:
    """The review items of one kind (all kinds with ``kind`` None), best first."""
    if kind not in (None, "contradiction"):
        return [_single(f) for f in findings if f.kind == kind]
    contra = [f for f in findings if f.kind == "contradiction"]
    dups = [f for f in findings if f.kind == "duplicate"]
    out = _disagreements(contra, dups)
    if kind is None:
        out += [_single(f) for f in findings if f.kind != "contradiction"]
    return sorted(out, key=lambda g: (-g.score, -len(g.rows), g.lead))


def _single(f: Finding) -> Group:
    return Group(f.finding_id, (f.finding_id,), f.kind, f.score, tuple(f.rows))


def _disagreements(contra: Sequence[Finding], dups: Sequence[Finding]) -> list[Group]:
    by_key: dict[str, list[Finding]] = {}
    for f in contra:
        by_key.setdefault(str(f.evidence.get("disagreement") or f.finding_id), []).append(f)
    dup_of_row = {r: d for d in dups for r in d.rows}
    out = []
    for members in by_key.values():
        members.sort(key=lambda f: (-f.score, f.finding_id))
        sides: dict[int, str] = {}
        for f in members:
            for r, label in (f.evidence.get("sides") or {}).items():
                sides.setdefault(int(r), str(label))
            for r in f.rows:
                sides.setdefault(r, f"answer of row {r}")
        rows = set(sides)
        copies: dict[int, int] = {}
        folded: list[str] = []
        for r in sorted(rows):
            d = dup_of_row.get(r)
            if d is None or d.finding_id in folded:
                continue
            folded.append(d.finding_id)
            keep = int(d.evidence.get("representative", min(d.rows)))
            for other in d.rows:
                sides.setdefault(other, sides[r])
                if other != keep:
                    copies[other] = keep
        out.append(
            Group(
                members[0].finding_id,
                tuple(f.finding_id for f in members),
                "contradiction",
                max(f.score for f in members),
                tuple(sorted(sides)),
                sides,
                copies,
                tuple(folded),
            )
        )
    return out


def combined(group: Group, states: Mapping[str, ItemState]) -> ItemState:
    """The item's state from its findings' states: done when all of them are; the version
    is the latest event about any of them (what optimistic locking compares)."""
    mine = [states.get(fid, OPEN) for fid in group.covers]
    version = max(s.version for s in mine)
    lead = states.get(group.lead, OPEN)
    contra = [states.get(fid, OPEN) for fid in group.members]
    if all(s.status in DONE for s in contra):
        status = "resolved" if any(s.status == "resolved" for s in contra) else "settled"
    elif any(s.status == "disputed" for s in contra):
        status = "disputed"
    elif any(s.status == "voted" for s in contra):
        status = "voted"
    elif all(s.status in (*DONE, "skipped") for s in contra) and any(s.status == "skipped" for s in contra):
        status = "skipped"
    else:
        status = "open"
    decided = tuple({e.id: e for s in mine for e in s.decided_by}.values())
    return ItemState(status, version, lead.votes, max((s.skipped_at for s in mine), default=0.0), decided)


# decisions on a disagreement --------------------------------------------------------------
def side_rows(group: Group) -> dict[str, list[int]]:
    """side label -> its rows (copies included), in the order the sides first appear."""
    out: dict[str, list[int]] = {}
    for r in group.rows:
        out.setdefault(group.sides.get(r, f"answer of row {r}"), []).append(r)
    return out


def side_decision(group: Group, side: str) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    """Keep the rows of ``side`` (one per duplicate group), drop the rest."""
    keep = [r for r in side_rows(group)[side] if r not in group.copies]
    return "pick", group.rows, {"keep_rows": keep, "side": side, "covers": group.covers}


def edit_decision(group: Group, row: int, answer: str) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    """``row`` gets ``answer``; rows on other sides (and copies) are dropped, rows that agree
    with ``row`` stay as they are."""
    side = group.sides.get(row)
    named = [r for r in group.rows if r == row or group.sides.get(r) != side or r in group.copies]
    return "pick", tuple(named), {"keep_rows": [row], "answer": answer, "covers": group.covers}


def keep_all_decision(group: Group, verdict: str) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    """Not a contradiction: ``verdict`` is 'open-ended' or 'different requests'."""
    rows = tuple(r for r in group.rows if r not in group.copies)
    return "keep", rows, {"verdict": verdict, "covers": list(group.members)}


def drop_all_decision(group: Group) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    return "drop", group.rows, {"covers": group.covers}


def suggested_side(
    group: Group, texts: Mapping[int, str], facts: Mapping[str, Mapping[str, str]]
) -> tuple[str, str] | None:
    """(side, fact key) when a fact's current value is asserted by exactly one side: its
    figures are among the side's own (or its words appear in the side's answers) and the
    fact is about these rows (a word of its label or key appears in their texts). A
    suggestion shown to the reviewer, never applied by itself."""
    by_side = side_rows(group)
    every = " ".join(texts.get(r, "") for r in group.rows).casefold()
    for key, fact in facts.items():
        value = str(fact.get("value", ""))
        about = {
            w
            for w in re.findall(r"[a-z]{3,}", f"{fact.get('label', '')} {key}".casefold().replace("_", " "))
            if w not in _STOP
        }
        if not value or not any(w in every for w in about):
            continue
        figures = set(_NUMBER.findall(value))
        hits = []
        for side, rows in by_side.items():
            if figures:
                said = set(_NUMBER.findall(side))
                ok = figures <= said
            else:
                needle = " ".join(value.casefold().split())
                ok = any(needle in " ".join(texts.get(r, "").casefold().split()) for r in rows)
            if ok:
                hits.append(side)
        if len(hits) == 1:
            return hits[0], key
    return None


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_STOP = {"the", "and", "for", "per", "with", "plan", "what", "how", "many", "much", "does", "can"}
