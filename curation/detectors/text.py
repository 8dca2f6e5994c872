"""Text normalization and light-weight lexical features shared by the detectors.

Everything here is pure Python + regex so that it is cheap on 50k rows. English-centric on
purpose: the stemmer and stopword list only fold the most common English variants. Text in
other languages still hashes and shingles fine; it just gets no stemming.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

T = TypeVar("T")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:\.\d+)?%?")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "above",
        "below",
        "up",
        "down",
        "out",
        "off",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "can",
        "will",
        "just",
        "should",
        "could",
        "would",
        "may",
        "might",
        "must",
        "shall",
        "s",
        "t",
        "don't",
        "doesn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "can't",
        "cannot",
        "won't",
        "i'm",
        "it's",
        "that's",
        "what's",
        "let's",
        "please",
        "thanks",
        "thank",
        "also",
        "get",
        "got",
        "one",
        "ones",
        "like",
        "really",
        "much",
        "many",
        "way",
        "ways",
        "now",
    ]
)
NEGATIONS = frozenset(
    [
        "no",
        "not",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "cannot",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "won't",
        "wouldn't",
        "shouldn't",
        "couldn't",
        "hasn't",
        "haven't",
        "hadn't",
        "without",
        "false",
        "incorrect",
    ]
)
_NUM_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
}


@lru_cache(maxsize=1)
def _punct_table() -> dict[int, str]:
    """Map every punctuation/symbol code point of the BMP to a space (str.translate table)."""
    return {cp: " " for cp in range(0x10000) if unicodedata.category(chr(cp))[0] in "PS"}


def normalize(text: str) -> str:
    """NFKC + casefold + punctuation to spaces + collapsed whitespace: the exact-dup key."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_punct_table())
    return _WS.sub(" ", text).strip()


def light_normalize(text: str) -> str:
    """NFKC + casefold + collapsed whitespace, punctuation kept (for char shingles)."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


_CACHED_TEXTS = 4096
_CACHED_CHARS = 2000


def text_cache(fn: Callable[..., T]) -> Callable[..., T]:
    """Keep ``fn``'s result for the last few thousand texts (or tuples of texts) of up to
    2,000 characters each. Pair judgement asks for the same texts' tokens again and again (a
    row sits in up to ten candidate pairs, and each pair's checks tokenise both texts several
    times); longer texts are recomputed, so the cache stays within tens of MB whatever the
    data. ``fn`` must return something its callers do not change."""
    cached = lru_cache(maxsize=_CACHED_TEXTS)(fn)

    @wraps(fn)
    def call(*texts: str) -> T:
        return cached(*texts) if all(len(t) <= _CACHED_CHARS for t in texts) else fn(*texts)

    return call


def pair_cache(fn: Callable[[str, str], list[T]]) -> Callable[[str, str], list[T]]:
    """``text_cache`` for a check of two texts that returns a list, each call given its own
    copy. One pair judgement runs some checks twice on the same two texts (for the request,
    then again among the conflicts; at 20,000 rows a third of ``matching.role_swaps`` calls
    repeated one just made)."""
    cached = text_cache(lambda a, b: tuple(fn(a, b)))

    @wraps(fn)
    def call(a: str, b: str) -> list[T]:
        return list(cached(a, b))

    return call


@text_cache
def _words(text: str) -> tuple[str, ...]:
    return tuple(w.replace("’", "'") for w in _WORD.findall(text.casefold()))


def words(text: str) -> list[str]:
    """Casefolded word tokens (apostrophes kept inside words)."""
    return list(_words(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A tiny plural folder: 'books'~'book', 'berries'~'berry', 'boxes'~'box'.

    Verb endings are left alone: stripping -ing/-ed without a dictionary merges more
    unrelated words than it folds related ones.
    """
    w = word.replace("'s", "")
    if len(w) <= 3 or not w.isascii():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "zes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


@text_cache
def _content_words(text: str) -> tuple[str, ...]:
    out = []
    for w in _words(text):
        if w in _NUM_WORDS:
            out.append(_NUM_WORDS[w])
        elif w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            out.append(stem(w))
    return tuple(out)


def content_words(text: str) -> list[str]:
    """Stemmed words that are not stopwords, with number words mapped to digits."""
    return list(_content_words(text))


def numbers(text: str) -> frozenset[str]:
    """Numbers written with digits or as common number words, canonicalised ('1,000' = '1000')."""
    found = {m.group().replace(",", "").rstrip("%").lstrip("+") for m in _NUMBER.finditer(text)}
    found.update(_NUM_WORDS[w] for w in words(text) if w in _NUM_WORDS and w != "one")
    return frozenset(found)


