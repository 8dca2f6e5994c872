"""What a copy of an example did to it, measured against the other members of its group.

Copies pick up damage: words around the request ("Hi! Quick question: ... Thanks!"), an
opener or label before the answer ("Sure!", "**Answer:**"), typos, lower-cased or shouted
text, stray markup and whitespace, an answer cut short. ``assess`` counts each kind per
member, relative to the group rather than to fixed expectations:

- containment: when one member is another plus inserted words, the longer request is
  wrapped, the longer answer has an opener (one run at its start) or a closing phrase (one
  at its end), an answer that is the start of another and stops mid-sentence was cut short,
  and one that lacks words said in several places is shorter;
- spelling: of two close spellings (one or two edits) at the same place in two
  near-identical members, the one fewer members use, or on a tie clearly fewer rows of the
  scan, is a typo, if it is rare outside the group (a word the data uses elsewhere is not);
- casing, on the words two near-identical members share at the same place: many words in
  capitals where the other has none is shouting; a sentence opened in lower case, or two
  words with fewer capitals, is lower-casing;
- per-text counts (markup, stray whitespace, greeting phrases, an unfinished last sentence)
  count only above the group's minimum, so what every member shares never decides.

Not judged: which of two equally clean rewordings is better, and casing or spelling between
members that say a thing differently (there it is style, not damage).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import combinations

from rapidfuzz.distance import OSA

from curation.detectors.boilerplate import strip_answer, strip_request

TERMINAL = (".", "!", "?", "`", ")", '"', "'", "”", "’", "*", "]")
RARE_OUTSIDE = 2  # a typo may recur in this many rows outside the group (people repeat typos)
NEAR_IDENTICAL = 0.6  # share of tokens two members must have in common to compare casing and spelling
MAX_PAIRWISE = 60  # larger groups get only the per-text counts (pairs grow quadratically)
MARKUP = re.compile(r"\*\*|__|`|^[ \t]*[>#]", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]", re.MULTILINE)
_TOKEN = re.compile(r"\w+|[^\w\s]")
_STRAY_SPACE = re.compile(r"[^\S\n]{2,}|[^\S\n]+\n|\n{3,}")


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
class Text:
    """A text with its tokens (casefolded and as written) and their offsets."""

    raw: str
    spans: list[tuple[int, int]]  # token offsets in ``raw``
    tokens: list[str]  # casefolded
    originals: list[str]  # as written

    @classmethod
    def of(cls, text: str) -> Text:
        raw = unicodedata.normalize("NFKC", text)
        found = list(_TOKEN.finditer(raw))
        return cls(raw, [m.span() for m in found], [m.group().casefold() for m in found], [m.group() for m in found])

    def starts(self, i: int) -> bool:
        """True when token ``i`` opens a sentence or a line."""
        return i == 0 or self.tokens[i - 1] in ".!?" or "\n" in self.raw[self.spans[i - 1][1] : self.spans[i][0]]

    def edge(self, i: int, j: int) -> bool:
        """True when tokens i..j-1 start or end the text, a line or a paragraph."""
        return self.starts(i) or j == len(self.tokens) or "\n" in self.raw[self.spans[j - 1][1] : self.spans[j][0]]

    def words(self) -> set[str]:
        return {t for t in self.tokens if len(t) >= 3 and t.isalpha()}

    def slice(self, a: int, b: int) -> str:
        """The raw text of tokens a..b-1."""
        return self.raw[self.spans[a][0] : self.spans[b - 1][1]] if b > a else ""


@dataclass
class Member:
    """One row of a group: its texts, and the damage found (kind -> count) with details."""

    row: int
    request: Text
    answer: Text
    defects: Counter = field(default_factory=Counter)
    notes: dict = field(default_factory=dict)  # kind -> detail shown to the reviewer
    cased: set = field(default_factory=set)  # ("caps" | "lower", "request" | "answer")
    sizes: dict = field(default_factory=dict)  # kind -> how the note was chosen
    spellings: set = field(default_factory=set)  # (word here, word at the same place elsewhere)


def assess(
    rows: Sequence[int], requests: Sequence[str], answers: Sequence[str], vocabulary: Vocabulary | None = None
) -> list[Member]:
    """The members of one group with their damage counted (see the module docstring)."""
    members = [Member(r, Text.of(q), Text.of(a)) for r, q, a in zip(rows, requests, answers)]
    if len(members) <= MAX_PAIRWISE:
        for a, b in combinations(members, 2):
            _compare(a, b)
        _typos(members, vocabulary)
    for m in members:
        m.defects.update(kind for kind, _ in m.cased)
    _per_text(members)
    return members


def _compare(a: Member, b: Member) -> None:
    parts = {part: (getattr(a, part), getattr(b, part)) for part in ("request", "answer")}
    ops = {
        part: SequenceMatcher(None, x.tokens, y.tokens, autojunk=False).get_opcodes() for part, (x, y) in parts.items()
    }
    near = _near(parts.values(), ops.values())
    for part, (x, y) in parts.items():
        if x.raw == y.raw:
            continue
        if near:
            _case(a, b, part, x, y, ops[part])
            pairs = _spellings(x, y, ops[part])
            a.spellings.update(pairs)
            b.spellings.update((q, p) for p, q in pairs)
        _added(
            b,
            a,
            part,
            [(i1, i2) for op, _, _, i1, i2 in ops[part] if op == "insert"]
            if all(op in ("equal", "insert") for op, *_ in ops[part])
            else [],
        )
        _added(
            a,
            b,
            part,
            [(i1, i2) for op, i1, i2, _, _ in ops[part] if op == "delete"]
            if all(op in ("equal", "delete") for op, *_ in ops[part])
            else [],
        )


def _near(texts: Iterable[tuple[Text, Text]], ops: Iterable[list]) -> bool:
    """True when two members share most tokens (request and answer together): copies, not
    two ways to say a thing (whose casing and word forms are style, not damage)."""
    matched = sum(i2 - i1 for part in ops for op, i1, i2, _, _ in part if op == "equal")
    return 2 * matched >= NEAR_IDENTICAL * sum(len(x.tokens) + len(y.tokens) for x, y in texts)


def _case(a: Member, b: Member, part: str, x: Text, y: Text, ops: list) -> None:
    """Casing of the words two near-identical texts share, in the same position (a word
    that opens a sentence in one text only is capitalised for that reason): many words in
    capitals where the other has none is shouting; a sentence opened in lower case, or two
    words with fewer capitals than the other's, is lower-casing."""
    pairs = [
        (p, q, x.starts(i))
        for op, i1, i2, j1, j2 in ops
        if op == "equal"
        for i, j, p, q in zip(range(i1, i2), range(j1, j2), x.originals[i1:i2], y.originals[j1:j2])
        if p != q and x.starts(i) == y.starts(j)
    ]
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


