"""Which row of a duplicate group to keep: the clean original, and why, in words.

Copies of one example pick up damage: words around the request ("Hi! Quick question: ...
Thanks!"), an opener or label before the answer ("Sure!", "**Answer:**"), typos, lower-cased
or shouted text, stray markup and whitespace, an answer cut short. Every signal is measured
against the other members of the group rather than against fixed expectations:

- containment: when one member's text is another's plus inserted words, the longer request
  is wrapped (greeting, sign-off, "Quick question:"), the longer answer has an opener
  (start) or a closing phrase (end), and a shorter answer that stops mid-sentence was cut
  short;
- spelling: of two close spellings (one or two edits) at the same place in two
  near-identical members, the one fewer members use, or on a tie clearly fewer rows of the
  whole scan, is a typo, if it is rare outside the group (a word the data uses elsewhere
  is not a typo);
- casing, on the words two near-identical members share: many words in capitals where the other has none
  is shouting, otherwise a word with fewer capitals than the other's lost them;
- per-text counts (markup markers, stray whitespace, greetings, an unfinished last
  sentence) count only above the group's minimum, so what every member shares never
  decides.

The row with the least weighted damage is kept, less one point per other member with the
same normalised text (a version the group repeats is the majority version); ties go to the
member most similar to the rest (the original is the one every copy was made from), then to
the lowest row. Not
handled: which of two equally clean rewordings is "right" (that is a reviewer's call), and
casing that differs on words only one member has.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import combinations
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from rapidfuzz.distance import OSA

from curation.detectors.boilerplate import strip_answer, strip_request
from curation.detectors.text import normalize

WEIGHTS = {"truncated": 3.0, "incomplete": 1.0, "wrapper": 1.0, "prefix": 1.5, "closer": 1.0, "shorter": 0.5,
           "typo": 1.0, "lower": 1.0, "caps": 2.5, "markup": 1.0, "greeting": 0.5, "punct": 0.5, "space": 0.5}
SUPPORT = 1.0  # taken off per other member with the same normalised request and answer
RARE_OUTSIDE = 2  # a typo may recur in this many rows outside the group (people repeat typos)
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
    "greeting": ("greets or signs off", "greet or sign off"),
    "punct": ("drops the final punctuation", "drop the final punctuation"),
    "space": ("adds stray spaces or line breaks", "add stray spaces or line breaks"),
}
TERMINAL = (".", "!", "?", "`", ")", '"', "'", "”", "’", "*", "]")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_MARKUP = re.compile(r"\*\*|__|`|^[ \t]*[>#]", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]", re.MULTILINE)
_STRAY_SPACE = re.compile(r"[^\S\n]{2,}|[^\S\n]+\n|\n{3,}")
NEAR_IDENTICAL = 0.6  # share of tokens two texts must have in common for their casing to compare
MAX_PAIRWISE = 60  # larger groups get only the per-text signals (pairs grow quadratically)


class Vocabulary:
    """How many rows of the scan use each word (request or answer), counted on first use."""

    def __init__(self, texts: Sequence[tuple[str, str]]) -> None:
        self._texts, self._df = texts, None

    def __getitem__(self, word: str) -> int:
        if self._df is None:
            self._df = Counter()
            for request, answer in self._texts:
                self._df.update(set(request.split()) | set(answer.split()))
        return self._df[word]


@dataclass
class _Text:
    raw: str
    spans: list[tuple[int, int]]  # token offsets in ``raw``
    tokens: list[str]  # casefolded
    originals: list[str]  # as written

    @classmethod
    def of(cls, text: str) -> _Text:
        raw = unicodedata.normalize("NFKC", text)
        found = list(_TOKEN.finditer(raw))
        return cls(raw, [m.span() for m in found], [m.group().casefold() for m in found],
                   [m.group() for m in found])

    def starts(self, i: int) -> bool:
        """True when token ``i`` opens a sentence or a line."""
        return i == 0 or self.tokens[i - 1] in ".!?" or "\n" in self.raw[self.spans[i - 1][1]:self.spans[i][0]]

    def edge(self, i: int, j: int) -> bool:
        """True when tokens i..j-1 start or end the text, a line or a paragraph."""
        return self.starts(i) or j == len(self.tokens) or "\n" in self.raw[self.spans[j - 1][1]:self.spans[j][0]]

    def words(self) -> set[str]:
        return {t for t in self.tokens if len(t) >= 3 and t.isalpha()}

    def slice(self, a: int, b: int) -> str:
        """The raw text of tokens a..b-1."""
        return self.raw[self.spans[a][0]:self.spans[b - 1][1]] if b > a else ""


@dataclass
class _Member:
    row: int
    request: _Text
    answer: _Text
    defects: Counter = field(default_factory=Counter)
    notes: dict = field(default_factory=dict)  # kind -> detail shown to the reviewer
    cased: set = field(default_factory=set)  # ("caps" | "lower", "request" | "answer")
    sizes: dict = field(default_factory=dict)  # kind -> how the note was chosen
    spellings: set = field(default_factory=set)  # (word here, word at the same place elsewhere)


def choose(rows: Sequence[int], requests: Sequence[str], answers: Sequence[str],
           vocabulary: Vocabulary | None = None) -> tuple[int, str]:
    """The index (into ``rows``) of the member to keep, and why, e.g. "the others add words
    around the request (row 51: "Hi! Quick question:" … "Thanks!"), are lower-cased (row 5)"."""
    members = [_Member(r, _Text.of(q), _Text.of(a)) for r, q, a in zip(rows, requests, answers)]
    if len(members) <= MAX_PAIRWISE:
        for a, b in combinations(members, 2):
            parts = {part: (getattr(a, part), getattr(b, part)) for part in ("request", "answer")}
            ops = {part: SequenceMatcher(None, x.tokens, y.tokens, autojunk=False).get_opcodes()
                   for part, (x, y) in parts.items()}
            near = _near(parts.values(), ops.values())
            for part, (x, y) in parts.items():
                if x.raw == y.raw:
                    continue
                if near:
                    _case(a, b, part, x, y, ops[part])
                    pairs = _spellings(x, y, ops[part])
                    a.spellings.update(pairs)
                    b.spellings.update((q, p) for p, q in pairs)
                _added(b, a, part, [(i1, i2) for op, _, _, i1, i2 in ops[part] if op == "insert"]
                       if all(op in ("equal", "insert") for op, *_ in ops[part]) else [])
                _added(a, b, part, [(i1, i2) for op, i1, i2, _, _ in ops[part] if op == "delete"]
                       if all(op in ("equal", "delete") for op, *_ in ops[part]) else [])
        _typos(members, vocabulary)
    for m in members:
        m.defects.update(kind for kind, _ in m.cased)
    _per_text(members)
    same = Counter((normalize(m.request.raw), normalize(m.answer.raw)) for m in members)
    scores = [sum(WEIGHTS[k] * v for k, v in m.defects.items())
              - SUPPORT * (same[normalize(m.request.raw), normalize(m.answer.raw)] - 1) for m in members]
    central = _centrality(members)
    best = min(range(len(members)), key=lambda i: (round(scores[i], 6), -central[i], members[i].row))
    return best, _explain(members, best, central)


