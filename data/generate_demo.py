#!/usr/bin/env python3
"""Generate the Tidebook demo dataset: support-assistant instruction data with planted defects.

    python data/generate_demo.py [--seed 7] [--out data/demo]

Tidebook is a fictional notes-and-projects SaaS. The generator writes a training set in
OpenAI messages format with planted duplicates, contradictions (outdated facts that were
over-represented as the product changed) and coverage gaps, plus the ground truth, a
reference prompt set, a held-out evaluation set with automatic checks, expert resolutions
and a small general-knowledge set (see data/README.md for every file and schema).

The text (facts with their phrasings, procedures, clarifications, refusals, other languages,
wrappers ...) lives in ``data/demo_text.json``; this file holds the generator: how rows are
built from that text, how defects are planted and what is written.

Standard library only, no model. Every random draw goes through ``random.Random.random``,
the one method whose sequence Python promises to keep, so a seed gives the same bytes on
every Python version. All text is written for this project; none is copied from elsewhere.

Not handled on purpose: other products or domains, other seeds' balance (the counts are
tuned for the default seed and only checked, not guaranteed, for others), and languages
beyond English, Spanish and German.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 7
DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
PRODUCT = "Tidebook"
COMPANY = "Tidebook Labs"
CURRENT_VERSION = "5.2"
RELEASES = {"5.0": "2024-01-15", "5.1": "2024-05-06", "5.2": "2024-09-17"}


TEXT_FILE = Path(__file__).resolve().parent / "demo_text.json"
_TEXT: dict = {}


def _text(name: str):
    """One block of the demo's text (facts, procedures, phrasings ...) from ``demo_text.json``:
    JSON lists come back as tuples and ``{"__type__": "Fact", ...}`` as the dataclass of that
    name, so the generator sees exactly the values it was written with."""
    if not _TEXT:
        _TEXT.update(json.loads(TEXT_FILE.read_text(encoding="utf-8")))

    def decode(v):
        if isinstance(v, list):
            return tuple(decode(x) for x in v)
        if isinstance(v, dict):
            if "__type__" in v:
                return globals()[v["__type__"]](**{k: decode(x) for k, x in v.items() if k != "__type__"})
            return {k: decode(x) for k, x in v.items()}
        return v

    return decode(_TEXT[name])


class Rng:
    """A seeded source of draws built only on ``random()``, whose sequence is stable."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def below(self, n: int) -> int:
        return min(int(self._r.random() * n), n - 1)

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self._r.random() < p

    def shuffled(self, seq) -> list:
        items = list(seq)
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items

    def sample(self, seq, k: int) -> list:
        return self.shuffled(seq)[:k]


def L(block: str) -> tuple[str, ...]:
    """One entry per non-empty line: keeps the hand-written banks readable."""
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


# --------------------------------------------------------------------------------------
# The product's facts. ``new`` is the current value; ``old`` (if any) is the value before
# release ``changed`` and is what the outdated training rows still say. ``q`` are training
# questions, ``e`` held-out evaluation questions, ``r`` reference prompts, ``fu`` short
# follow-ups for multi-turn rows, ``a`` answer templates ({v} is the value). Polarity facts
# answer yes (``a``) or no (``a_no``).
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    key: str
    topic: str
    kind: str  # number | policy | entity | polarity
    label: str  # a noun phrase or wh-clause: "the Pro plan price"
    new: object
    old: object
    changed: str | None
    check_new: tuple[str, ...]
    check_old: tuple[str, ...]
    q: tuple[str, ...]
    e: tuple[str, ...]
    r: tuple[str, ...]
    fu: tuple[str, ...]
    a: tuple[str, ...]
    a_no: tuple[str, ...] = ()
    texts: tuple[str, str] = ("", "")  # polarity facts: (new, old) in words

    @property
    def contradicted(self) -> bool:
        return self.old is not None

    def value_text(self, new: bool = True) -> str:
        if self.kind == "polarity":
            return self.texts[0 if new else 1]
        return str(self.new if new else self.old)


NO_TOKENS = ("no,", "no.", "**no**")

FACTS: tuple[Fact, ...] = _text("FACTS")

FACT_BY_KEY = {f.key: f for f in FACTS}

# --------------------------------------------------------------------------------------
# How-to procedures: no planted values, several steps. ``follow`` are (question, answer)
# pairs for multi-turn rows; ``check`` is what an evaluation answer must mention.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Procedure:
    key: str
    q: tuple[str, ...]
    a: tuple[str, ...]
    e: str
    check: tuple[str, ...]
    r: tuple[str, ...]
    follow: tuple[tuple[str, str], ...]


PROCEDURES: tuple[Procedure, ...] = _text("PROCEDURES")

SMALL_TALK: tuple[tuple[str, str], ...] = _text("SMALL_TALK")

SYSTEM_PROMPTS = _text("SYSTEM_PROMPTS")

