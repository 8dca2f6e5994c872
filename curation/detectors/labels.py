"""Short labels for groups of prompts, from the prompts' own words (class-based TF-IDF).

A coverage gap is a group of reference prompts; a reviewer needs two to four words that say
what the group asks about ("dark mode, theme", "export pdf"), not the words that happen to be
frequent everywhere ("explain", "full") nor words of a system prompt. Each group is one
class, and every other reference prompt together is one more; a term's weight in a class is
its share of the class's prompts times ``log(1 + A / df)``, where ``df`` is the number of
reference prompts (all classes) that use it and ``A`` the average class size: frequent in the
group, rare elsewhere. Terms are stop-word-free word stems and pairs of neighbouring words
("dark mode", "bullet points"), shown in their most frequent spelling; a pair is preferred to
its single word when it is nearly as frequent.
Only user turns are read. Not handled: stemming beyond English plurals; scripts written
without spaces (a run of over 24 letters is no word: such a group is named by its script or
its edge-case category).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from curation.detectors import text as tx
from curation.schema import Example

_SCRIPT = re.compile(r"[^\W\d_]", re.UNICODE)
_CLAUSE = re.compile(r"[.!?;:,()\[\]{}\"“”«»|/\n]+|\s[-–—]\s")
# words that carry no topic in a request, on top of the shared stop words: request fillers, and
# the most frequent function words of languages users often write in (a gap of Spanish prompts
# is not about 'de, la'; its script or the edge-case category 'Other languages' says that)
LABEL_STOPWORDS = tx.STOPWORDS | frozenset(
    (
        "tell give want need know hi hello hey ok okay pls plz yes yeah im i've ive dont id i'd i'll let "
        "something anything someone thing things kind sort lot bit able sure "
        # es
        "de la que el en y a los se del las un por con no una su para es al lo como más pero sus le ya o "
        "este sí porque esta entre cuando muy sobre también me hasta donde quien desde todo nos "
        "todos uno les ni otros ese eso esto mí antes yo otro otra él tanto esa estos mucho nada cual poco "
        "ella estar estas algo tiene puedo cómo qué mi te tu tus hola gracias "
        # de
        "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an "
        "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum "
        "haben nur oder aber vor zur bis mehr durch sein wurde ich du mein meine kann bitte was "
        # fr
        "le les et des du une est qui dans pas au sur ne ce il sont avec ou aux je "
        "vous nous mon ma mes comment quoi "
        # pt, it
        "o do da em um para com não no na mais as dos mas é di il che per è della non si da "
        # ru
        "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне "
        "было вот от меня еще нет о из ему когда даже ну ли если уже или ни быть был до вас там "
        "себя ничего ей может они тут где есть надо для мы тебя их чем была сам без чего тоже себе "
        "под будет кто этот того потому этого какой как можно при это эти"
    ).split()
)


def script_of(text: str) -> str:
    """A coarse script name for the letters of ``text`` (latin, cyrillic, cjk, ...)."""
    letters = _SCRIPT.findall(text)
    if not letters:
        return "symbols"
    counts = Counter()
    for ch in letters[:200]:
        cp = ord(ch)
        counts[
            "latin"
            if cp < 0x250
            else "cyrillic"
            if 0x400 <= cp < 0x530
            else "arabic"
            if 0x600 <= cp < 0x700
            else "devanagari"
            if 0x900 <= cp < 0x980
            else "thai"
            if 0xE00 <= cp < 0xE80
            else "hangul"
            if 0xAC00 <= cp < 0xD7B0
            else "cjk"
            if 0x3040 <= cp < 0xA000
            else "other"
        ] += 1
    return counts.most_common(1)[0][0]


def user_text(ex: Example) -> str:
    """What the user wrote: the user turns only (no system prompt, no assistant turn)."""
    return "\n".join(t.content for t in ex.turns if t.role == "user" and t.content)


def prompt_terms(text: str, stop: frozenset[str] = LABEL_STOPWORDS) -> Counter:
    """Term keys of one prompt (stems and stem pairs) -> a spelling seen for each, as a Counter
    of (key, spelling) so that callers can pick each key's most frequent spelling."""
    out: Counter = Counter()
    for clause in _CLAUSE.split(text):
        prev: tuple[str, str] | None = None
        for w in tx.words(clause):
            if w in stop or not 2 <= len(w) <= 24 or not any(ch.isalpha() for ch in w) or w.isdigit():
                prev = None  # pairs are neighbours: "dark mode", not "reset [my] password"
                continue
            key = tx.stem(w)
            out[(key, w)] += 1
            if prev is not None and prev[0] != key:
                out[(f"{prev[0]} {key}", f"{prev[1]} {w}")] += 1
            prev = (key, w)
    return out


