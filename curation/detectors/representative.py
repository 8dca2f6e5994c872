"""Which row of a duplicate group to keep: the clean original, and why, in words.

Each member's damage is counted by ``damage.assess`` (wrappers, openers, typos, casing,
markup, whitespace, cut-short answers, measured against the group). The row with the least
weighted damage is kept, less one point per other member with the same normalised text (a
version the group repeats is the majority version); ties go to the member most similar to
the rest (the original is the one every copy was made from), then to the lowest row. The
reason lists what the others did, kind by kind, with their rows and the words involved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from curation.detectors.damage import MARKUP, MAX_PAIRWISE, Member, Vocabulary, assess
from curation.detectors.text import normalize

WEIGHTS = {
    "truncated": 3.0,
    "incomplete": 1.0,
    "wrapper": 1.0,
    "prefix": 1.5,
    "closer": 1.0,
    "shorter": 0.5,
    "typo": 1.0,
    "lower": 1.0,
    "caps": 2.5,
    "markup": 1.0,
    "greeting": 0.5,
    "punct": 0.5,
    "space": 0.5,
}
SUPPORT = 1.0  # taken off per other member with the same normalised request and answer
LABELS = {  # kind -> what "the other(s)" do, singular and plural
    "truncated": ("cuts the answer short", "cut the answer short"),
    "incomplete": ("does not end like a finished sentence", "do not end like a finished sentence"),
    "wrapper": ("adds words around the request", "add words around the request"),
    "prefix": ("puts words before the answer", "put words before the answer"),
    "closer": ("adds a closing phrase to the answer", "add a closing phrase to the answer"),
    "shorter": ("has a shorter answer", "have shorter answers"),
    "typo": ("misspells words", "misspell words"),
    "lower": ("is lower-cased", "are lower-cased"),
    "caps": ("is in capitals", "are in capitals"),
    "markup": ("adds markup", "add markup"),
    "greeting": ("adds a greeting, sign-off or polite phrase", "add a greeting, sign-off or polite phrase"),
    "punct": ("drops the final punctuation", "drop the final punctuation"),
    "space": ("adds stray spaces or line breaks", "add stray spaces or line breaks"),
}


def choose(
    rows: Sequence[int], requests: Sequence[str], answers: Sequence[str], vocabulary: Vocabulary | None = None
) -> tuple[int, str]:
    """The index (into ``rows``) of the member to keep, and why, e.g. "the others add words
    around the request (row 51: “Hi! Quick question:” … “Thanks!”), are lower-cased (row 5)"."""
    members = assess(rows, requests, answers, vocabulary)
    same = Counter((normalize(m.request.raw), normalize(m.answer.raw)) for m in members)
    scores = [
        sum(WEIGHTS[k] * v for k, v in m.defects.items())
        - SUPPORT * (same[normalize(m.request.raw), normalize(m.answer.raw)] - 1)
        for m in members
    ]
    central = _centrality(members)
    best = min(range(len(members)), key=lambda i: (round(scores[i], 6), -central[i], members[i].row))
    return best, _explain(members, best, central)


def _centrality(members: list[Member]) -> list[float]:
    """Summed token-set similarity to the other members (the original resembles every copy)."""
    if len(members) > MAX_PAIRWISE:
        return [0.0] * len(members)
    sets = [set(m.request.tokens) | set(m.answer.tokens) for m in members]
    return [sum(len(s & t) / max(1, len(s | t)) for t in sets if t is not s) for s in sets]


def _explain(members: list[Member], best: int, central: list[float]) -> str:
    """The others' damage relative to the kept row, grouped by kind, with rows and details."""
    keep = members[best]
    by_kind: dict[str, list[Member]] = {}
    same, recased, reworded = [], [], []
    for m in members:
        if m is keep:
            continue
        kinds = [k for k in LABELS if m.defects[k] > keep.defects[k]]
        for kind, said in (("greeting", "wrapper"), ("greeting", "prefix"), ("incomplete", "truncated")):
            if kind in kinds and said in kinds:
                kinds.remove(kind)  # one damage, said once
        if "markup" in kinds and "prefix" in kinds and MARKUP.search(m.notes.get("prefix", "").strip("“”")):
            kinds.remove("markup")
        for k in kinds:
            by_kind.setdefault(k, []).append(m)
        if not kinds:
            if (m.request.raw, m.answer.raw) == (keep.request.raw, keep.answer.raw):
                same.append(m)
            elif (m.request.tokens, m.answer.tokens) == (keep.request.tokens, keep.answer.tokens):
                recased.append(m)
            else:
                reworded.append(m)
    plural = len(members) > 2
    clauses = [f"{LABELS[k][plural]} ({_rows(ms, k)})" for k, ms in by_kind.items()]
    if same:
        clauses.append(f"{'are identical' if plural else 'is identical'} ({_rows(same, '')})")
    if recased:
        clauses.append(f"{'differ' if plural else 'differs'} only in case or spacing ({_rows(recased, '')})")
    if reworded:
        clauses.append(f"{'are worded differently' if plural else 'is worded differently'} ({_rows(reworded, '')})")
    text = ("the others " if plural else "the other ") + ", ".join(clauses)
    own = [
        LABELS[k][0]
        for k in LABELS
        if keep.defects[k] and not any(keep.defects[k] <= m.defects[k] for m in members if m is not keep)
    ]
    if own:
        text += f"; row {keep.row} is the least damaged, though it {', '.join(own)}"
    elif reworded and central[best] > max(c for i, c in enumerate(central) if i != best):
        text += f"; row {keep.row} is the closest to the rest"
    return text


def _rows(ms: list[Member], kind: str, limit: int = 5) -> str:
    shown = ms[:limit]
    detail = kind and len(ms) <= 3
    parts = [f"row {m.row}" + (f": {m.notes[kind]}" if detail and kind in m.notes else "") for m in shown]
    more = f" and {len(ms) - limit} more" if len(ms) > limit else ""
    return "; ".join(parts) + more