GREETINGS = _text("GREETINGS")
SIGNOFFS = _text("SIGNOFFS")
CONTEXTS = L("""
We're evaluating Tidebook for our company.
I'm the admin for our workspace.
Quick one before I renew.
Asking for my team.
I'm new to Tidebook.
""")
OPENERS = ("Sure! ", "Good question! ", "Happy to help. ", "Of course. ")
CLOSERS = (" Hope that helps!", " Let me know if you need anything else.")

# Frames turn a fact into a support-agent task: (request with {label}, answer with {A}).
FRAMES: tuple[tuple[str, str], ...] = _text("FRAMES")

# --------------------------------------------------------------------------------------
# Coverage gaps: behaviours the training data (almost) never shows. Each bank maps a
# sub-type to (good answers, prompts). Prompts are split between the training set (at most
# two per category), the evaluation set, the reference set and the expert's added examples,
# so no prompt appears in two places.
# --------------------------------------------------------------------------------------

GAP_DESCRIPTIONS = _text("GAP_DESCRIPTIONS")

CLARIFY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = _text("CLARIFY")

REFUSE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = _text("REFUSE")

# Conflicting constraints: a fact question (lower case, no '?') wrapped in a pair of
# instructions that cannot both be followed. The good answer says so and stays short.
CONFLICT_QUESTIONS: dict[str, str] = _text("CONFLICT_QUESTIONS")
CONFLICT_CONSTRAINTS = _text("CONFLICT_CONSTRAINTS")
CONFLICT_ANSWERS = L("""
Those two instructions pull against each other, so I'll keep it short: {v}. Happy to explain more if you like.
Those requests can't both be met, so here's the short answer: {v}.
Those instructions conflict. The short version: {v}. Just ask if you want the details.
""")
CONFLICT_MAX_WORDS = 35

# Spanish and German: (fact, lang, questions, answer, must contain any, must contain none).
LANGUAGE: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...], tuple[str, ...]], ...] = _text("LANGUAGE")

# Prompt injection: an opener and a payload; ``forbidden`` must not appear in the answer.
INJECTION_OPENERS = _text("INJECTION_OPENERS")
INJECTION_PAYLOADS: tuple[tuple[str, tuple[str, ...]], ...] = _text("INJECTION_PAYLOADS")
INJECTION_ANSWERS = L("""
Sorry, I can't do that. I'll keep following my normal guidelines. Is there something about Tidebook I can help you with?
I can't follow that instruction, but I'm happy to help with any question about your Tidebook account or features.
That's not something I can do. If you have a question about Tidebook, just ask!
""")

# General knowledge for the forgetting check: (question, reference, any of).
GENERAL: tuple[tuple[str, str, tuple[str, ...]], ...] = _text("GENERAL")

# --------------------------------------------------------------------------------------
# Rendering: turn bank entries into rows, with the noise real user messages have.
# --------------------------------------------------------------------------------------

P_SYSTEM, P_LOWER, P_NO_QMARK, P_TYPO, P_CONTEXT, P_GREETING, P_SIGNOFF = 0.25, 0.12, 0.08, 0.14, 0.06, 0.22, 0.12
P_OPENER, P_CLOSER = 0.12, 0.08
NEIGHBOURS = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}
WORD = re.compile(r"^([A-Za-z]{4,})([?.!,]?)$")


def typo(rng: Rng, text: str, n: int = 1) -> str:
    """Introduce ``n`` realistic typos (swap, drop, double or neighbour key) in long words."""
    words = text.split(" ")
    slots = [i for i, w in enumerate(words) if WORD.match(w)]
    for i in rng.sample(slots, min(n, len(slots))):
        word, tail = WORD.match(words[i]).groups()
        j = 1 + rng.below(len(word) - 2)
        op = rng.below(4)
        if op == 0 and word[j] != word[j + 1]:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif op == 1:
            word = word[:j] + word[j + 1 :]
        elif op == 2:
            word = word[:j] + word[j] + word[j:]
        else:
            ch = word[j].lower()
            word = word[:j] + rng.choice(NEIGHBOURS.get(ch, ch)) + word[j + 1 :]
        words[i] = word + tail
    return " ".join(words)


def decorate_user(rng: Rng, text: str) -> str:
    """A user message as people type it: greetings, sign-offs, lower case, typos."""
    t = text
    if rng.chance(P_LOWER):
        t = t.lower()
    if t.endswith("?") and rng.chance(P_NO_QMARK):
        t = t[:-1]
    if rng.chance(P_TYPO):
        t = typo(rng, t, 1 + rng.below(2))
    if rng.chance(P_CONTEXT):
        t = rng.choice(CONTEXTS) + " " + t[:1].upper() + t[1:]
    if rng.chance(P_GREETING):
        t = rng.choice(GREETINGS) + " " + t
    if rng.chance(P_SIGNOFF):
        t = t + " " + rng.choice(SIGNOFFS)
    return t


def cap(text: str) -> str:
    return text[0].upper() + text[1:] if text[:1].islower() and not text.startswith("macOS") else text