def number_sequence(text: str) -> tuple[str, ...]:
    """Digit numbers in order of appearance ('from 1 to 10' -> ('1', '10'))."""
    return tuple(m.group().replace(",", "").rstrip("%").lstrip("+") for m in _NUMBER.finditer(text))


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?![a-z])|(?<=;)\s+|\n+")  # not inside "U.S. is", "e.g. a"
_UNIT_SPELLINGS = {
    "second": "second seconds",
    "minute": "minute minutes min mins",
    "hour": "hour hours hr hrs",
    "day": "day days",
    "week": "week weeks",
    "month": "month months",
    "year": "year years",
    "decade": "decade decades",
    "century": "century centuries",
    "byte": "byte bytes",
    "bit": "bit bits",
    "kb": "kb",
    "mb": "mb",
    "gb": "gb",
    "tb": "tb",
    "kib": "kib",
    "mib": "mib",
    "gib": "gib",
    "millimeter": "mm",
    "centimeter": "cm",
    "meter": "m meter meters metre metres",
    "kilometer": "km kilometer kilometers kilometre kilometres",
    "inch": "inch inches",
    "foot": "foot feet ft",
    "yard": "yard yards",
    "mile": "mile miles",
    "milligram": "mg",
    "gram": "g gram grams",
    "kilogram": "kg kilogram kilograms",
    "pound": "lb lbs pound pounds",
    "ounce": "ounce ounces oz",
    "ton": "ton tons",
    "tonne": "tonne tonnes",
    "milliliter": "ml",
    "liter": "l liter liters litre litres",
    "gallon": "gallon gallons",
    "cup": "cup cups",
    "degree": "degree degrees",
    "celsius": "celsius",
    "fahrenheit": "fahrenheit",
    "kelvin": "kelvin",
    "cent": "cent cents",
    "dollar": "dollar dollars",
    "euro": "euro euros",
}
UNITS = {spelling: unit for unit, spellings in _UNIT_SPELLINGS.items() for spelling in spellings.split()}


def sentences(text: str) -> list[str]:
    """The text split after ., ! or ? before anything but a lowercase letter, after ; and at
    line breaks (empty parts dropped)."""
    return [s for s in (p.strip() for p in _SENTENCE.split(text)) if s]


def number_units(text: str) -> dict[str, str]:
    """Each digit number followed by a unit word, mapped to the unit ('72 hours' -> {'72': 'hours'})."""
    out = {}
    for m in _NUMBER.finditer(text):
        nxt = _WORD.match(text, m.end() + (1 if text[m.end() : m.end() + 1] in " -" else 0))
        if nxt and nxt.group().casefold() in UNITS:
            out[m.group().replace(",", "").rstrip("%").lstrip("+")] = nxt.group().casefold()
    return out


def same_unit(a: str, b: str) -> bool:
    """'hour'/'hours' and 'kg'/'kilograms' name the same unit; 'hours'/'days' do not."""
    return a == b or UNITS.get(a, a) == UNITS.get(b, b)


def has_negation(text: str) -> bool:
    """True if the text contains a negation word (not, never, no, can't, ...)."""
    return any(w in NEGATIONS for w in words(text))


_CAP = re.compile(
    r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'’-]*(?:[ \t]+(?:of[ \t]+|de[ \t]+|the[ \t]+)?[A-Z][\w'’-]*)*)", re.MULTILINE
)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
_COMPOUND = re.compile(r"\w+(?:['’-]\w+)*")
_IDENTIFIER = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|www\.\S+|"
    r"\b(?:[\w-]+\.)+(?:com|org|net|io|app|dev|ai|edu|gov|co|info|uk|de|fr)\b(?:/\S*)?",
    re.IGNORECASE,
)


def named_terms(text: str) -> frozenset[str]:
    """Capitalised words not at a sentence or line start (a cheap named-entity proxy),
    casefolded. A line start counts as a sentence start: a system prompt, a greeting on its
    own line or a list item begins with a capital without naming anything.

    Title Case text ("Where Can My Business Grow?") has no usable capitalisation signal.
    E-mail addresses, web addresses and domain names are named terms wherever they stand
    ("Email help@example.org." and "Email support@example.com." name different addresses).
    """
    ids = frozenset(m.group().rstrip(".,;:!?)'\"").casefold() for m in _IDENTIFIER.finditer(text))
    long_words = [w for w in _COMPOUND.findall(text)[1:] if len(w) > 3]  # "Port-au-Prince" is one word
    if len(long_words) >= 4 and sum(w[0].isupper() for w in long_words) >= 0.75 * len(long_words):
        return ids
    text = _INDENT.sub("", _IDENTIFIER.sub(" ", text))
    return ids | frozenset(
        stem(w.casefold()) for m in _CAP.finditer(text) for w in m.group(1).split() if w.casefold() not in STOPWORDS
    )