def label_terms(
    groups: Sequence[Sequence[str]], rest: Iterable[str] = (), k: int = 4, stop: frozenset[str] = LABEL_STOPWORDS
) -> list[list[str]]:
    """Up to ``k`` terms per group of texts, best first (see the module docstring); ``rest``:
    the texts in no group, which make words common everywhere weigh little."""
    docs = [[prompt_terms(t, stop) for t in g] for g in groups]
    rest_docs = [prompt_terms(t, stop) for t in rest]
    df_all: Counter = Counter()
    spelling: Counter = Counter()
    for d in [x for g in docs for x in g] + rest_docs:
        df_all.update({key for key, _ in d})
        spelling.update(d)
    shown = {}
    for (key, w), _ in sorted(spelling.items(), key=lambda kv: (-kv[1], kv[0])):
        shown.setdefault(key, w)
    n_classes = len(groups) + (1 if rest_docs else 0)
    avg = (sum(len(g) for g in docs) + len(rest_docs)) / max(1, n_classes)
    return [_pick(g, df_all, avg, shown, k) for g in docs]


def _pick(group: list[Counter], df_all: Counter, avg: float, shown: dict[str, str], k: int) -> list[str]:
    if not group:
        return []
    keys = [{key for key, _ in d} for d in group]
    df = Counter(key for ks in keys for key in ks)
    # a term worth showing is shared: by two prompts at least, and by one in twenty of a big
    # group (a gap is often several themes: each theme's word should have its chance)
    need = 1 if len(group) < 3 else max(2, math.ceil(0.05 * len(group)))
    if not any(c >= need for c in df.values()):
        need = 1  # nothing shared at all: one term from each of a few prompts (below)
    weight = {t: c / len(group) * math.log(1 + avg / df_all[t]) for t, c in df.items() if c >= need}
    chosen: list[str] = []
    used: set[str] = set()
    shown_prompts: set[int] = set()
    for t in sorted(weight, key=lambda t: (-weight[t], t)):
        if " " not in t:  # a pair nearly as frequent as its word says more ("dark mode" over "dark")
            pairs = [p for p in weight if " " in p and t in p.split() and df[p] >= 0.6 * df[t]]
            t = max(pairs, key=lambda p: (df[p], weight[p], p), default=t)
        words = set(t.split())
        if t in chosen or words & used:
            continue
        where = {i for i, ks in enumerate(keys) if t in ks}
        if need == 1 and where <= shown_prompts:
            continue  # unshared terms: no two from one prompt, so the label is not one prompt's words
        chosen.append(t)
        used |= words
        shown_prompts |= where
        if len(chosen) == (min(k, 3) if need == 1 and len(group) > 1 else k):
            break
    return [shown.get(t, t) for t in chosen]


def group_label(texts: Sequence[str], terms: Sequence[str], k: int = 4) -> str:
    """The label of one group: its non-latin scripts (when a third of the group uses one) and
    its terms, at most ``k`` in all, comma-separated."""
    scripts = [
        s
        for s, c in Counter(script_of(t) for t in texts).most_common(2)
        if s not in ("latin", "symbols") and c >= len(texts) / 3
    ]
    parts = [f"{s} text" for s in scripts] + list(terms)[: max(0, k - len(scripts))]
    return ", ".join(parts)