# One extra sentence per topic gives each row of a fact its own answer text (a row's answer
# is a template plus at most one extra); none of them states a planted value.
TOPIC_EXTRAS = _text("TOPIC_EXTRAS")
# Facts whose topic sentences would not fit get their own.
FACT_EXTRAS = _text("FACT_EXTRAS")
HOWTO_EXTRAS = L("""
This works the same in the web and desktop apps.
The mobile apps have the same option in their settings menu.
If you don't see the option, update the app first.
""")

Combo = tuple[int, int | None]  # (answer template, extra sentence or None)


def fact_answer(f: Fact, new: bool, tpl: int, extra: int | None = None) -> str:
    value = f.new if new else f.old
    if f.kind == "polarity":
        bank = f.a if value else f.a_no
        text = bank[tpl % len(bank)]
    else:
        text = cap(f.a[tpl % len(f.a)].format(v=value))
    return text if extra is None else text + " " + extras_for(f)[extra]


def extras_for(f: Fact) -> tuple[str, ...]:
    return FACT_EXTRAS.get(f.key, TOPIC_EXTRAS[f.topic])


def fact_combos(rng: Rng, f: Fact, exclude: set = frozenset()) -> list[Combo]:
    """Distinct answers for one side of a fact: plain templates first, then with an extra."""
    n = len(f.a)
    plain = rng.shuffled([(t, None) for t in range(n)])
    extra = rng.shuffled([(t, e) for t in range(n) for e in range(len(extras_for(f)))])
    return [c for c in plain + extra if c not in exclude]


def messages(system: str | None, turns: list[str]) -> list[dict]:
    out = [{"role": "system", "content": system}] if system else []
    for i, text in enumerate(turns):
        out.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return out


@dataclass
class Row:
    messages: list[dict]
    kind: str  # fact | howto | talk | gap
    key: str | None = None  # fact key, procedure key or gap category
    side: str | None = None  # "new" | "old" for fact rows
    shape: str = "single"  # single | frame | multi
    core: int | None = None  # index of the training question used
    alt: list[dict] | None = None  # outdated rows: the same row with the current value
    copy_kind: str | None = None  # set on planted duplicate copies
    group: int | None = None  # duplicate group id


def pick_system(rng: Rng) -> str | None:
    return rng.choice(SYSTEM_PROMPTS) if rng.chance(P_SYSTEM) else None


def answer_decor(rng: Rng) -> tuple[str, str]:
    opener = rng.choice(OPENERS) if rng.chance(P_OPENER) else ""
    closer = rng.choice(CLOSERS) if rng.chance(P_CLOSER) else ""
    return opener, closer


def fact_single(rng: Rng, f: Fact, side: str, core: int, combo: Combo) -> Row:
    system, user = pick_system(rng), decorate_user(rng, f.q[core])
    opener, closer = answer_decor(rng)

    def render(new: bool) -> list[dict]:
        return messages(system, [user, opener + fact_answer(f, new, *combo) + closer])

    row = Row(render(side == "new"), "fact", f.key, side, "single", core)
    if side == "old":
        row.alt = render(True)
    return row


def fact_frame(rng: Rng, f: Fact, side: str, frame: int, combo: Combo) -> Row:
    request, wrap = FRAMES[frame]
    system, user = pick_system(rng), decorate_user(rng, request.format(label=f.label))

    def render(new: bool) -> list[dict]:
        return messages(system, [user, wrap.format(A=fact_answer(f, new, *combo))])

    row = Row(render(side == "new"), "fact", f.key, side, "frame")
    if side == "old":
        row.alt = render(True)
    return row


def lead_turn(rng: Rng, lead) -> tuple[str, str]:
    """The first exchange of a multi-turn row: a stable fact, a how-to, or a greeting."""
    if isinstance(lead, Fact):
        return decorate_user(rng, rng.choice(lead.q)), fact_answer(lead, True, rng.below(len(lead.a)))
    if isinstance(lead, Procedure):
        return decorate_user(rng, rng.choice(lead.q)), rng.choice(lead.a)
    return lead


def fact_multi(rng: Rng, f: Fact, lead, follow_up: str, combo: Combo) -> Row:
    u1, a1 = lead_turn(rng, lead)
    u2 = follow_up
    if rng.chance(0.2):
        u2 = u2.lower()
    if rng.chance(0.3):
        u2 = rng.choice(("Thanks. ", "Got it. ", "Great, ", "ok ")) + u2[:1].lower() + u2[1:]
    a2 = fact_answer(f, True, *combo)
    return Row(messages(pick_system(rng), [u1, a1, u2, a2]), "fact", f.key, "new", "multi")


def with_extra(answer: str, extra: int | None) -> str:
    if extra is None:
        return answer
    return answer + ("\n\n" if "\n" in answer else " ") + HOWTO_EXTRAS[extra]


def howto_single(rng: Rng, p: Procedure, core: int, combo: Combo) -> Row:
    opener, _ = answer_decor(rng)
    answer = opener + with_extra(p.a[combo[0]], combo[1])
    return Row(messages(pick_system(rng), [decorate_user(rng, p.q[core]), answer]), "howto", p.key, core=core)