def char_shingles(text: str, n: int = 5) -> set[str]:
    """Character n-grams of the lightly normalised text (the whole text if shorter than n)."""
    t = light_normalize(text)
    if len(t) <= n:
        return {t} if t else set()
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def word_shingles(tokens: list[str], n: int = 3) -> set[tuple[str, ...]]:
    """Word n-grams (the token tuple itself if shorter than n)."""
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def jaccard(a: set, b: set) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def containment(a: set, b: set) -> float:
    """|a & b| / min(|a|, |b|): 1.0 when one set is inside the other (truncation, wrappers)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / min(len(a), len(b))


# the same quantity in another unit: "100 degrees Celsius" is "212 °F", "5 km" is "5000 m"
_SCALE = {  # unit -> (dimension, factor to the dimension's base unit)
    "millimeter": ("length", 0.001),
    "centimeter": ("length", 0.01),
    "meter": ("length", 1.0),
    "kilometer": ("length", 1000.0),
    "inch": ("length", 0.0254),
    "foot": ("length", 0.3048),
    "yard": ("length", 0.9144),
    "mile": ("length", 1609.344),
    "milligram": ("mass", 0.001),
    "gram": ("mass", 1.0),
    "kilogram": ("mass", 1000.0),
    "pound": ("mass", 453.592),
    "ounce": ("mass", 28.3495),
    "tonne": ("mass", 1e6),
    "milliliter": ("volume", 0.001),
    "liter": ("volume", 1.0),
    "gallon": ("volume", 3.78541),
    "second": ("time", 1.0),
    "minute": ("time", 60.0),
    "hour": ("time", 3600.0),
    "day": ("time", 86400.0),
    "week": ("time", 604800.0),
    "year": ("time", 31557600.0),
    "kb": ("data", 1e3),
    "mb": ("data", 1e6),
    "gb": ("data", 1e9),
    "tb": ("data", 1e12),
}
_TEMPERATURE = re.compile(
    r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(?:°|º|degrees?\s*|deg\s*)?\s*(celsius|fahrenheit|kelvin|c|f|k)\b", re.IGNORECASE
)
_QUANTITY = re.compile(r"(?<![\w.])(-?\d+(?:[.,]\d+)*)\s*-?\s*([a-zA-Z]+)")


def quantities(text: str) -> dict[str, tuple[str, float]]:
    """Each number with a unit, as (dimension, value in the dimension's base unit): Celsius
    for temperatures. Bare 'c', 'f' and 'k' count only after a degree sign or 'degrees'."""
    out: dict[str, tuple[str, float]] = {}
    for m in _TEMPERATURE.finditer(text):
        unit = m.group(2).casefold()
        if len(unit) == 1 and not re.search(r"°|º|deg", m.group(0), re.IGNORECASE):
            continue
        v = float(m.group(1))
        c = {
            "c": v,
            "celsius": v,
            "f": (v - 32) * 5 / 9,
            "fahrenheit": (v - 32) * 5 / 9,
            "k": v - 273.15,
            "kelvin": v - 273.15,
        }[unit]
        out[m.group(1)] = ("temperature", c)
    for m in _QUANTITY.finditer(text):
        unit = UNITS.get(m.group(2).casefold())
        number = m.group(1).replace(",", "")
        value = _digits_value(number) if unit in _SCALE and number not in out else None
        if value is not None:
            dim, factor = _SCALE[unit]
            out[number] = (dim, value * factor)
    return out


_DOT_THOUSANDS = re.compile(r"-?\d{1,3}(?:\.\d{3}){2,}")


def _digits_value(number: str) -> float | None:
    """The value of a digit string with its commas removed: "17.000.000" (dots between
    thousands, as in Spanish or German) is 17 million; None when it reads as no number
    ("1.2.3", a version or a date)."""
    try:
        return float(number)
    except ValueError:
        return float(number.replace(".", "")) if _DOT_THOUSANDS.fullmatch(number) else None


def converted(a: str, b: str, tolerance: float = 0.02) -> frozenset[str]:
    """The numbers of ``a`` whose quantity ``b`` states in another unit (within 2%)."""
    qa, qb = quantities(a), quantities(b)
    return frozenset(
        n
        for n, (dim, v) in qa.items()
        if any(d == dim and abs(v - w) <= tolerance * max(abs(v), abs(w), 1e-9) for d, w in qb.values())
    )


_ITEM_SPLIT = re.compile(r"\s*(?:\n+|[,;]|\s\u2022\s)\s*(?:(?:[-*\u2022]|\d+[.)])\s*)?")


def list_items(text: str) -> list[str]:
    """The items of an answer that is a list ("Spain, Sweden, Sudan", one item a line, bullets
    or numbers); [] when it reads as prose (fewer than 3 items, or items of more than 6 words)."""
    items = [i for i in (p.strip(" .-*\u2022") for p in _ITEM_SPLIT.split(text.strip())) if i]
    if len(items) < 3 or sorted(len(words(i)) for i in items)[len(items) // 2] > 6:
        return []
    return items
