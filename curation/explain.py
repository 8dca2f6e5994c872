"""Why two rows were, or were not, flagged: every check the detectors run on one pair.

``explain_pair`` replays the duplicate and contradiction judgements of a scan on two rows,
with the scan's settings and cached embeddings: the request and answer cosines, how each
field matched (and the rules that kept them apart), whether the scan would compare the pair
at all, and each step of the contradiction verdict with the rule that decided it.
``curate explain ROW_A ROW_B`` prints it; the app shows the same for a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curation.detectors.rules import RULES, qualified, rule_of

_STEP_TEXT = {  # steps that are not one rule
    "changed_value": "a number, name or polarity changed inside matching answers, or a swap "
    "(contra.number_mismatch, name_mismatch, negation, role_swap ...)",
    "value_conflicts": "figures, units and negated statements each answer gives (contra.different_numbers, "
    "unit_mismatch, negated_statement): decided after the judge",
    "value_conflict": "a figure, unit or negation conflict found above",
    "claims_unmatched": "the claims: first-sentence content words the request lacks",
}


@dataclass
class FieldMatch:
    same: bool
    kind: str
    score: float
    rules: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    rows: tuple[int, int]
    request_cosine: float | None
    answer_cosine: float | None
    request: FieldMatch
    answer: FieldMatch | None
    duplicate: bool
    duplicate_rules: list[str]
    compared: bool  # would the scan's contradiction detector assess this pair
    why_not_compared: str
    steps: list[tuple[str, bool]]
    status: str | None  # conflict | agree | open | different | None (not assessed)
    score: float | None
    reasons: list[str]
    contradiction_rules: list[dict]
    evidence: dict = field(default_factory=dict)  # what the verdict's steps measured (claims, P(open) ...)
    findings: list[dict] = field(default_factory=list)  # findings of the latest scan naming both rows

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _match(rel, prefix: str) -> FieldMatch:
    return FieldMatch(
        rel.same,
        rel.kind,
        round(float(rel.score), 4),
        list(dict.fromkeys(qualified(prefix, rule_of(c)) for c in rel.conflicts if rule_of(c))),
    )


def explain_pair(
    examples: list,
    row_a: int,
    row_b: int,
    settings: Any = None,
    cache_dir: str | Path | None = None,
    embedder: Any = None,
) -> Explanation:
    """Replay the scan's pair checks on rows ``row_a`` and ``row_b`` of ``examples``."""
    from curation.detectors.base import ScanContext
    from curation.detectors.features import answer_embeddings, fields, request_embeddings
    from curation.detectors.graph import EXACT, duplicate_edge
    from curation.detectors.matching import judge_pair
    from curation.detectors.semantic import needs_answer_cosine
    from curation.scan import ScanSettings, make_embedder

    settings = settings or ScanSettings()
    by_row = {ex.row: k for k, ex in enumerate(examples)}
    missing = [r for r in (row_a, row_b) if r not in by_row]
    if missing:
        raise KeyError(
            f"no row {', '.join(map(str, missing))} in the dataset ({len(examples)} rows, "
            f"numbered {examples[0].row if examples else 0}-{examples[-1].row if examples else 0})"
        )
    if row_a == row_b:
        raise ValueError("two different rows are needed")
    i, j = sorted((by_row[row_a], by_row[row_b]))
    ctx = ScanContext(examples=list(examples), embedder=make_embedder(settings, cache_dir, embedder))
    f = fields(ctx)
    sem = settings.contradiction.semantic
    req_cos = ans_cos = None
    if ctx.embedder is not None:
        emb = request_embeddings(ctx)
        req_cos = round(float(np.dot(emb[i], emb[j])), 4)
        if f.answer[i] and f.answer[j]:
            vecs = answer_embeddings(ctx, [i, j])
            ans_cos = round(float(np.dot(vecs[i], vecs[j])), 4)
    thr = sem.pair_thresholds()
    # as the scan judges: the lexical checks first; the answer cosine only settles answers
    # those leave open (same request, different words, no conflicting term); the answers of
    # two different requests are compared here too, though the scan needs no verdict on them
    jd = judge_pair(*f.pair(i, j), req_cos=req_cos, every_field=True, **thr)
    if needs_answer_cosine(jd) and ans_cos is not None:
        jd = judge_pair(*f.pair(i, j), req_cos=req_cos, ans_cos=ans_cos, every_field=True, **thr)
    request = _match(jd.request, "dup")
    answer = _match(jd.answer, "dup") if jd.answer is not None else None
    if jd.duplicate:  # the rules of the edge the duplicate graph would draw (an exact copy: dup.exact)
        exact = jd.request.kind == "exact" and (jd.answer is None or jd.answer.kind == "exact")
        dup_rules = [EXACT.id] if exact else list(duplicate_edge(i, j, jd).rules)
    else:
        dup_rules = request.rules + (answer.rules if answer else [])
    det = settings.contradiction
    identical = bool(f.request_core_norm[i]) and f.request_core_norm[i] == f.request_core_norm[j]
    why_not = ""
    if not (f.answer[i] and f.answer[j]):
        why_not = "a row has no answer: nothing to contradict"
    elif not jd.request.same:
        why_not = "the requests are not the same request"
    elif not identical and req_cos is not None and req_cos < min(sem.candidate_threshold, sem.request_related):
        why_not = f"request cosine {req_cos} is below the candidate threshold"
    steps: list[tuple[str, bool]] = []
    status = score = None
    reasons: list[str] = []
    contra_rules: list[dict] = []
    measured: dict = {}
    if not why_not:
        status, score, reasons, ev = det.assess(ctx, i, j, req_cos, trace=steps)
        contra_rules = ev.get("rules", [])
        measured = {k: v for k, v in ev.items() if k != "rules"}
    return Explanation(
        (f.rows[i], f.rows[j]),
        req_cos,
        ans_cos,
        request,
        answer,
        jd.duplicate,
        dup_rules,
        not why_not,
        why_not,
        steps,
        status,
        None if score is None else round(float(score), 4),
        list(reasons),
        contra_rules,
        measured,
    )