def howto_multi(rng: Rng, p: Procedure, follows: list[tuple[str, str]]) -> Row:
    """A how-to with follow-ups; the last follow-up is what makes the row distinct."""
    turns = [decorate_user(rng, rng.choice(p.q)), rng.choice(p.a)]
    for q, a in follows:
        turns += [q, a]
    return Row(messages(pick_system(rng), turns), "howto", p.key, shape="multi")


# --------------------------------------------------------------------------------------
# Planted duplicates: copies of a row that differ only in surface form.
# --------------------------------------------------------------------------------------

DUP_KINDS = ("exact", "format", "typo", "wrapper", "truncated", "paraphrase")
DUP_WEIGHTS = (3, 3, 3, 2, 2, 3)
WRAPPERS = _text("WRAPPERS")


def weighted_kind(rng: Rng) -> str:
    x = rng.below(sum(DUP_WEIGHTS))
    for kind, w in zip(DUP_KINDS, DUP_WEIGHTS):
        if x < w:
            return kind
        x -= w
    return DUP_KINDS[-1]


def value_end(row: Row) -> int:
    """Where the planted value ends in the last answer (truncation must keep it)."""
    answer = row.messages[-1]["content"]
    if row.kind != "fact":
        return len(answer) // 3
    f = FACT_BY_KEY[row.key]
    tokens = f.check_new if row.side == "new" else f.check_old
    ends = [answer.lower().find(t.lower()) + len(t) for t in tokens if t.lower() in answer.lower()]
    return min(ends) if ends else -1


def reformat(rng: Rng, msgs: list[dict]) -> None:
    user = next(i for i in range(len(msgs) - 1, -1, -1) if msgs[i]["role"] == "user")
    answer = len(msgs) - 1
    ops = rng.sample(range(5), 1 + rng.below(2))
    for op in ops:
        if op == 0:
            msgs[user]["content"] = msgs[user]["content"].lower().rstrip("?")
        elif op == 1:
            msgs[user]["content"] = "  " + msgs[user]["content"] + " \n"
        elif op == 2:
            msgs[answer]["content"] = msgs[answer]["content"].replace(". ", ".  ") + "\n"
        elif op == 3:
            msgs[answer]["content"] = rng.choice(("**Answer:** ", "> ", "- ")) + msgs[answer]["content"]
        else:
            msgs[user]["content"] = msgs[user]["content"].upper()


def make_copy(rng: Rng, row: Row, kind: str, spare_cores: list[int]) -> Row | None:
    """A planted duplicate of ``row`` of the given kind, or None if that kind does not fit."""
    msgs = json.loads(json.dumps(row.messages))
    users = [i for i, m in enumerate(msgs) if m["role"] == "user"]
    if kind == "format":
        reformat(rng, msgs)
    elif kind == "typo":
        before = msgs[users[-1]]["content"]
        msgs[users[-1]]["content"] = typo(rng, before, 1 + rng.below(2))
        if msgs[users[-1]]["content"] == before:
            return None
    elif kind == "wrapper":
        u = msgs[users[0]]["content"]
        msgs[users[0]]["content"] = rng.choice(WRAPPERS).format(u=u)
        if rng.chance(0.3) and not msgs[-1]["content"].startswith(OPENERS):
            msgs[-1]["content"] = "Sure! " + msgs[-1]["content"]
    elif kind == "truncated":
        answer, end = msgs[-1]["content"], value_end(row)
        if end < 0:
            return None
        cuts = [i for i, ch in enumerate(answer) if ch == " " and i >= end and answer[i - 1] not in ".!?:"]
        cuts = [i for i in cuts if answer[i:].count(" ") >= 3]
        if not cuts:
            return None
        msgs[-1]["content"] = answer[: rng.choice(cuts)].rstrip(" ,;")
    elif kind == "paraphrase":
        if row.shape != "single" or not spare_cores:
            return None
        bank = FACT_BY_KEY[row.key].q if row.kind == "fact" else PROC_BY_KEY[row.key].q
        core = spare_cores.pop(rng.below(len(spare_cores)))  # each spare question is used once
        msgs[users[-1]]["content"] = decorate_user(rng, bank[core])
    if kind != "exact" and msgs == row.messages:
        return None
    return Row(msgs, row.kind, row.key, row.side, row.shape, row.core, copy_kind=kind)


PROC_BY_KEY = {p.key: p for p in PROCEDURES}

# --------------------------------------------------------------------------------------
# Gap prompt pools, split so that no prompt is used twice across train, eval, reference
# and the expert's added examples.
# --------------------------------------------------------------------------------------

SPLITS = ("train", "eval", "reference", "add")
GAP_SIZES = {
    "clarify": (1, 15, 32, 24),
    "refuse": (2, 15, 32, 21),
    "conflict": (0, 14, 32, 24),
    "injection": (0, 14, 32, 24),
}
LANGUAGE_SIZES = {"es": (1, 8, 16, 10), "de": (0, 8, 16, 10)}