def _near(texts, ops) -> bool:
    """True when two members share most tokens (request and answer together): copies, not
    two ways to say a thing (whose casing and word forms are style, not damage)."""
    matched = sum(i2 - i1 for part in ops for op, i1, i2, _, _ in part if op == "equal")
    return 2 * matched >= NEAR_IDENTICAL * sum(len(x.tokens) + len(y.tokens) for x, y in texts)


def _case(a: _Member, b: _Member, part: str, x: _Text, y: _Text, ops: list) -> None:
    """Casing of the words two near-identical texts share, in the same position (a word
    that opens a sentence in one text only is capitalised for that reason): many words in
    capitals where the other has none is shouting; a sentence opened in lower case, or two
    words with fewer capitals than the other's, is lower-casing."""
    pairs = [(p, q, x.starts(i)) for op, i1, i2, j1, j2 in ops if op == "equal"
             for i, j, p, q in zip(range(i1, i2), range(j1, j2), x.originals[i1:i2], y.originals[j1:j2])
             if p != q and x.starts(i) == y.starts(j)]
    for m, mine in ((a, 0), (b, 1)):
        ours = [(pair[mine], pair[1 - mine], pair[2]) for pair in pairs]
        shouts = sum(p.isupper() and len(p) > 1 and not q.isupper() for p, q, _ in ours)
        theirs = sum(q.isupper() and len(q) > 1 and not p.isupper() for p, q, _ in ours)
        lowered = [(start or p == "i") for p, q, start in ours if _capitals(p) < _capitals(q)]
        if shouts >= 3:
            m.cased.add(("caps", part))
        elif theirs < 3 and (any(lowered) or len(lowered) >= 2):
            m.cased.add(("lower", part))


