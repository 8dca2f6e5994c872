"""Field-aware pair judgements: is this the same request? the same answer? do they clash?

The duplicate and contradiction detectors both call these, so a pair can never be both a
duplicate (same request, same answer) and a contradiction (same request, answers that
assert different things). Lexical evidence comes first (cheap, explainable); an embedding
cosine, when given, only settles pairs the lexical checks leave open, and never overrides a
key-term conflict (a different number, named entity or polarity).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from curation.detectors import text as tx
from curation.detectors.rules import fired, rule_of, text_check

NUMBER_MISMATCH = text_check(
    "number_mismatch", "a number one text gives is missing from the other", "numbers differ ({numbers})"
)
NUMBER_ORDER = text_check(
    "number_order",
    "near-identical texts give their numbers in another order or change one whose digits appear elsewhere",
    "numbers differ (in order or value)",
)
NAME_MISMATCH = text_check(
    "name_mismatch",
    "a named term (name, e-mail or web address) one text gives is missing from the other",
    "names differ ({names})",
)
NEGATION = text_check("negation", "one short text is negated, the other is not", "one is negated")
WORD_CHANGE = text_check(
    "word_change",
    "content words swapped for others in otherwise matching short texts (wording: a cosine may still find them equal)",
    "different words ({a} / {b})",
)
NAME_SWAP = text_check("name_swap", "the same names in another order", "names swapped ({a} / {b})")
ROLE_SWAP = text_check(
    "role_swap",
    "two words trade places around a relation (convert miles to km / km to miles)",
    "roles swapped ({pairs})",
)
WORD_REPLACED = text_check(
    "word_replaced", "one word of a short text replaced by one the text already uses", "a word is replaced ({a} / {b})"
)
TEMPLATE_SLOT = text_check(
    "template_slot",
    "one template with other content in it (two questions built from the same wording)",
    "other content in the same wording ({a} / {b})",
)


_SPAN = 1200


@lru_cache(maxsize=100_000)
def _terms(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str], bool]:
    """(numbers, named terms, content words, has negation) of a text, memoised."""
    return tx.numbers(text), tx.named_terms(text), frozenset(tx.content_words(text)), tx.has_negation(text)


@lru_cache(maxsize=20_000)
def _index(pool: frozenset[str]) -> tuple[list[str], frozenset[str]]:
    """A pool's words sorted (for prefix search and rapidfuzz), and every short pool word
    with one letter dropped (so a short word missing a letter is found by lookup)."""
    dropped = frozenset(w[:k] + w[k + 1 :] for w in pool if len(w) <= 4 for k in range(len(w)))
    return sorted(pool), dropped


def fuzzy_in(word: str, pool: frozenset[str] | set[str]) -> bool:
    """True if ``word`` or a spelling variant is in ``pool``: 1-2 edits or a shared long prefix
    for words of 4+ letters; for shorter ones only a swap, a doubled or a dropped letter
    ('ni'/'in', 'caa'/'ca'), since a changed letter ('cat'/'car') makes another word."""
    if word in pool:
        return True
    pool = pool if isinstance(pool, frozenset) else frozenset(pool)
    words, dropped = _index(pool)
    if len(word) < 4:
        if len(word) < 2:
            return False
        swaps = (word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(len(word) - 1))
        drops = (word[:k] + word[k + 1 :] for k in range(len(word)))
        return word in dropped or any(w in pool for w in swaps) or any(w in pool for w in drops)
    k = bisect_left(words, word)  # a pool word that extends this one ('program' -> 'programs')
    if k < len(words) and words[k].startswith(word) and len(words[k]) - len(word) <= 4:
        return True
    if any(word[:n] in pool for n in range(max(4, len(word) - 4), len(word))):
        return True  # this word extends a pool word
    hit = process.extractOne(word, words, scorer=OSA.distance, score_cutoff=2)
    return bool(hit) and len(hit[0]) >= 4 and hit[1] <= (1 if min(len(word), len(hit[0])) < 8 else 2)


def unmatched(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> set[str]:
    """Words of ``a`` with no exact or fuzzy match in ``b``."""
    return {w for w in a if not fuzzy_in(w, b)}


def missing_names(names: frozenset[str], pool: frozenset[str]) -> set[str]:
    """Named terms with no match in ``pool``; a hyphenated name matches when all its parts
    do ("Port-au-Prince" is in "the capital is port au prince")."""
    return {w for w in unmatched(names, pool) if "-" not in w or not all(fuzzy_in(p, pool) for p in w.split("-") if p)}


def key_conflicts(
    a: str,
    b: str,
    one_way: bool = False,
    wording: bool = False,
    echo: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> list[str]:
    """Differences that change what a text asserts: numbers, named terms, negation and,
    with ``wording``, content words swapped for others (for texts that are otherwise equal).

    ``one_way``: only look for terms of ``a`` missing from ``b`` (``a`` is a cut-short or
    wrapped copy, so ``b`` may legitimately say more).
    ``echo``: (numbers, content words) the texts may repeat or leave out without asserting
    anything: the request's, when the texts are two answers to it ("The capital of Laos is
    Vientiane." / "The capital is Vientiane.").
    """
    na, ea, ca, ga = _terms(a)
    nb, eb, cb, gb = _terms(b)
    if echo[0] or echo[1]:
        na, nb = na - echo[0], nb - echo[0]
        ea, eb = frozenset(missing_names(ea, echo[1])), frozenset(missing_names(eb, echo[1]))
    out = []
    miss_num = na - nb if one_way else na ^ nb
    if miss_num:
        out.append(NUMBER_MISMATCH.hit(numbers=", ".join(sorted(miss_num)[:4])))
    miss_ent = missing_names(ea, cb | eb) | (set() if one_way else missing_names(eb, ca | ea))
    if miss_ent:
        out.append(NAME_MISMATCH.hit(names=", ".join(sorted(miss_ent)[:4])))
    short = len(ca) <= 25 and len(cb) <= 25  # a flipped or swapped word matters in a short text
    if short and (ga and not gb if one_way else ga != gb):
        out.append(NEGATION.hit())
    if wording and short:
        ua, ub = unmatched(ca, cb), (set() if one_way else unmatched(cb, ca))
        if ua and (ub or one_way):
            out.append(WORD_CHANGE.hit(a=", ".join(sorted(ua)[:3]), b=", ".join(sorted(ub)[:3])))
    return out


def _contiguous(needle: tuple, hay: tuple) -> bool:
    n = len(needle)
    return any(hay[k : k + n] == needle for k in range(len(hay) - n + 1)) if n else True


def order_conflicts(short: str, long: str, same_length: bool) -> list[str]:
    """Conflicts that sets miss in two near-identical texts: a number changed where the same
    digits appear elsewhere ('from 1 to 10' / 'from 3 to 10'), names swapped ('Jews beat
    Christians' / 'Christians beat Jews'), and in short texts of the same length, one word
    replaced by one the text already uses ('French are French' / 'French are unhygienic')."""
    out = []
    ns, nl = tx.number_sequence(short), tx.number_sequence(long)
    if ns and nl and ns != nl and not (not same_length and _contiguous(ns, nl)):
        out.append(NUMBER_ORDER.hit())
    es, el = _ordered_names(short), _ordered_names(long)
    if len(es) >= 2 and set(es) == set(el) and es != el:
        out.append(NAME_SWAP.hit(a=", ".join(es[:3]), b=", ".join(el[:3])))
    else:
        out += role_swaps(short, long)
    if same_length:
        ws, wl = Counter(tx.content_words(short)), Counter(tx.content_words(long))
        extra_s, extra_l = ws - wl, wl - ws
        if (
            max(sum(ws.values()), sum(wl.values())) <= 12
            and sum(extra_s.values()) == 1
            and sum(extra_l.values()) == 1
            and not _typos_only(extra_s, extra_l)
        ):
            out.append(WORD_REPLACED.hit(a=next(iter(extra_s)), b=next(iter(extra_l))))
    return out


def _ordered_names(text: str) -> list[str]:
    words = [tx.stem(w.casefold()) for w in re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*", text)]
    return list(dict.fromkeys(w for w in words if w not in tx.STOPWORDS))


def _typos_only(extra_a: Counter, extra_b: Counter) -> bool:
    """True when every surplus word on one side is a spelling variant of one on the other."""
    pool_b, pool_a = frozenset(extra_b), frozenset(extra_a)
    return all(fuzzy_in(w, pool_b) for w in extra_a) and all(fuzzy_in(w, pool_a) for w in extra_b)


def wording_only(conflicts: list[str]) -> bool:
    """True if no conflict is about numbers, names or negation (rewording may explain it)."""
    return all(rule_of(c) == WORD_CHANGE.id for c in conflicts)


_PARTIAL_WORD = re.compile(r"\w+$")


def cut_at_word(text: str, n: int) -> str:
    """``text[:n]`` without a word cut in two: the fragment ("Ame" of "the United States of
    America") would read as a name or a word the other text lacks."""
    if len(text) <= n:
        return text
    head = text[:n]
    return _PARTIAL_WORD.sub("", head) if _PARTIAL_WORD.match(text[n]) else head


def containment_ratio(short: str, long: str) -> float:
    """How well ``short`` matches some stretch of ``long`` (0..1). Short texts get rapidfuzz's
    partial_ratio; long ones (quadratic there) are aligned at the start and at the end of
    ``long``, which covers a cut-off copy and a copy with a wrapper before or after it."""
    if len(short) <= 200:
        return fuzz.partial_ratio(short, long) / 100.0
    n = len(short) + 20
    return max(fuzz.ratio(short, long[:n]), fuzz.ratio(short, long[-n:])) / 100.0


@dataclass(frozen=True, slots=True)
class Relation:
    """The outcome of comparing two fields.

    A scan holds one or two of these per candidate pair (hundreds of thousands at 50,000
    rows, also unpickled from the memo and from worker results), so they have slots and
    keep their conflicts in a tuple: 234 bytes per unpickled judgement against 657."""

    same: bool
    kind: str  # exact | near | contained | semantic | different | not compared
    score: float
    conflicts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if type(self.conflicts) is not tuple:
            object.__setattr__(self, "conflicts", tuple(self.conflicts))

    def __reduce__(self) -> tuple:
        # a slotted dataclass pickles through ``dataclasses.fields`` once per object: 2.7x
        # slower both ways, and the memo, the chunk journal and worker results pickle millions
        return (Relation, (self.same, self.kind, self.score, self.conflicts))


def compare_texts(
    a: str,
    b: str,
    a_norm: str,
    b_norm: str,
    cos: float | None = None,
    *,
    near: float = 0.85,
    contained: float = 0.9,
    semantic: float = 0.92,
    min_contained_words: int = 3,
    echo: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> Relation:
    """Same text up to normalisation, typos, a wrapper, truncation, or (with ``cos``) rewording;
    ``echo`` as in ``key_conflicts``."""
    if a_norm == b_norm:
        return Relation(True, "exact", 1.0)
    if not a_norm or not b_norm:
        return Relation(False, "different", 0.0)
    # edit-distance costs grow with length: long texts are compared on their first
    # ``_SPAN`` characters, which is where wrappers, typos and cut-offs show anyway
    a, b, a_norm, b_norm = cut_at_word(a, _SPAN), cut_at_word(b, _SPAN), a_norm[:_SPAN], b_norm[:_SPAN]
    ratio = fuzz.ratio(a_norm, b_norm) / 100.0
    (s, s_norm), (lng, lng_norm) = sorted(((a, a_norm), (b, b_norm)), key=lambda t: len(t[1]))
    lexical: list[str] = []
    if ratio >= near:
        # compare terms inside the shared span only: the longer text may be the uncut one
        conflicts = key_conflicts(s, lng, one_way=True, wording=True, echo=echo)
        conflicts += [
            c for c in key_conflicts(cut_at_word(lng, len(s) + 10), s, one_way=True, echo=echo) if c not in conflicts
        ]
        conflicts += order_conflicts(s, lng, same_length=len(s_norm) >= 0.9 * len(lng_norm))
        if not conflicts or not wording_only(conflicts) or cos is None:
            return Relation(not conflicts, "near", ratio, conflicts)
        lexical = conflicts
    if s_norm.count(" ") + 1 >= min_contained_words:
        part = containment_ratio(s_norm, lng_norm)
        if part >= contained:
            conflicts = key_conflicts(s, lng, one_way=True, wording=True, echo=echo)
            conflicts += order_conflicts(s, lng, same_length=False)
            if not conflicts or not wording_only(conflicts) or cos is None:
                return Relation(not conflicts, "contained", part, conflicts)
            lexical = conflicts
    if cos is not None and cos >= semantic:
        conflicts = key_conflicts(a, b, echo=echo) + role_swaps(a, b)
        return Relation(not conflicts, "semantic", float(cos), conflicts)
    return Relation(False, "different", max(ratio, float(cos or 0.0)), lexical)


_SWAP_TOKEN = re.compile(r"\w+(?:['’]\w+)?|[,;:/&]")
_COORDINATORS = frozenset({"and", "or", "nor", "vs", "versus", "plus", ",", "&", "/"})
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+\s+){1,3}?by\b", re.I)
SWAP_SHARED = 0.5  # share of the shorter text's tokens the alignment must match
SWAP_SPAN = 4  # tokens a changed span may hold on each side for its words to count as swapped


@dataclass(frozen=True)
class _SwapText:
    """What ``role_swaps`` reads of one text, computed once per text (a row's text is
    compared with each of its candidate partners): stemmed tokens (commas and slashes kept:
    they join lists), their surface forms, the tokens' counts, each swappable word's
    neighbours, and whether the sentence is passive."""

    tokens: tuple[str, ...]
    raw: tuple[str, ...]
    counts: Counter
    places: dict[str, list[tuple[str, str, int]]]
    passive: bool


@tx.text_cache
def _swap_text(text: str) -> _SwapText:
    raw = tuple(_SWAP_TOKEN.findall(text))
    tokens = tuple(tx.stem(t.casefold()) if t[0].isalnum() else t for t in raw)
    places: dict[str, list[tuple[str, str, int]]] = {}
    for i, t in enumerate(tokens):
        if _swappable(t):
            places.setdefault(t, []).append(
                (tokens[i - 1] if i else "^", tokens[i + 1] if i + 1 < len(tokens) else "$", i)
            )
    return _SwapText(tokens, raw, Counter(tokens), places, bool(_PASSIVE.search(text)))


def shared_count(a: Counter, b: Counter) -> int:
    """Tokens two texts have in common, counted with repeats: no alignment of the two token
    sequences can match more, so a cheap upper bound on ``SequenceMatcher``'s matches."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(min(n, large[t]) for t, n in small.items() if t in large)


def _swappable(t: str) -> bool:
    return t[0].isalnum() and t not in tx.STOPWORDS and (len(t) > 1 or t.isdigit())


def _coordinated(tokens: list[str], i: int, j: int) -> bool:
    """Words next to each other or joined by a coordinator ("GitHub and Bitbucket", a
    list): their order carries no meaning."""
    gap = tokens[min(i, j) + 1 : max(i, j)]
    return not gap or (len(gap) <= 3 and any(t in _COORDINATORS for t in gap))


@tx.pair_cache
def role_swaps(a: str, b: str) -> list[str]:
    """Two words that trade places between otherwise matching texts: "convert miles to km" /
    "convert km to miles", "returned to England through Scotland" / "... to Scotland through
    England". Sets of words (and embeddings) cannot see it; the two texts say different
    things. Found by aligning the token sequences: one changed span has x where the other
    text has y, and another changed span has y where the other has x (or, for neighbours the
    alignment reads as a move, each word sits between exactly the words the other sat
    between). Not a swap: coordinated words ("bending moment and shear force" / "shear force
    and bending moment"), a number against a word, and an active against a passive sentence
    ("The man is eating cereal" / "Cereal is being eaten by the man")."""
    xa, xb = _swap_text(a), _swap_text(b)
    if xa.passive != xb.passive:
        return []
    ta, sa, tb = xa.tokens, xa.raw, xb.tokens
    if shared_count(xa.counts, xb.counts) < SWAP_SHARED * min(len(ta), len(tb)):
        return []  # other texts (the alignment below could not match enough)
    found: dict[frozenset, tuple[str, str]] = {}  # what was swapped, as text a words it

    def keep(x: str, y: str, ia: int, ja: int, ib: int, jb: int, shown: tuple[str, str]) -> None:
        if x != y and x.isdigit() == y.isdigit() and not _coordinated(ta, ia, ja) and not _coordinated(tb, ib, jb):
            found.setdefault(frozenset(shown), tuple(sorted(shown)))

    sm = SequenceMatcher(None, ta, tb, autojunk=False)
    if sum(m.size for m in sm.get_matching_blocks()) < SWAP_SHARED * min(len(ta), len(tb)):
        return []  # other texts: words in common may sit anywhere
    spans = [
        (i1, i2, j1, j2)
        for op, i1, i2, j1, j2 in sm.get_opcodes()
        if op == "replace" and i2 - i1 <= SWAP_SPAN and j2 - j1 <= SWAP_SPAN
    ]
    for n, (i1, i2, j1, j2) in enumerate(spans):
        for p in range(i1, i2):
            x = ta[p]
            if not _swappable(x) or x in tb[j1:j2]:
                continue
            for q in range(j1, j2):
                y = tb[q]
                if not _swappable(y) or y in ta[i1:i2]:
                    continue
                for k1, k2, l1, l2 in spans[n + 1 :]:
                    if y in ta[k1:k2] and x in tb[l1:l2]:
                        # shown as the two changed spans of text a ("Nick Dakin / Geoff Barraclough")
                        shown = (
                            " ".join(w for w, t in zip(sa[i1:i2], ta[i1:i2]) if _swappable(t)),
                            " ".join(w for w, t in zip(sa[k1:k2], ta[k1:k2]) if _swappable(t)),
                        )
                        keep(x, y, p, ta.index(y, k1, k2), q, tb.index(x, l1, l2), shown)

    pa, pb = xa.places, xb.places
    once = sorted(w for w in pa if len(pa[w]) == 1 and len(pb.get(w, ())) == 1)
    for n, x in enumerate(once):
        (xl, xr, xi), (bxl, bxr, bxi) = pa[x][0], pb[x][0]
        for y in once[n + 1 :]:
            (yl, yr, yi), (byl, byr, byi) = pa[y][0], pb[y][0]
            if (xl, xr) == (byl, byr) and (yl, yr) == (bxl, bxr) and (xl, xr) != (yl, yr):
                keep(x, y, xi, yi, bxi, byi, (sa[xi], sa[yi]))
    if not found:
        return []
    return [ROLE_SWAP.hit(pairs="; ".join(f"{x} / {y}" for x, y in sorted(found.values())[:2]))]


def with_role_swaps(conflicts: list[str], a: str, b: str) -> list[str]:
    """``conflicts`` plus ``role_swaps(a, b)``, unless a swap is already among them."""
    if fired(conflicts, NAME_SWAP.id, ROLE_SWAP.id):
        return conflicts
    return conflicts + role_swaps(a, b)


@tx.text_cache
def _counts(text: str) -> Counter:
    """Counts of a text's words (see ``shared_count``)."""
    return Counter(tx.words(text))


SLOT_WORDS = 2  # content words each side of one changed span must hold that the other text lacks
SLOT_SHARED = 0.4  # share of the shorter text's words in runs the two texts have verbatim


@tx.pair_cache
def slot_conflicts(a: str, b: str) -> list[str]:
    """Requests built from one template with other content in it: "Given this review:
    "crashes on start" ... recommend this app?" / "Given this review: "battery drain" ...",
    or one premise with two hypotheses. The template makes their embeddings close; what
    differs is what is asked. Such a pair shares runs of words verbatim (at least
    ``SLOT_SHARED`` of the shorter text, in runs of 2+ words), and one changed span of
    content words holds, on each side, at least ``SLOT_WORDS`` words found nowhere in the
    other text. A rewording swaps words one here, one there ("add"/"generate" ...
    "following"/"starts with"): spans of one word."""
    wa, wb = tx.words(a), tx.words(b)
    if not wa or not wb:
        return []
    if shared_count(_counts(a), _counts(b)) < SLOT_SHARED * min(len(wa), len(wb)):
        return []  # the verbatim runs below cannot cover enough
    blocks = SequenceMatcher(None, wa, wb, autojunk=False).get_matching_blocks()
    if sum(m.size for m in blocks if m.size >= 2) < SLOT_SHARED * min(len(wa), len(wb)):
        return []
    ta, tb = tx.content_words(a), tx.content_words(b)
    ca, cb = frozenset(ta), frozenset(tb)
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        only_a, only_b = unmatched(set(ta[i1:i2]), cb), unmatched(set(tb[j1:j2]), ca)
        if len(only_a) >= SLOT_WORDS and len(only_b) >= SLOT_WORDS:
            return [TEMPLATE_SLOT.hit(a=", ".join(sorted(only_a)[:3]), b=", ".join(sorted(only_b)[:3]))]
    return []


def compare_requests(
    a: str,
    b: str,
    a_norm: str,
    b_norm: str,
    cos: float | None = None,
    *,
    semantic: float = 0.9,
    related: float = 0.8,
    why: bool = True,
) -> Relation:
    """Same request: as ``compare_texts``, or reworded: cosine >= ``semantic``, or cosine >=
    ``related`` when every content word of one request is in the other ("Name the capital
    city of Japan." / "Japan: what is its capital?"); never with a differing number or name.

    ``why=False``: a reworded pair that could not be the same request anyway (cosine below
    ``semantic``, content words on both sides the other lacks) comes back without the
    number, name, template and role checks that would only say what else differs: the
    relation's ``same`` is the same, its conflicts may be fewer. Seven in ten judged pairs
    with a cosine are such pairs."""
    rel = compare_texts(a, b, a_norm, b_norm, None, near=0.85, contained=0.92)
    if rel.same or cos is None or not wording_only(rel.conflicts):
        return rel
    if cos >= related:
        ca, cb = _terms(a)[2], _terms(b)[2]
        could = cos >= semantic or bool(ca and cb and (not unmatched(ca, cb) or not unmatched(cb, ca)))
        if not (could or why):
            return rel
        conflicts = key_conflicts(a, b) or slot_conflicts(a, b) or role_swaps(a, b)
        if conflicts:
            return Relation(False, "different", float(cos), conflicts)
        if could:
            return Relation(True, "semantic", float(cos))
    return rel


_VERDICT = {
    "yes": "yes",
    "no": "no",
    "true": "yes",
    "false": "no",
    "correct": "yes",
    "incorrect": "no",
    "right": "yes",
    "wrong": "no",
}


def verdict(answer: str) -> str | None:
    """'yes'/'no' when the answer opens with a verdict word, else None."""
    w = tx.words(answer[:40])
    return _VERDICT.get(w[0]) if w else None


def claim(answer: str, request: str) -> set[str]:
    """Content words of the answer that the request does not already contain: what the
    answer asserts ("The capital is Paris." and "Paris" both claim {paris})."""
    echo = set(tx.content_words(request))
    return {w for w in tx.content_words(answer) if not fuzzy_in(w, echo)}


def same_claim(a: str, b: str, request: str, max_words: int = 12) -> bool:
    """Short answers that assert the same thing: equal non-empty claims, same verdict, same
    numbers, same polarity (a reworded one-liner, not a different fact)."""
    if max(len(tx.words(a)), len(tx.words(b))) > max_words or key_conflicts(a, b):
        return False
    ca, cb = claim(a, request), claim(b, request)
    return bool(ca) and not unmatched(ca, cb) and not unmatched(cb, ca) and verdict(a) == verdict(b)


def negation_flip(a: str, b: str) -> bool:
    """One-sentence answers: one is negated, the other not ("No UFO has been shown to be
    alien" / "Many UFOs are alien"). Longer ones: a negated sentence in one answer whose
    counterpart in the other (the sentence sharing most of its content words, at least half)
    is not negated; "Prices don't include VAT." added to a price, or "If you don't see it,
    update the app." added to steps, flips nothing."""
    sa, sb = tx.sentences(a), tx.sentences(b)
    if len(sa) == 1 and len(sb) == 1:
        return tx.has_negation(a) != tx.has_negation(b)
    for one, other in ((sa, sb), (sb, sa)):
        words = [(set(tx.content_words(t)), tx.has_negation(t)) for t in other]
        for sentence in one:
            ws = set(tx.content_words(sentence))
            if not ws or not tx.has_negation(sentence):
                continue
            shared, negated = max(((len(ws & w), neg) for w, neg in words), default=(0, False))
            if shared >= 0.5 * len(ws) and not negated:
                return True
    return False


def same_answer_conflicts(a: str, b: str) -> list[str]:
    """What keeps two requests that got one identical, specific answer apart: other numbers,
    a name only one of them has ("How long does the Pro trial last?" asks about Pro), or a
    negated statement whose counterpart the other request states. A negation in a sentence
    of context ("I don't have a credit card. Can I use PayPal?") does not."""
    return [c for c in key_conflicts(a, b) if rule_of(c) != NEGATION.id] + (
        [NEGATION.hit()] if negation_flip(a, b) else []
    )


@lru_cache(maxsize=20_000)
def request_echo(a: str, b: str) -> tuple[frozenset[str], frozenset[str]]:
    """(numbers, content words) of two equivalent requests: an answer that repeats or leaves
    out "Laos" or "8" from "What is the capital of Laos?" / "3 to the power of 8" asserts
    nothing by it."""
    na, _, ca, _ = _terms(a)
    nb, _, cb, _ = _terms(b)
    return na | nb, ca | cb


@dataclass(frozen=True, slots=True)
class PairJudgement:
    """Both fields of a pair compared: ``duplicate`` needs the same request and answer;
    ``conflict_candidate`` is the same request with a different answer."""

    request: Relation
    answer: Relation | None  # None for prompt-only pairs

    def __reduce__(self) -> tuple:
        return (PairJudgement, (self.request, self.answer))  # see Relation.__reduce__

    @property
    def duplicate(self) -> bool:
        return self.request.same and (self.answer is None or self.answer.same)

    @property
    def conflict_candidate(self) -> bool:
        return self.request.same and self.answer is not None and not self.answer.same


NOT_COMPARED = Relation(False, "not compared", 0.0)  # the answers of two different requests


def judge_pair(
    req: tuple[str, str],
    req_norm: tuple[str, str],
    ans: tuple[str, str],
    ans_norm: tuple[str, str],
    req_cos: float | None = None,
    ans_cos: float | None = None,
    *,
    request_semantic: float = 0.9,
    request_related: float = 0.8,
    answer_semantic: float = 0.92,
    same_answer_request: float | None = None,
    same_answer_words: int = 6,
    every_field: bool = False,
) -> PairJudgement:
    """Compare two examples field by field (answers only when both have one).

    With ``same_answer_request``: requests at least this similar count as the same request
    when the answers are identical (after normalisation), at least ``same_answer_words``
    long, and the requests differ in no number or name (a reworded question with the
    answer copied word for word).

    With ``every_field`` (`curate explain`) both fields are compared in full. Else, where the
    identical-answer rule cannot apply: the answers of two different requests are not
    compared (their relation is ``NOT_COMPARED``: a duplicate needs the same request, and so
    does a contradiction), and two requests that cannot be the same are not searched for
    what else differs (``compare_requests(why=False)``). Nine in ten candidate pairs are
    different requests; their answers took half the time of judging them."""
    # the identical-answer rule's preconditions (identical normalised answers are an "exact"
    # answer relation): where they hold, the requests' conflicts decide it
    same_answer = (
        same_answer_request is not None
        and req_cos is not None
        and req_cos >= same_answer_request
        and ans_norm[0] == ans_norm[1]
        and ans_norm[0].count(" ") + 1 >= same_answer_words
    )
    full = every_field or not (ans[0] and ans[1]) or same_answer
    r = compare_requests(
        req[0], req[1], req_norm[0], req_norm[1], req_cos, semantic=request_semantic, related=request_related, why=full
    )
    if not (ans[0] or ans[1]):
        return PairJudgement(r, None)
    if not (r.same or full):
        return PairJudgement(r, NOT_COMPARED)
    echo = request_echo(req[0], req[1]) if r.same else (frozenset(), frozenset())
    a = compare_texts(ans[0], ans[1], ans_norm[0], ans_norm[1], ans_cos, semantic=answer_semantic, echo=echo)
    if (
        not r.same
        and same_answer
        and not fired(r.conflicts, NAME_SWAP.id, ROLE_SWAP.id, NUMBER_ORDER.id)
        and not slot_conflicts(req[0], req[1])
        and not same_answer_conflicts(req[0], req[1])
    ):
        r = Relation(True, "semantic", float(req_cos))
    if r.same and not a.same and wording_only(a.conflicts) and same_claim(ans[0], ans[1], req[0] + " " + req[1]):
        a = Relation(True, "same claim", 0.9)
    return PairJudgement(r, a)