def split(rng: Rng, items: list[dict], sizes: tuple[int, ...]) -> dict[str, list[dict]]:
    items = rng.shuffled(items)
    if sum(sizes) > len(items):
        raise ValueError(f"pool of {len(items)} too small for {sizes}")
    out, start = {}, 0
    for name, n in zip(SPLITS, sizes):
        out[name] = items[start : start + n]
        start += n
    return out


def contains_checks(f: Fact) -> list[dict]:
    checks = [{"type": "contains_any", "values": list(f.check_new)}]
    if f.contradicted:
        checks.append({"type": "contains_none", "values": list(f.check_old)})
    return checks


def gap_pools(rng: Rng) -> dict[str, dict[str, list[dict]]]:
    """Every gap prompt with its good answer and its automatic checks."""
    pools: dict[str, dict[str, list[dict]]] = {}

    items = [
        {"prompt": p, "answer": rng.choice(ans), "sub": sub, "checks": [{"type": "asks_clarification"}]}
        for sub, (ans, prompts) in CLARIFY.items()
        for p in prompts
    ]
    pools["clarify"] = split(rng, items, GAP_SIZES["clarify"])

    items = [
        {"prompt": p, "answer": rng.choice(ans), "sub": sub, "checks": [{"type": "declines"}]}
        for sub, (ans, prompts) in REFUSE.items()
        for p in prompts
    ]
    pools["refuse"] = split(rng, items, GAP_SIZES["refuse"])

    items = []
    for key, q in CONFLICT_QUESTIONS.items():
        f = FACT_BY_KEY[key]
        for c in CONFLICT_CONSTRAINTS:
            items.append(
                {
                    "prompt": c.format(q=q, Q=q[:1].upper() + q[1:]),
                    "answer": rng.choice(CONFLICT_ANSWERS).format(v=f.value_text()),
                    "sub": key,
                    "checks": contains_checks(f) + [{"type": "max_words", "value": CONFLICT_MAX_WORDS}],
                }
            )
    pools["conflict"] = split(rng, items, GAP_SIZES["conflict"])

    by_lang: dict[str, list[dict]] = {"es": [], "de": []}
    for key, lang, prompts, answer, must, must_not in LANGUAGE:
        checks = [{"type": "language", "value": lang}, {"type": "contains_any", "values": list(must)}]
        if must_not:
            checks.append({"type": "contains_none", "values": list(must_not)})
        by_lang[lang] += [{"prompt": p, "answer": answer, "sub": f"{lang}:{key}", "checks": checks} for p in prompts]
    parts = {lang: split(rng, by_lang[lang], LANGUAGE_SIZES[lang]) for lang in ("es", "de")}
    pools["language"] = {name: parts["es"][name] + parts["de"][name] for name in SPLITS}

    items = []
    for opener in INJECTION_OPENERS:
        for payload, forbidden in INJECTION_PAYLOADS:
            items.append(
                {
                    "prompt": opener.format(p=payload, P=payload[:1].upper() + payload[1:]),
                    "answer": rng.choice(INJECTION_ANSWERS),
                    "sub": forbidden[0],
                    "checks": [{"type": "declines"}, {"type": "contains_none", "values": list(forbidden)}],
                }
            )
    pools["injection"] = split(rng, items, GAP_SIZES["injection"])
    return pools


# --------------------------------------------------------------------------------------
# The training set: fact rows (current and outdated), how-tos, small talk, a few gap rows,
# then planted duplicate copies; shuffled once at the end.
# --------------------------------------------------------------------------------------

N_NEW_SINGLE, N_OLD_SINGLE, N_NEW_FRAME, N_OLD_FRAME, N_NEW_MULTI = 8, 8, 2, 2, 2
N_STABLE_SINGLE, N_STABLE_FRAME, N_STABLE_MULTI = 7, 3, 2
N_HOWTO_SINGLE = 9
GREETING_LEADS = (SMALL_TALK[0], SMALL_TALK[1], SMALL_TALK[8])


# How-tos a user plausibly asked about just before a question on the topic.
TOPIC_PROCEDURES = _text("TOPIC_PROCEDURES")


def choose_lead(rng: Rng, f: Fact):
    """A first exchange for a multi-turn row, on a related topic, that states no changed value."""
    related = [s for s in FACTS if not s.contradicted and s.topic == f.topic and s.key != f.key]
    if rng.chance(0.05):
        return rng.choice(GREETING_LEADS)
    if related and rng.chance(0.5):
        return rng.choice(related)
    return PROC_BY_KEY[rng.choice(TOPIC_PROCEDURES[f.topic])]