def _added(a: Member, b: Member, part: str, runs: list[tuple[int, int]]) -> None:
    """Damage visible because ``a`` is ``b`` with the token ``runs`` inserted."""
    t = getattr(a, part)
    wordy = [(i, j) for i, j in runs if has_word(t.tokens[i:j])]
    if part == "request":
        # words around the request (or a turn of it) wrap it; words inside it ask more
        if len(wordy) > 2 or not all(t.edge(i, j) for i, j in wordy):
            return
        # the note comes from the closest member (fewest inserted tokens): the wrapper itself
        size = (len(wordy), -sum(j - i for i, j in wordy))
        if wordy and size > a.sizes.get("wrapper", (0, 0)):
            a.defects["wrapper"], a.sizes["wrapper"] = size[0], size
            a.notes["wrapper"] = " … ".join(_quote(t.slice(i, j)) for i, j in wordy[:2])
        if (
            runs
            and runs[-1][1] == len(t.tokens)
            and not has_word(t.tokens[runs[-1][0] :])
            and not b.request.raw.rstrip().endswith(TERMINAL)
        ):
            b.defects["punct"] = 1
        return
    if not wordy:
        return
    (i, j), n = wordy[0], len(t.tokens)
    if len(wordy) > 1 or (i > 0 and j < n):  # more said in several places: the other says less
        b.defects["shorter"] = 1
    elif j == n and not b.answer.raw.rstrip().endswith(TERMINAL):  # b is a's start, unfinished
        b.defects["truncated"] = 1
    elif 2 * (j - i) >= n:  # more added than there was ("Furious." in a sentence): not a wrapper
        b.defects["shorter"] = 1
    elif i == 0:
        if (1, i - j) > a.sizes.get("prefix", (0, 0)):
            a.defects["prefix"], a.sizes["prefix"] = 1, (1, i - j)
            a.notes["prefix"] = _quote(t.slice(i, j))
    elif strip_answer("x " + t.slice(i, j)) == "x":
        a.defects["closer"] = 1
        a.notes["closer"] = _quote(t.slice(i, j))
    else:
        b.defects["shorter"] = 1