def explain_in_workspace(ws: Any, dataset: Any, row_a: int, row_b: int) -> Explanation:
    """``explain_pair`` on a stored dataset with its latest scan's settings (today's defaults
    when there is no scan, or one stored by another version), and that scan's findings on
    both rows. The command line and the app both call this."""
    from curation.scan import latest_settings

    e = explain_pair(ws.examples(dataset.id), row_a, row_b, latest_settings(ws, dataset.id), ws.cache_dir)
    e.findings = [
        {
            "finding_id": f.finding_id,
            "kind": f.kind,
            "rows": list(f.rows),
            "reason": f.reason,
            "rules": [r.get("id") for r in f.evidence.get("rules") or [] if isinstance(r, dict)],
        }
        for f in ws.findings(dataset.id)
        if row_a in f.rows and row_b in f.rows
    ]
    return e


def render(e: Explanation) -> str:
    """The explanation as lines a reviewer reads."""
    a, b = e.rows
    out = [
        f"rows {a} and {b}",
        f"  request cosine {e.request_cosine if e.request_cosine is not None else '-'}, "
        f"answer cosine {e.answer_cosine if e.answer_cosine is not None else '-'}",
        f"  request: {'same' if e.request.same else 'different'} ({e.request.kind}, {e.request.score})"
        + (f"; rules: {', '.join(e.request.rules)}" if e.request.rules else ""),
    ]
    if e.answer is not None:
        out.append(
            f"  answer: {'same' if e.answer.same else 'different'} ({e.answer.kind}, {e.answer.score})"
            + (f"; rules: {', '.join(e.answer.rules)}" if e.answer.rules else "")
        )
    out.append(
        f"duplicate: {'yes' if e.duplicate else 'no'}"
        + (f" ({', '.join(e.duplicate_rules)})" if e.duplicate_rules else "")
    )
    if not e.compared:
        out.append(f"contradiction: not assessed: {e.why_not_compared}")
    else:
        out.append("contradiction steps (in order; the first that decides gives the verdict):")
        for name, decided in e.steps:
            rid = f"contra.{name}"
            what = RULES[rid].description if rid in RULES else _STEP_TEXT.get(name, "")
            out.append(
                f"  {'->' if decided else '  '} {rid if rid in RULES else name}: "
                f"{'DECIDED' if decided else 'passed'} ({what})"
            )
        if e.evidence:
            out.append("  measured: " + "; ".join(f"{k} {v}" for k, v in e.evidence.items()))
        ids = ", ".join(r["id"] for r in e.contradiction_rules) or "-"
        out.append(
            f"contradiction verdict: {e.status} (score {e.score}; rules {ids})"
            + (f": {'; '.join(e.reasons)}" if e.reasons else "")
        )
        out.append("  flagged: " + ("yes" if e.status == "conflict" else "no"))
    for fnd in e.findings:
        out.append(f"latest scan: {fnd['finding_id']} ({fnd['kind']}, rows {fnd['rows']}): {fnd['reason']}")
    if not e.findings:
        out.append("latest scan: no finding names both rows")
    return "\n".join(out)