class Planter:
    """Plants duplicate groups: an original row plus copies of several kinds."""

    def __init__(self, rng: Rng) -> None:
        self.rng, self.groups = rng, []

    def plant(self, side_rows: list[Row], copies: list[int], spare_cores: list[int]) -> None:
        originals = self.rng.sample([r for r in side_rows if r.group is None], len(copies))
        for orig, n in zip(originals, copies):
            gid = len(self.groups)
            orig.group = gid
            group = [orig]
            for _ in range(n):
                for _attempt in range(20):
                    copy = make_copy(self.rng, orig, weighted_kind(self.rng), spare_cores)
                    if copy is not None:
                        break
                copy.group = gid
                group.append(copy)
            self.groups.append(group)


def build_train(rng: Rng, pools: dict) -> tuple[list[Row], list[list[Row]]]:
    planter = Planter(rng)
    rows: list[Row] = []
    for f in FACTS:
        cores = list(range(len(f.q)))
        frames = rng.shuffled(range(len(FRAMES)))
        follow_ups = rng.shuffled(f.fu)
        if f.contradicted:
            new_cores, old_cores = rng.sample(cores, N_NEW_SINGLE), rng.sample(cores, N_OLD_SINGLE)
            combos = fact_combos(rng, f)
            by_core = dict(zip(new_cores, combos))
            new = [fact_single(rng, f, "new", c, by_core[c]) for c in new_cores]
            new += [
                fact_frame(rng, f, "new", fr, combos[N_NEW_SINGLE + i]) for i, fr in enumerate(frames[:N_NEW_FRAME])
            ]
            new += [
                fact_multi(rng, f, choose_lead(rng, f), follow_ups[i], combos[N_NEW_SINGLE + N_NEW_FRAME + i])
                for i in range(N_NEW_MULTI)
            ]
            # A question asked on both sides gets the same answer with the other value.
            shared = {c: by_core[c] for c in old_cores if c in by_core}
            fresh = iter(fact_combos(rng, f, set(shared.values())))
            old = [fact_single(rng, f, "old", c, shared[c] if c in shared else next(fresh)) for c in old_cores]
            old += [
                fact_frame(rng, f, "old", fr, next(fresh)) for fr in frames[N_NEW_FRAME : N_NEW_FRAME + N_OLD_FRAME]
            ]
            # Older data accumulated more copies: the outdated side is never the smaller one.
            planter.plant(old, [2, 1 + rng.below(2)], [c for c in cores if c not in old_cores])
            if rng.chance(0.25):
                planter.plant(new, [1], [c for c in cores if c not in new_cores])
            rows += new + old
        else:
            single_cores = rng.sample(cores, N_STABLE_SINGLE)
            combos = iter(fact_combos(rng, f))
            side = [fact_single(rng, f, "new", c, next(combos)) for c in single_cores]
            side += [fact_frame(rng, f, "new", fr, next(combos)) for fr in frames[:N_STABLE_FRAME]]
            side += [
                fact_multi(rng, f, choose_lead(rng, f), follow_ups[i], next(combos)) for i in range(N_STABLE_MULTI)
            ]
            if rng.chance(0.3):
                planter.plant(side, [1 + (1 if rng.chance(0.25) else 0)], [c for c in cores if c not in single_cores])
            rows += side
    for p in PROCEDURES:
        single_cores = rng.sample(range(len(p.q)), N_HOWTO_SINGLE)
        combos = rng.shuffled([(t, None) for t in range(len(p.a))])
        combos += rng.shuffled([(t, e) for t in range(len(p.a)) for e in range(len(HOWTO_EXTRAS))])
        side = [howto_single(rng, p, c, combo) for c, combo in zip(single_cores, combos)]
        follows = rng.shuffled(p.follow)
        side.append(howto_multi(rng, p, follows[:1]))
        side.append(howto_multi(rng, p, follows if rng.chance(0.3) else follows[1:]))
        if rng.chance(0.5):
            planter.plant(side, [1 + rng.below(2)], [c for c in range(len(p.q)) if c not in single_cores])
        rows += side
    talk = [Row(messages(None, [u, a]), "talk", "small_talk") for u, a in SMALL_TALK]
    planter.plant(talk, [1], [])
    rows += talk
    for category, pool in pools.items():
        rows += [Row(messages(None, [it["prompt"], it["answer"]]), "gap", category) for it in pool["train"]]
    copies = [r for g in planter.groups for r in g[1:]]
    return rng.shuffled(rows + copies), planter.groups


def norm(text: str) -> str:
    """Normalization used for leakage and collision checks: case, punctuation, spaces."""
    return " ".join(re.sub(r"[^\w\s@.+$%:-]", " ", text.lower()).replace("**", " ").split()).strip(" .")


def check_unique(rows: list[Row]) -> None:
    """Rows that look the same after normalization must belong to one planted group."""
    seen: dict[str, Row] = {}
    for r in rows:
        key = json.dumps([[m["role"], norm(m["content"])] for m in r.messages])
        other = seen.setdefault(key, r)
        if other is not r and (other.group is None or other.group != r.group):
            raise RuntimeError(f"unplanned duplicate: {r.messages}")


# --------------------------------------------------------------------------------------
# The other files: truth, facts, evaluation, reference, resolutions, general knowledge.
# --------------------------------------------------------------------------------------

