"""The no-review policy, and linking row-based decisions to the findings they settle.

The curated set itself (``derive``, ``CuratedRow``) is ``curation.decisions``; this module
only proposes decisions. ``auto_decisions`` is what the workbench does for the findings
nobody decided: merge a duplicate group onto its representative, drop a contradiction
group, for the findings none of whose rows a reviewer decided. Its decisions are applied
*under* the recorded ones (``Ledger.curated(fallback=)``), so a reviewer's decision on a
row always wins over the policy's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from curation.decisions import ROW_ACTIONS, CuratedRow, Ledger, derive
from curation.schema import Decision, Finding

POLICY_ACTOR = "policy:auto"
__all__ = ["POLICY_ACTOR", "CuratedRow", "derive", "auto_decisions", "attach_findings", "ACTION_KINDS"]


def auto_decisions(findings: Sequence[Finding], dataset_id: int = 0, ledger: Ledger | None = None) -> list[Decision]:
    """The no-review policy over the findings nobody decided (all of them without a
    ``ledger``): duplicates first, so a contradiction group keeps no stale copy.

    A finding counts as decided when a live decision resolves it *or touches one of its
    rows*: a reviewer who picked the right answer of a fact has judged its other pairwise
    findings too, and the policy must not drop the right answers they left alone (on the
    demo, dropping both sides of those pairs removed 149 correct rows)."""
    resolved = {fid for fid, s in ledger.items().items() if s.status == "resolved"} if ledger else set()
    touched = {r for e in ledger.live if e.action in ROW_ACTIONS for r in e.rows} if ledger else set()
    out: list[Decision] = []
    now = time.time()
    for f in sorted(findings, key=lambda f: (f.kind != "duplicate", f.finding_id)):
        if f.finding_id in resolved or touched.intersection(f.rows):
            continue
        if f.kind == "duplicate" and len(f.rows) > 1:
            rep = int(f.evidence.get("representative", min(f.rows)))
            out.append(Decision(-(len(out) + 1), dataset_id, "merge", POLICY_ACTOR, tuple(f.rows), f.finding_id,
                                {"keep_row": rep}, f"auto: near-duplicate group, kept row {rep}", now))
        elif f.kind == "contradiction":
            out.append(Decision(-(len(out) + 1), dataset_id, "drop", POLICY_ACTOR, tuple(f.rows), f.finding_id,
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
                         d.created_at, d.undoes, d.key, d.role)
        out.append(d)
    return out
