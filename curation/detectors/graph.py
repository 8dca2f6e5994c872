"""The duplicate graph: typed, scored edges -> union-find groups -> one finding per group.

Every group names a representative to keep, the clean original (see ``representative``
and ``damage``: no wrapper, typo, case damage, stray markup or cut-short answer the other
members lack), and says why, so a reviewer can merge with one click.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from curation.detectors.features import Fields
from curation.detectors.damage import TERMINAL, Vocabulary
from curation.detectors.representative import choose
from curation.detectors.rules import rule
from curation.schema import Finding

EDGE_STRENGTH = {"exact": 0, "near": 1, "semantic": 2}


@dataclass(frozen=True, slots=True)
class Edge:
    """Positions ``i < j`` in the scan's examples are duplicates of ``type`` with ``score``."""

    i: int
    j: int
    type: str  # exact | near | semantic
    score: float
    how: str = ""  # e.g. "answer cut short", "request reworded"
    rules: tuple[str, ...] = ()  # the ids of the rules that matched it (``DUP_RULES``)


EXACT = rule("dup.exact", "request and answer identical after normalisation (NFKC, casefold, punctuation, whitespace)")
_HOW = {
    "exact": "identical after normalisation",
    "near": "an edit-distance ratio of at least `near` with no number, name or polarity changed",
    "contained": "one text holds the other (a wrapper, or a copy cut short)",
    "semantic": "embedding cosine at or above the threshold with no number, name or "
    "polarity changed (for a request: also an identical specific answer)",
    "same claim": "the same short claim reworded",
    "judge": "the paraphrase judge model",
}
DUP_RULES = {
    f"{field}.{kind}": rule(f"dup.{field}_{kind.replace(' ', '_')}", f"the {field}s match: {how}")
    for field in ("request", "answer")
    for kind, how in _HOW.items()
    if not (field == "request" and kind == "same claim") and not (field == "answer" and kind == "judge")
}


def duplicate_edge(i: int, j: int, jd) -> Edge:
    """The edge for a pair judged a duplicate (a ``matching.PairJudgement``): typed by how
    its fields matched, scored by the weaker field."""
    kinds = {jd.request.kind} | ({jd.answer.kind} if jd.answer else set())
    etype = "exact" if kinds == {"exact"} else "semantic" if kinds & {"semantic", "same claim", "judge"} else "near"
    score = min(jd.request.score, jd.answer.score if jd.answer else 1.0)
    how = ", ".join(sorted(k for k in kinds if k != "exact")) or "identical"
    fields_ = [("request", jd.request)] + ([("answer", jd.answer)] if jd.answer else [])
    return Edge(i, j, etype, score, how, tuple(DUP_RULES[f"{name}.{rel.kind}"].id for name, rel in fields_))


