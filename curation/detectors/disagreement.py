"""Disagreements: the pairwise contradictions about one fact, gathered for one review.

The contradiction detector reports pairs (the findings contract scores pairs), but one
outdated fact taught by a dozen rows gives a dozen pairs, each asked a little differently.
A reviewer decides the fact once. Two conflicting pairs belong to one disagreement when
they share a row, or when each side asserts the same values in both pairs (the same
figures, verdict or names: "$11 per user per month" against "$14 per user per month") and
they are about the same thing (see ``group``). Pairs whose sides assert nothing comparable
(a claim-word difference) stay a disagreement of their own.

Each row of a disagreement gets a *side*: the values its answer asserts in the conflict.
Rows with the same side agree, so the review shows each side once, with its rows.
Not handled: more than two sides on one fact are shown, but nothing ranks them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from curation.detectors import text as tx
from curation.detectors.graph import UnionFind
from curation.detectors.matching import request_echo, verdict

Side = tuple[frozenset[str], str | None, frozenset[str]]  # (numbers, verdict, names) an answer asserts


@dataclass(frozen=True)
class Conflict:
    """One conflicting pair (positions in the scanned data) with what each side asserts."""

    i: int
    j: int
    side_i: Side
    side_j: Side

    @property
    def informative(self) -> bool:
        return any(self.side_i[0::2] + self.side_j[0::2]) or bool(self.side_i[1] and self.side_j[1])

    def key(self) -> frozenset[Side]:
        return frozenset((self.side_i, self.side_j))


def sides(answer_a: str, answer_b: str, request_a: str, request_b: str) -> tuple[Side, Side]:
    """What each of two conflicting answers asserts that the other does not."""
    echo, _ = request_echo(request_a, request_b)
    na, nb = tx.numbers(answer_a) - echo, tx.numbers(answer_b) - echo
    va, vb = verdict(answer_a), verdict(answer_b)
    same_verdict = va == vb
    asked = tx.named_terms(request_a) | tx.named_terms(request_b) | set(tx.content_words(request_a + " " + request_b))
    ta, tb = tx.named_terms(answer_a) - asked, tx.named_terms(answer_b) - asked
    da, db = frozenset(na - nb), frozenset(nb - na)
    va, vb = (None, None) if same_verdict else (va, vb)
    if da or db or va or vb:  # figures and verdicts are what the answers assert: the names around them vary
        return (da, va, frozenset()), (db, vb, frozenset())
    return (da, va, frozenset(ta - tb)), (db, vb, frozenset(tb - ta))


def group(
    conflicts: Sequence[Conflict],
    request_cosine: Callable[[int, int], float],
    answer_cosine: Callable[[int, int], float],
    related: float = 0.3,
    aligned: float = 0.55,
) -> list[list[Conflict]]:
    """Conflicts gathered into disagreements (see the module doc), largest first.

    Two conflicts with the same sides join when their requests or their aligned answers (the
    two answers of one side, then of the other) are similar: a shared figure pair is specific
    to a fact, so ``related`` (either cosine) suffices; a bare verdict or name pair says less
    about which fact it is, so those join only when the aligned answers agree (``aligned``)."""
    uf = UnionFind()
    for n, c in enumerate(conflicts):
        uf.find(n)
        for r in (c.i, c.j):  # rows are nodes too, numbered after the conflicts
            uf.union(n, len(conflicts) + r)
    by_key: dict[frozenset, list[int]] = defaultdict(list)
    for n, c in enumerate(conflicts):
        if c.informative:
            by_key[c.key()].append(n)
    for members in by_key.values():
        for k, a in enumerate(members):
            for b in members[k + 1 :]:
                if uf.find(a) != uf.find(b) and _related(
                    conflicts[a], conflicts[b], request_cosine, answer_cosine, related, aligned
                ):
                    uf.union(a, b)
    groups: dict[object, list[Conflict]] = defaultdict(list)
    for n, c in enumerate(conflicts):
        groups[uf.find(n)].append(c)
    return sorted(groups.values(), key=lambda g: (-len(g), min(min(c.i, c.j) for c in g)))


def _related(
    a: Conflict,
    b: Conflict,
    req: Callable[[int, int], float],
    ans: Callable[[int, int], float],
    related: float,
    aligned: float,
) -> bool:
    other = {b.side_i: b.i, b.side_j: b.j}
    answers = (ans(a.i, other[a.side_i]) + ans(a.j, other[a.side_j])) / 2
    if a.side_i[0] or a.side_j[0]:  # figures: specific to a fact
        return max(answers, max(req(x, y) for x in (a.i, a.j) for y in (b.i, b.j))) >= related
    return answers >= aligned


def describe(conflicts: Sequence[Conflict], rows: Sequence[int], answers: Sequence[str]) -> dict:
    """What the findings of one disagreement share: a stable id, its number of rows, and each
    row's side label (rows that assert the same values share one). Each finding carries the
    labels of its own two rows only (see ``pair_sides``); the review item that gathers a
    disagreement's findings has every row's. Repeating the whole disagreement in each of its
    findings grew a scan's findings with the square of its size (a 200,000-row set: 3.2 GB of
    contradiction findings, up to 217 KB each)."""
    side_of: dict[int, Side] = {}
    for c in conflicts:
        side_of.setdefault(c.i, c.side_i)
        side_of.setdefault(c.j, c.side_j)
    labels: dict[Side, str] = {}
    for pos in sorted(side_of):
        s = side_of[pos]
        if s not in labels:
            labels[s] = _label(s, answers[pos]) or f"answer of row {rows[pos]}"
    members = sorted(rows[p] for p in side_of)
    key = hashlib.sha1(",".join(map(str, members)).encode()).hexdigest()[:12]
    return {
        "disagreement": f"dis-{key}",
        "disagreement_size": len(members),
        "sides": {str(rows[p]): labels[s] for p, s in sorted(side_of.items())},
    }


def pair_sides(shared: dict, pair_rows: Sequence[int]) -> dict:
    """One finding's share of ``describe``: the disagreement's id and size, and the side
    labels of the finding's own rows."""
    return {**shared, "sides": {str(r): shared["sides"][str(r)] for r in pair_rows}}


def _label(side: Side, answer: str) -> str:
    from curation.detectors.contradiction import number_phrase

    numbers, verdict_, names = side
    parts = ([verdict_] if verdict_ else []) + [number_phrase(answer, n) for n in sorted(numbers)[:3]]
    return ", ".join(parts + sorted(names)[:3])


def cosine_fn(embeddings) -> Callable[[int, int], float]:
    """Cosine of two positions' unit vectors (an array or a dict of rows); 0 without vectors."""
    if embeddings is None:
        return lambda i, j: 0.0
    return lambda i, j: float(np.dot(embeddings[i], embeddings[j]))
