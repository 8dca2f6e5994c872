"""The no-review policy, and linking row-based decisions to the findings they settle.

The curated set itself (``derive``, ``CuratedRow``) is ``curation.decisions``; this module
only proposes decisions. ``auto_decisions`` is what the workbench does for the findings
nobody decided, for the findings none of whose rows a reviewer decided:

- a duplicate group: its *copies* (same request wording, same answer) are merged onto one
  row; rewordings of the request with the same answer are kept, since they teach the model
  to generalise, unless ``merge_rewordings`` (then the whole group merges onto its
  representative);
- a disagreement (the contradiction findings about one fact): the suggested side
  (``curation.suggestions``) is kept and the others dropped, only when the evidence is
  decisive; otherwise nothing is decided, every row stays and the findings stay open. The
  policy never drops both sides of a conflict, and it does not merge the copies inside an
  undecided one either: deduplicating one side and not the other would tilt the balance the
  source has (a fact stated right twice and wrong once would become one against one).

Its decisions are applied *under* the recorded ones (``Ledger.curated(fallback=)``), so a
reviewer's decision on a row always wins over the policy's. ``policy_summary`` counts what it
resolved and how.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from curation.decisions import ROW_ACTIONS, CuratedRow, Ledger, derive
from curation.schema import Decision, Example, Finding

POLICY_ACTOR = "policy:auto"
__all__ = [
    "POLICY_ACTOR",
    "CuratedRow",
    "derive",
    "auto_decisions",
    "attach_findings",
    "ACTION_KINDS",
    "policy_summary",
]


def _wording(ex: Example) -> str:
    from curation.detectors.boilerplate import strip_request
    from curation.detectors.text import normalize

    return normalize(strip_request(ex.user_request or ex.request))


def auto_decisions(
    findings: Sequence[Finding],
    dataset_id: int = 0,
    ledger: Ledger | None = None,
    examples: Sequence[Example] = (),
    facts: Mapping[str, Mapping[str, str]] | None = None,
    merge_rewordings: bool = False,
) -> list[Decision]:
    """The no-review policy over the findings nobody decided (all of them without a
    ``ledger``): duplicates first, so a disagreement keeps no stale copy; a duplicate group
    with rows in a disagreement the policy cannot decide is left as it is.

    ``examples`` (the dataset's rows) tell copies from rewordings and give the suggestions
    their evidence; without them every duplicate group merges onto its representative and
    no disagreement is decided (nothing to weigh). A finding counts as decided when a live
    decision resolves it *or touches one of its rows*: a reviewer who picked the right
    answer of a fact has judged its other pairwise findings too."""
    from curation import review_items, suggestions

    resolved = {fid for fid, s in ledger.items().items() if s.status == "resolved"} if ledger else set()
    touched = {r for e in ledger.live if e.action in ROW_ACTIONS for r in e.rows} if ledger else set()
    by_row = {ex.row: ex for ex in examples}
    out: list[Decision] = []
    now = time.time()

    def add(action: str, rows: Sequence[int], fid: str, payload: dict[str, Any], reason: str) -> None:
        out.append(Decision(-(len(out) + 1), dataset_id, action, POLICY_ACTOR, tuple(rows), fid, payload, reason, now))

    open_ = [f for f in findings if f.finding_id not in resolved and not touched.intersection(f.rows)]
    picks: list[tuple[str, Sequence[int], str, dict[str, Any], str]] = []
    conflicted: set[int] = set()  # rows of a disagreement the policy cannot decide
    if by_row:
        contra = [f for f in open_ if f.kind == "contradiction"]
        dups = [f for f in findings if f.kind == "duplicate"]
        answers = {r: ex.answer for r, ex in by_row.items()}
        requests = {r: ex.user_request or ex.request for r, ex in by_row.items()}
        records = {r: ex.record for r, ex in by_row.items()}
        for g in review_items.groups([*contra, *dups], "contradiction"):
            if touched.intersection(g.rows):
                continue
            s = suggestions.suggest(g, answers, requests, facts, records)
            if not s.decisive:
                conflicted.update(g.rows)  # the rows stay and the findings stay open: never drop both sides
                continue
            keep, seen = [], set()
            for r in sorted(review_items.side_rows(g)[s.side], key=lambda r: (r in g.copies, r)):
                if _wording(by_row[r]) not in seen:  # a copy goes; a rewording on the right side stays
                    seen.add(_wording(by_row[r]))
                    keep.append(r)
            picks.append(
                (
                    "pick",
                    g.rows,
                    g.lead,
                    {
                        "keep_rows": keep,
                        "side": s.side,
                        "covers": list(g.members),
                        "basis": s.basis,
                        "confidence": s.confidence,
                    },
                    f"auto: side '{s.side}' kept on {s.basis} evidence (confidence {s.confidence:.2f})",
                )
            )
    for f in sorted(open_, key=lambda f: f.finding_id):
        if f.kind != "duplicate" or len(f.rows) < 2:
            continue
        if conflicted.intersection(f.rows):
            # an open conflict keeps the balance the source has: merging the copies of one side
            # (and not of the other) would tilt it without anyone deciding which side is right
            continue
        rep = int(f.evidence.get("representative", min(f.rows)))
        if merge_rewordings or not by_row:
            add("merge", f.rows, f.finding_id, {"keep_row": rep}, f"auto: near-duplicate group, kept row {rep}")
            continue
        wordings: dict[str, list[int]] = {}
        for r in f.rows:
            wordings.setdefault(_wording(by_row[r]) if r in by_row else f"row:{r}", []).append(r)
        for rows in wordings.values():
            if len(rows) > 1:
                keep = rep if rep in rows else min(rows)
                add(
                    "merge",
                    rows,
                    f.finding_id,
                    {"keep_row": keep, "copies": True},
                    f"auto: {len(rows) - 1} copies of row {keep} merged; rewordings kept",
                )
    for pick in picks:  # after the merges, so a disagreement keeps no stale copy
        add(*pick)
    return out


def policy_summary(decisions: Sequence[Decision], findings: Sequence[Finding]) -> dict[str, Any]:
    """What the policy decided: disagreements resolved per kind of evidence, contradiction
    findings it left open, duplicate copies merged."""
    covered = {fid for d in decisions if d.action == "pick" for fid in d.payload.get("covers", ())}
    basis = Counter(d.payload.get("basis", "?") for d in decisions if d.action == "pick")
    return {
        "disagreements_resolved": dict(sorted(basis.items())),
        "contradictions_left_open": sum(
            1 for f in findings if f.kind == "contradiction" and f.finding_id not in covered
        ),
        "duplicate_rows_merged": sum(len(d.rows) - 1 for d in decisions if d.action == "merge"),
    }


ACTION_KINDS = {
    "merge": ("duplicate",),
    "pick": ("contradiction",),
    "edit": ("contradiction", "quality"),
    "drop": ("duplicate", "contradiction", "quality", "leakage"),
    "keep": ("duplicate", "contradiction"),
}


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
        best = max(
            candidates.values(), default=None, key=lambda f: (len(set(f.rows) & set(d.rows)), f.score, f.finding_id)
        )
        if best is not None and len(set(best.rows) & set(d.rows)) >= need:
            d = Decision(
                d.id,
                d.dataset_id,
                d.action,
                d.actor,
                d.rows,
                best.finding_id,
                d.payload,
                d.reason,
                d.created_at,
                d.undoes,
                d.key,
                d.role,
            )
        out.append(d)
    return out