def _capitals(token: str) -> int:
    return sum(ch.isupper() for ch in token)


def _added(a: _Member, b: _Member, part: str, runs: list[tuple[int, int]]) -> None:
    """Damage visible because ``a`` is ``b`` with the token ``runs`` inserted."""
    t = getattr(a, part)
    wordy = [(i, j) for i, j in runs if _has_word(t.tokens[i:j])]
    if part == "request":
        # words around the request (or a turn of it) wrap it; words inside it ask more
        if len(wordy) > 2 or not all(t.edge(i, j) for i, j in wordy):
            return
        # the note comes from the closest member (fewest inserted tokens): the wrapper itself
        size = (len(wordy), -sum(j - i for i, j in wordy))
        if wordy and size > a.sizes.get("wrapper", (0, 0)):
            a.defects["wrapper"], a.sizes["wrapper"] = size[0], size
            a.notes["wrapper"] = " … ".join(_quote(t.slice(i, j)) for i, j in wordy[:2])
        if runs and runs[-1][1] == len(t.tokens) and not _has_word(t.tokens[runs[-1][0]:]) \
                and not b.request.raw.rstrip().endswith(TERMINAL):
            b.defects["punct"] = 1
        return
    if not wordy:
        return
    (i, j), n = wordy[0], len(t.tokens)
    if len(wordy) > 1 or (i > 0 and j < n):  # more said in several places: the other says less
        b.defects["shorter"] = 1
    elif i == 0:
        if (1, i - j) > a.sizes.get("prefix", (0, 0)):
            a.defects["prefix"], a.sizes["prefix"] = 1, (1, i - j)
            a.notes["prefix"] = _quote(t.slice(i, j))
    elif not b.answer.raw.rstrip().endswith(TERMINAL):
        b.defects["truncated"] = 1
    elif strip_answer("x " + t.slice(i, j)) == "x":
        a.defects["closer"] = 1
        a.notes["closer"] = _quote(t.slice(i, j))
    else:
        b.defects["shorter"] = 1


def _spellings(x: _Text, y: _Text, ops: list) -> list[tuple[str, str]]:
    """Words one text spells differently at the same place in the other: (x's, y's)."""
    return [(p, q) for op, i1, i2, j1, j2 in ops if op == "replace" and i2 - i1 == j2 - j1
            for p, q in zip(x.tokens[i1:i2], y.tokens[j1:j2]) if _close(p, q)]


def _close(p: str, q: str) -> bool:
    limit = 1 if min(len(p), len(q)) < 8 else 2  # "older" and "oldest" are two edits apart
    return (p.isalpha() and q.isalpha() and min(len(p), len(q)) >= 3 and abs(len(p) - len(q)) <= limit
            and OSA.distance(p, q, score_cutoff=limit) <= limit)


