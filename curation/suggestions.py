"""Suggested resolutions: which side of a disagreement is right, with the evidence for it.

A disagreement (``review_items.Group``) has sides: rows that assert the same values. Three
kinds of evidence can point at one side, strongest first:

- ``facts``: the workspace facts sheet (or a reference file loaded into it) states a value
  that exactly one side asserts (``review_items.suggested_side``);
- ``recency``: the rows carry a date or version field and every row of one side is newer
  than every row of the others (the fact was updated);
- ``support``: how many rows, and how many distinct phrasings of the request, stand behind
  each side. Copies of one row count once: one pasted row is one source, ten rewordings
  are ten. The share is smoothed (one phrasing against none is weak evidence).

Each suggestion carries a confidence and says whether it is *decisive*: enough for the
no-review policy (``curation.curate``) to apply it without a person. Facts are decisive;
recency is decisive when no stronger evidence points elsewhere; support only with a clear
margin from several phrasings. Evidence that disagrees lowers the confidence and is never
decisive. Not handled: a judge model (the contradiction detector's ``judge`` setting checks
pairs, not sides).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from curation.review_items import Group, side_rows, suggested_side

SUPPORT_DECISIVE = 0.8  # smoothed share of distinct phrasings at which support alone decides
RANK = {"facts": 0.95, "recency": 0.85}
DATE_KEYS = ("date", "updated", "updated_at", "last_updated", "modified", "timestamp", "created_at", "version")


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: its kind, the side it points at (None: none), a confidence and
    the structured detail a page renders."""

    kind: str
    side: str | None
    confidence: float
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    side: str | None
    confidence: float
    decisive: bool
    evidence: tuple[Evidence, ...]
    keep_rows: tuple[int, ...] = ()  # the side's rows without copies (what a pick keeps)

    @property
    def basis(self) -> str:
        """The kind of evidence the suggestion rests on ('none' without one)."""
        best = [e for e in self.evidence if e.side == self.side and e.side is not None]
        return best[0].kind if best else "none"


def support(group: Group, requests: Mapping[int, str]) -> Evidence:
    """Rows and distinct request phrasings per side; points at the side with the largest
    smoothed share of phrasings when that share is above one half."""
    from curation.detectors.boilerplate import strip_request
    from curation.detectors.text import normalize

    per_side = {}
    for side, rows in side_rows(group).items():
        originals = [r for r in rows if r not in group.copies]
        phrasings = {normalize(strip_request(requests.get(r, ""))) for r in originals}
        per_side[side] = {"rows": len(rows), "phrasings": len(phrasings)}
    if len(per_side) < 2:
        return Evidence("support", None, 0.0, {"sides": per_side})
    ranked = sorted(per_side, key=lambda s: -per_side[s]["phrasings"])
    top, rest = per_side[ranked[0]]["phrasings"], sum(per_side[s]["phrasings"] for s in ranked[1:])
    share = (top + 0.5) / (top + rest + 1.0)  # smoothed: 1 vs 0 is 0.75, 7 vs 0 is 0.94, 3 vs 3 is 0.5
    side = ranked[0] if top > per_side[ranked[1]]["phrasings"] else None
    return Evidence("support", side, round(share if side else 0.0, 4), {"sides": per_side})


def _when(record: Mapping[str, Any]) -> tuple | None:
    for key in DATE_KEYS:
        value = record.get(key)
        if value is None or value == "":
            continue
        parts = re.findall(r"\d+", str(value))
        if parts:
            return tuple(int(p) for p in parts)
    return None


def recency(group: Group, records: Mapping[int, Mapping[str, Any]]) -> Evidence:
    """The side whose rows are all newer than every other side's (by a date or version field)."""
    by_side = side_rows(group)
    spans = {}
    for side, rows in by_side.items():
        stamps = [_when(records.get(r, {})) for r in rows]
        if not stamps or any(s is None for s in stamps):
            return Evidence("recency", None, 0.0, {})
        spans[side] = (min(stamps), max(stamps))
    newest = max(spans, key=lambda s: spans[s][0])
    if all(spans[newest][0] > spans[s][1] for s in spans if s != newest):
        return Evidence(
            "recency",
            newest,
            RANK["recency"],
            {
                "newest": ".".join(map(str, spans[newest][0])),
                "older": ".".join(map(str, max(spans[s][1] for s in spans if s != newest))),
            },
        )
    return Evidence("recency", None, 0.0, {})


def facts_evidence(group: Group, answers: Mapping[int, str], facts: Mapping[str, Mapping[str, str]]) -> Evidence:
    hit = suggested_side(group, answers, facts) if facts else None
    if hit is None:
        return Evidence("facts", None, 0.0, {})
    return Evidence("facts", hit[0], RANK["facts"], {"fact": hit[1], "value": facts[hit[1]].get("value", "")})


def suggest(
    group: Group,
    answers: Mapping[int, str],
    requests: Mapping[int, str],
    facts: Mapping[str, Mapping[str, str]] | None = None,
    records: Mapping[int, Mapping[str, Any]] | None = None,
) -> Suggestion:
    """The suggested side of a disagreement and the evidence for it (see the module doc)."""
    evidence = (facts_evidence(group, answers, facts or {}), recency(group, records or {}), support(group, requests))
    pointing = [e for e in evidence if e.side is not None]
    if not pointing:
        return Suggestion(None, 0.0, False, evidence)
    lead = pointing[0]  # evidence is ordered strongest first
    against = [e for e in pointing if e.side != lead.side]
    confidence = lead.confidence - 0.25 * len(against)
    decisive = not against and (lead.kind != "support" or lead.confidence >= SUPPORT_DECISIVE)
    decisive = decisive or lead.kind == "facts"
    keep = tuple(r for r in side_rows(group)[lead.side] if r not in group.copies)
    return Suggestion(lead.side, round(max(confidence, 0.0), 4), decisive, evidence, keep)


def render(s: Suggestion, sides: Sequence[str]) -> list[str]:
    """Readable lines for a suggestion (sides numbered as the page shows them)."""

    def name(side: str | None) -> str:
        return f"side {list(sides).index(side) + 1}" if side in sides else "no side"

    lines = []
    for e in s.evidence:
        if e.kind == "facts" and e.side:
            lines.append(f"facts sheet: '{e.detail['fact']}' is {e.detail['value']}, as {name(e.side)} says")
        elif e.kind == "recency" and e.side:
            lines.append(f"recency: {name(e.side)} is newer ({e.detail['newest']} vs {e.detail['older']})")
        elif e.kind == "support":
            counts = "; ".join(
                f"{name(k)}: {v['rows']} rows, {v['phrasings']} phrasings" for k, v in e.detail.get("sides", {}).items()
            )
            lines.append(f"support: {counts}")
    return lines