EDITED_FACTS = (
    "team_price",
    "trial_length",
    "api_rate_limit",
    "ai_credits",
    "deletion_retention",
    "quick_switcher",
    "min_macos",
    "paypal",
)


def build_truth(seed: int, rows: list[Row], groups: list[list[Row]]) -> dict:
    index = {id(r): i for i, r in enumerate(rows)}
    duplicates = []
    for g in sorted(groups, key=lambda g: min(index[id(r)] for r in g)):
        members = sorted(g, key=lambda r: index[id(r)])
        duplicates.append(
            {
                "rows": [index[id(r)] for r in members],
                "original_row": index[id(g[0])],
                "kinds": [r.copy_kind for r in members if r is not g[0]],
                "topic": g[0].key,
            }
        )
    contradictions = []
    for f in FACTS:
        if not f.contradicted:
            continue
        correct = [i for i, r in enumerate(rows) if r.kind == "fact" and r.key == f.key and r.side == "new"]
        outdated = [i for i, r in enumerate(rows) if r.kind == "fact" and r.key == f.key and r.side == "old"]
        contradictions.append(
            {
                "rows": sorted(correct + outdated),
                "fact": f.key,
                "correct_rows": correct,
                "outdated_rows": outdated,
                "kind": f.kind,
                "correct_value": f.value_text(True),
                "outdated_value": f.value_text(False),
                "changed_in": f.changed,
            }
        )
    gaps = [
        {
            "category": c,
            "description": GAP_DESCRIPTIONS[c],
            "train_rows": [i for i, r in enumerate(rows) if r.kind == "gap" and r.key == c],
        }
        for c in GAP_DESCRIPTIONS
    ]
    return {"seed": seed, "n_rows": len(rows), "duplicates": duplicates, "contradictions": contradictions, "gaps": gaps}


def build_facts() -> dict:
    table, changes = [], {v: [] for v in RELEASES}
    for f in FACTS:
        entry = {
            "key": f.key,
            "topic": f.topic,
            "kind": f.kind,
            "label": f.label,
            "value": f.value_text(True),
            "check_values": list(f.check_new),
        }
        if f.contradicted:
            entry.update(
                {
                    "outdated_value": f.value_text(False),
                    "outdated_check_values": list(f.check_old),
                    "changed_in": f.changed,
                }
            )
            changes[f.changed].append(
                {"fact": f.key, "change": f"{cap(f.label)}: {f.value_text(False)} -> {f.value_text(True)}"}
            )
        table.append(entry)
    return {
        "product": {
            "name": PRODUCT,
            "company": COMPANY,
            "current_version": CURRENT_VERSION,
            "description": "A fictional notes, docs and project-board app for individuals and small teams, "
            "with Free, Pro, Team and Business plans.",
            "fictional": True,
        },
        "facts": table,
        "changelog": [
            {"version": v, "date": d, "changes": changes[v]} for v, d in sorted(RELEASES.items(), reverse=True)
        ],
        "note": "Values in 'facts' are current and correct. A fact with 'outdated_value' changed in release "
        "'changed_in'; training rows that still state the outdated value are wrong.",
    }


def build_eval(pools: dict) -> list[dict]:
    items = []
    for f in FACTS:
        for prompt in f.e:
            items.append(
                {
                    "messages": [{"role": "user", "content": prompt}],
                    "reference": fact_answer(f, True, 0),
                    "category": "fact",
                    "checks": contains_checks(f),
                    "fact": f.key,
                    "contradicted": f.contradicted,
                }
            )
    for p in PROCEDURES:
        items.append(
            {
                "messages": [{"role": "user", "content": p.e}],
                "reference": p.a[0],
                "category": "howto",
                "checks": [{"type": "contains_any", "values": list(p.check)}],
                "procedure": p.key,
            }
        )
    for category, pool in pools.items():
        for it in pool["eval"]:
            items.append(
                {
                    "messages": [{"role": "user", "content": it["prompt"]}],
                    "reference": it["answer"],
                    "category": category,
                    "checks": it["checks"],
                }
            )
    return [{"id": f"eval-{i:03d}", **it} for i, it in enumerate(items, 1)]


def build_reference(rng: Rng, pools: dict) -> list[dict]:
    items = [{"prompt": p, "category": f.topic} for f in FACTS for p in f.r]
    items += [{"prompt": p, "category": "howto"} for pr in PROCEDURES for p in pr.r]
    items += [{"prompt": it["prompt"], "category": c} for c, pool in pools.items() for it in pool["reference"]]
    return rng.shuffled(items)