class UnionFind:
    """Union-find with cannot-link constraints: two groups never merge if they hold a pair
    known to conflict (so a chain of near-duplicates cannot join two contradicting rows)."""

    def __init__(self, cannot_link: Iterable[tuple[int, int]] = ()) -> None:
        self.parent: dict[int, int] = {}
        self.members: dict[int, set[int]] = {}
        self.forbid: dict[int, set[int]] = defaultdict(set)
        for a, b in cannot_link:
            self.forbid[a].add(b)
            self.forbid[b].add(a)

    def find(self, x: int) -> int:
        if x not in self.parent:
            self.parent[x], self.members[x] = x, {x}
        root = x
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        """Merge the groups of ``a`` and ``b``; False if they are already one or may not merge."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        if any(self.forbid.get(m, set()) & self.members[big] for m in self.members[small]):
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.members[keep] = self.members[keep] | self.members.pop(gone)
        return True

    def groups(self) -> list[list[int]]:
        return sorted(sorted(m) for r, m in self.members.items() if len(m) > 1)


def best_edges(edges: Iterable[Edge]) -> dict[tuple[int, int], Edge]:
    """One edge per pair: the strongest type, then the highest score."""
    best: dict[tuple[int, int], Edge] = {}
    for e in edges:
        key = (min(e.i, e.j), max(e.i, e.j))
        old = best.get(key)
        if old is None or (EDGE_STRENGTH[e.type], -e.score) < (EDGE_STRENGTH[old.type], -old.score):
            best[key] = e
    return best


def representative(group: list[int], f: Fields, vocabulary: Vocabulary | None = None) -> tuple[int, str]:
    """The member to keep, and why ("the others add words around the request (row 51: ...)").
    ``vocabulary`` (word -> rows of the scan using it) settles typos the group cannot."""
    requests = [(f.embedded_request or f.request)[i] for i in group]
    answers = [f.answer[i] for i in group]
    at, why = choose([f.rows[i] for i in group], requests, answers, vocabulary)
    return group[at], why


def summary_anchor(group: list[int], f: Fields) -> int:
    """The member a group's detector, edge types and score are measured without: the longest
    complete answer, ties to the lowest row (the representative before ``representative``
    existed). Fixed on purpose: a finding's id hashes its detector, so a better choice of
    representative must not move ids (and the review state tied to them) or scores."""

    def rank(i: int) -> tuple:
        text = f.answer[i].strip() or f.request[i].strip()
        return not text.endswith(TERMINAL), -len(text), f.rows[i]

    return min(group, key=rank)


def _strength(e: Edge) -> tuple[int, float]:
    """How strong an edge is: its type, then its score at the precision a finding shows."""
    return EDGE_STRENGTH[e.type], -round(e.score, 4)


def _link_rank(e: Edge, m: int, rep: int, f: Fields) -> tuple:
    """Which of member ``m``'s edges a finding shows: the strongest, then the one to the
    representative, then the one to the lowest row."""
    other = e.j if e.i == m else e.i
    return *_strength(e), other != rep, f.rows[other]


def group_findings(
    edges: Iterable[Edge], f: Fields, thresholds: dict, cannot_link: Iterable[tuple[int, int]] = ()
) -> list[Finding]:
    """Union the edges (strongest first) into groups, one ``duplicate`` finding per group.

    Scores are compared at the precision a finding shows them (4 decimals): a cosine read
    from the memo and the same cosine computed afresh can differ in the last float bits, and
    two such near-ties must not order the unions, or choose the member a row is linked to,
    differently on a re-scan. Ties go to the representative, then to the lowest row."""
    best = best_edges(edges)
    uf = UnionFind(cannot_link)
    used = []
    for e in sorted(best.values(), key=lambda e: (*_strength(e), e.i, e.j)):
        if uf.union(e.i, e.j) or uf.find(e.i) == uf.find(e.j):
            used.append(e)
    by_member: dict[int, list[Edge]] = defaultdict(list)
    for e in used:
        by_member[e.i].append(e)
        by_member[e.j].append(e)
    findings = []
    vocabulary = Vocabulary(list(zip(f.request_norm, f.answer_norm)))  # counted only if a group asks
    for group in uf.groups():
        rep, why = representative(group, f, vocabulary)
        link = {m: min(by_member[m], key=lambda e, m=m: _link_rank(e, m, rep, f)) for m in group}
        members = []
        for m in group:
            if m != rep:
                e = link[m]
                members.append(
                    {
                        "row": f.rows[m],
                        "edge": e.type,
                        "similarity": round(e.score, 4),
                        "linked_to": f.rows[e.j if e.i == m else e.i],
                        "how": e.how,
                        "rules": list(e.rules),
                    }
                )
        anchor = summary_anchor(group, f)
        types = {link[m].type for m in group if m != anchor}
        weakest = max(types, key=EDGE_STRENGTH.__getitem__)
        detector = {"exact": "exact", "near": "minhash", "semantic": "semantic"}[weakest]
        score = min(round(link[m].score, 4) for m in group if m != anchor)
        rows = tuple(sorted(f.rows[m] for m in group))
        what = "prompt" if f.prompt_only else "request and answer"
        kinds = ", ".join(sorted(types, key=EDGE_STRENGTH.__getitem__))
        reason = (
            f"{len(group)} rows have the same {what} ({kinds} match); "
            f"keep row {f.rows[rep]} and drop the others: {why}."
        )
        why = f"kept row {f.rows[rep]}: {why}"
        findings.append(
            Finding(
                kind="duplicate",
                detector=detector,
                rows=rows,
                score=max(0.0, min(1.0, score)),
                reason=reason,
                evidence={
                    "representative": f.rows[rep],
                    "representative_reason": why,
                    "members": members,
                    "edge_types": sorted(types),
                    "thresholds": thresholds,
                    "rules": [
                        {"id": r, "links": n}
                        for r, n in sorted(Counter(r for m in group if m != rep for r in link[m].rules).items())
                    ],
                },
            )
        )
    return findings
