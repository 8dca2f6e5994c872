"""Which eval prompts are about data the decisions touched, and the comparison within each group.

An eval prompt is tagged with the finding kinds (``duplicate``, ``contradiction``...) of the
decisions that set its nearest training request: the training row whose user request is
most similar by TF-IDF cosine of words (names, numbers and rare words weigh most, so a
reworded question about one fact finds that fact's rows), when the similarity reaches
``MIN_SIMILARITY``. Prompts whose nearest row no decision touched, or that have no near row,
are ``untouched``. The report then compares the arms within each group: on a fact data set,
"prompts about the facts whose conflicts were fixed" vs "the rest".

A decision counts when it changed the data (drop, edit, pick, merge: the rows it dropped or
changed and the row it kept in their place); a ``keep`` that confirms rows as they are does
not. Its kind is that of the finding it names, or, for a decision that names no finding (a
resolution file may not), of every finding listing the row. The kinds then spread over the
rows flagged together (rows linked by findings, transitively): the question whose wrong
answer was dropped is "about a contradiction" in every wording the scan linked to it, also
where the nearest row of a prompt is a reworded copy that no decision changed.

Not handled: prompts about several facts at once (tagged by the nearest row only); a data set
whose findings link most rows into one group tags most prompts alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

UNTOUCHED = "untouched"
MIN_SIMILARITY = 0.3
_IGNORED_KINDS = ("coverage_gap", "leakage")


def touched_kinds(curated_rows: Iterable[Any], findings: Sequence[Any]) -> dict[int, set[str]]:
    """Source row -> the finding kinds of the decisions that changed it or a row flagged with
    it (``CuratedRow``s in; see the module doc)."""
    findings = [f for f in findings if f.kind not in _IGNORED_KINDS]
    kind = {f.finding_id: f.kind for f in findings}
    by_row: dict[int, set[str]] = defaultdict(set)
    parent: dict[int, int] = {}

    def root(r: int) -> int:
        while parent.setdefault(r, r) != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for f in findings:
        for r in f.rows:
            by_row[r].add(f.kind)
            parent[root(r)] = root(f.rows[0])
    direct: dict[int, set[str]] = defaultdict(set)
    for r in curated_rows:
        if r.row is None or r.decision is None or r.decision.action == "keep":
            continue
        fid = getattr(r.decision, "finding_id", None)
        direct[root(r.row)] |= {kind[fid]} if fid in kind else by_row.get(r.row, set())
    rows = set(parent) | {r.row for r in curated_rows if r.row is not None}
    return {r: set(direct[root(r)]) for r in rows if direct.get(root(r))}


def _prompt(item: Mapping[str, Any]) -> str:
    users = [m["content"] for m in item.get("messages", []) if m.get("role") == "user"]
    return users[-1] if users else ""


def tag_eval_items(
    items: Sequence[dict[str, Any]], requests: Mapping[int, str], kinds: Mapping[int, set[str]]
) -> list[dict[str, Any]]:
    """``items`` with ``finding_kinds`` (sorted list; ``[]`` = untouched) and ``nearest_row``.

    ``requests``: source row -> user request of each training row; ``kinds`` from
    ``touched_kinds``."""
    if not items:
        return []
    rows = list(requests)
    if not rows:
        return [{**it, "finding_kinds": [], "nearest_row": None} for it in items]
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [requests[r] for r in rows]
    vec = TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w+\b").fit(texts)
    train = vec.transform(texts)
    sims = vec.transform([_prompt(it) for it in items]) @ train.T
    out = []
    for i, it in enumerate(items):
        row_sims = sims.getrow(i)
        if row_sims.nnz and row_sims.max() >= MIN_SIMILARITY:
            best = rows[int(row_sims.toarray().argmax())]
            out.append({**it, "finding_kinds": sorted(kinds.get(best, ())), "nearest_row": best})
        else:
            out.append({**it, "finding_kinds": [], "nearest_row": None})
    return out


def groups(items: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    """Group name -> indices of ``items``: one group per finding kind, and ``untouched``."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        kinds = it.get("finding_kinds")
        if kinds is None:
            continue
        for k in kinds or [UNTOUCHED]:
            out[k].append(i)
    return dict(sorted(out.items()))