def _typos(members: list[_Member], vocabulary: Vocabulary | None) -> None:
    """Of two spellings met at the same place in two near-identical members, the one fewer
    members use (or, on a tie, clearly fewer rows of the scan) is a typo, if it is rare
    outside the group."""
    used = Counter(w for m in members for w in m.request.words() | m.answer.words())
    for m in members:
        found = []
        for w, v in sorted(m.spellings):
            if vocabulary is not None and vocabulary[w] - used[w] > RARE_OUTSIDE:
                continue  # the data uses this word elsewhere: a word, not a typo
            if used[v] > used[w] or (vocabulary is not None and used[v] == used[w]
                                     and vocabulary[v] > vocabulary[w] + RARE_OUTSIDE):
                found.append((w, v))
        if found:
            m.defects["typo"] = len(found)
            m.notes["typo"] = ", ".join(f"“{w}” for “{v}”" for w, v in found[:3])


def _per_text(members: list[_Member]) -> None:
    """Counts every member has on its own, kept only above the group's minimum."""
    counts = []
    for m in members:
        q, a = m.request.raw, m.answer.raw
        counts.append({
            "markup": _markup(q) + _markup(a),
            "space": sum((t != t.strip()) + len(_STRAY_SPACE.findall(t.strip())) for t in (q, a)),
            "greeting": _stripped(q, strip_request) + _stripped(a, strip_answer),
            "incomplete": int(bool(a.strip()) and not a.rstrip().endswith(TERMINAL)),
        })
    for kind in counts[0] if counts else ():
        low = min(c[kind] for c in counts)
        for m, c in zip(members, counts):
            if c[kind] > low:
                m.defects[kind] = max(m.defects[kind], c[kind] - low)


def _markup(text: str) -> int:
    """1 when ``text`` has emphasis, code, quote or heading markers, or one lone bullet (two
    or more bullets are a list, which structures an answer rather than decorating it)."""
    return int(bool(_MARKUP.search(text)) or len(_BULLET.findall(text)) == 1)


def _stripped(text: str, stripper) -> int:
    """1 when boilerplate phrases (greetings, openers, sign-offs) open or close ``text``."""
    core = stripper(text)
    return int(bool(text.strip()) and len(_TOKEN.findall(core)) < len(_TOKEN.findall(text)))


def _centrality(members: list[_Member]) -> list[float]:
    """Summed token-set similarity to the other members (the original resembles every copy)."""
    if len(members) > MAX_PAIRWISE:
        return [0.0] * len(members)
    sets = [set(m.request.tokens) | set(m.answer.tokens) for m in members]
    return [sum(len(s & t) / max(1, len(s | t)) for t in sets if t is not s) for s in sets]


def _has_word(tokens: list[str]) -> bool:
    return any(t[0].isalnum() for t in tokens)


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f'“{text if len(text) <= limit else text[:limit - 1] + "…"}”'


def _explain(members: list[_Member], best: int, central: list[float]) -> str:
    """The others' damage relative to the kept row, grouped by kind, with rows and details."""
    keep = members[best]
    by_kind: dict[str, list[_Member]] = {}
    same, recased, reworded = [], [], []
    for m in members:
        if m is keep:
            continue
        kinds = [k for k in LABELS if m.defects[k] > keep.defects[k]]
        for kind, said in (("greeting", "wrapper"), ("greeting", "prefix"), ("incomplete", "truncated")):
            if kind in kinds and said in kinds:
                kinds.remove(kind)  # one damage, said once
        if "markup" in kinds and "prefix" in kinds and _MARKUP.search(m.notes.get("prefix", "").strip("“”")):
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
    own = [LABELS[k][0] for k in LABELS if keep.defects[k] and not any(keep.defects[k] <= m.defects[k]
                                                                      for m in members if m is not keep)]
    if own:
        text += f"; row {keep.row} is the least damaged, though it {', '.join(own)}"
    elif reworded and central[best] > max(c for i, c in enumerate(central) if i != best):
        text += f"; row {keep.row} is the closest to the rest"
    return text


def _rows(ms: list[_Member], kind: str, limit: int = 5) -> str:
    shown = ms[:limit]
    detail = kind and len(ms) <= 3
    parts = [f"row {m.row}" + (f": {m.notes[kind]}" if detail and kind in m.notes else "") for m in shown]
    more = f" and {len(ms) - limit} more" if len(ms) > limit else ""
    return "; ".join(parts) + more