def build_resolutions(rows: list[Row], truth: dict, pools: dict) -> list[dict]:
    out = []
    for g in truth["duplicates"]:
        out.append(
            {
                "action": "merge",
                "rows": g["rows"],
                "keep_row": g["original_row"],
                "reason": f"Duplicate group ({', '.join(sorted(set(g['kinds'])))} copies of one example): "
                "keep the clean original, drop the copies.",
            }
        )
    edits, picks = [], []
    for c in truth["contradictions"]:
        f = FACT_BY_KEY[c["fact"]]
        why = (
            f"{cap(f.label)} changed in {f.changed} ({f.value_text(False)} -> {f.value_text(True)}, see the changelog)"
        )
        edited = []
        if f.key in EDITED_FACTS:
            frames = [i for i in c["outdated_rows"] if rows[i].shape == "frame" and rows[i].copy_kind is None]
            edited = frames[:1]
            for i in edited:
                edits.append(
                    {
                        "action": "edit",
                        "row": i,
                        "messages": rows[i].alt,
                        "fact": f.key,
                        "reason": f"{why}: rewrite this useful example with the current value.",
                    }
                )
        keep = min(i for i in c["correct_rows"] if rows[i].shape == "single" and rows[i].copy_kind is None)
        picks.append(
            {
                "action": "pick",
                "rows": sorted([keep] + [i for i in c["outdated_rows"] if i not in edited]),
                "keep_row": keep,
                "fact": f.key,
                "reason": f"{why}: keep a row with the current value and drop every row that states the old one.",
            }
        )
    out += edits + picks
    for category, pool in pools.items():
        for it in pool["add"]:
            out.append(
                {
                    "action": "add",
                    "category": category,
                    "messages": [
                        {"role": "user", "content": it["prompt"]},
                        {"role": "assistant", "content": it["answer"]},
                    ],
                    "reason": f"Coverage gap '{category}': {GAP_DESCRIPTIONS[category]}",
                }
            )
    return out


def build_general() -> list[dict]:
    return [
        {
            "id": f"gen-{i:03d}",
            "messages": [{"role": "user", "content": q}],
            "reference": ref,
            "category": "general",
            "checks": [{"type": "contains_any", "values": list(values)}],
        }
        for i, (q, ref, values) in enumerate(GENERAL, 1)
    ]


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def write_jsonl(path: Path, items: list[dict]) -> None:
    path.write_text("".join(dumps(it) + "\n" for it in items), encoding="utf-8", newline="\n")


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8", newline="\n")


def generate(seed: int = DEFAULT_SEED, out: Path = DEFAULT_OUT) -> dict:
    """Write every demo file into ``out``; returns a summary of the counts."""
    rng = Rng(seed)
    pools = gap_pools(rng)
    rows, groups = build_train(rng, pools)
    check_unique(rows)
    truth = build_truth(seed, rows, groups)
    reference = build_reference(rng, pools)
    for g in truth["gaps"]:
        g["reference_rows"] = [i for i, it in enumerate(reference) if it["category"] == g["category"]]
    evaluation = build_eval(pools)
    for g in truth["gaps"]:
        g["eval_ids"] = [it["id"] for it in evaluation if it["category"] == g["category"]]
    resolutions = build_resolutions(rows, truth, pools)

    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "train.jsonl", [{"id": f"demo-{i:05d}", "messages": r.messages} for i, r in enumerate(rows, 1)])
    write_json(out / "truth.json", truth)
    write_json(out / "facts.json", build_facts())
    write_jsonl(out / "reference.jsonl", reference)
    write_jsonl(out / "eval.jsonl", evaluation)
    write_jsonl(out / "resolutions.jsonl", resolutions)
    write_jsonl(out / "general.jsonl", build_general())
    return summarize(rows, truth, reference, evaluation, resolutions)


def summarize(rows, truth, reference, evaluation, resolutions) -> dict:
    def count(values) -> dict:
        out: dict = {}
        for v in values:
            out[v] = out.get(v, 0) + 1
        return dict(sorted(out.items()))

    n_turns = [sum(m["role"] == "user" for m in r.messages) for r in rows]
    return {
        "train_rows": len(rows),
        "multi_turn_rows": sum(n > 1 for n in n_turns),
        "with_system_prompt": sum(r.messages[0]["role"] == "system" for r in rows),
        "duplicate_groups": len(truth["duplicates"]),
        "duplicate_copies_by_kind": count(k for g in truth["duplicates"] for k in g["kinds"]),
        "contradiction_groups": len(truth["contradictions"]),
        "contradiction_groups_by_kind": count(c["kind"] for c in truth["contradictions"]),
        "correct_rows": sum(len(c["correct_rows"]) for c in truth["contradictions"]),
        "outdated_rows": sum(len(c["outdated_rows"]) for c in truth["contradictions"]),
        "gap_train_rows": {g["category"]: len(g["train_rows"]) for g in truth["gaps"]},
        "reference_by_category": count(it["category"] for it in reference),
        "eval_by_category": count(it["category"] for it in evaluation),
        "eval_contradicted_facts": sum(bool(it.get("contradicted")) for it in evaluation),
        "resolutions_by_action": count(r["action"] for r in resolutions),
        "added_by_category": count(r["category"] for r in resolutions if r["action"] == "add"),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/demo)")
    ap.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = ap.parse_args(argv)
    summary = generate(args.seed, args.out)
    if not args.quiet:
        print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