def _spellings(x: Text, y: Text, ops: list) -> list[tuple[str, str]]:
    """Words one text spells differently at the same place in the other: (x's, y's)."""
    return [
        (p, q)
        for op, i1, i2, j1, j2 in ops
        if op == "replace" and i2 - i1 == j2 - j1
        for p, q in zip(x.tokens[i1:i2], y.tokens[j1:j2])
        if _close(p, q)
    ]


def _close(p: str, q: str) -> bool:
    limit = 1 if min(len(p), len(q)) < 8 else 2  # "older" and "oldest" are two edits apart
    return (
        p.isalpha()
        and q.isalpha()
        and min(len(p), len(q)) >= 3
        and abs(len(p) - len(q)) <= limit
        and OSA.distance(p, q, score_cutoff=limit) <= limit
    )


def _typos(members: list[Member], vocabulary: Vocabulary | None) -> None:
    """Of two spellings met at the same place in two near-identical members, the one fewer
    members use (or, on a tie, clearly fewer rows of the scan) is a typo, if it is rare
    outside the group."""
    used = Counter(w for m in members for w in m.request.words() | m.answer.words())
    for m in members:
        found = []
        for w, v in sorted(m.spellings):
            if vocabulary is not None and vocabulary[w] - used[w] > RARE_OUTSIDE:
                continue  # the data uses this word elsewhere: a word, not a typo
            if used[v] > used[w] or (
                vocabulary is not None and used[v] == used[w] and vocabulary[v] > vocabulary[w] + RARE_OUTSIDE
            ):
                found.append((w, v))
        if found:
            m.defects["typo"] = len(found)
            m.notes["typo"] = ", ".join(f"“{w}” for “{v}”" for w, v in found[:3])


def _per_text(members: list[Member]) -> None:
    """Counts every member has on its own, kept only above the group's minimum."""
    counts = []
    for m in members:
        q, a = m.request.raw, m.answer.raw
        counts.append(
            {
                "markup": _markup(q) + _markup(a),
                "space": sum((t != t.strip()) + len(_STRAY_SPACE.findall(t.strip())) for t in (q, a)),
                "greeting": _stripped(q, strip_request) + _stripped(a, strip_answer),
                "incomplete": int(bool(a.strip()) and not a.rstrip().endswith(TERMINAL)),
            }
        )
    for kind in counts[0] if counts else ():
        low = min(c[kind] for c in counts)
        for m, c in zip(members, counts):
            if c[kind] > low:
                m.defects[kind] = max(m.defects[kind], c[kind] - low)


def _markup(text: str) -> int:
    """1 when ``text`` has emphasis, code, quote or heading markers, or one lone bullet (two
    or more bullets are a list, which structures an answer rather than decorating it)."""
    return int(bool(MARKUP.search(text)) or len(_BULLET.findall(text)) == 1)


def _stripped(text: str, stripper) -> int:
    """1 when boilerplate phrases (greetings, openers, sign-offs) open or close ``text``."""
    core = stripper(text)
    return int(bool(text.strip()) and len(_TOKEN.findall(core)) < len(_TOKEN.findall(text)))


def has_word(tokens: list[str]) -> bool:
    return any(t[0].isalnum() for t in tokens)


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"
