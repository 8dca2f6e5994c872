"""Edge-case coverage without a reference set: a taxonomy of cases a robust assistant needs.

The taxonomy is data (``curation/edge_cases.json``, or any file passed as ``taxonomy``):
ambiguous requests, conflicting instructions, requests to refuse, empty/very short and very
long inputs, noisy text, other languages, multi-turn follow-ups, numeric boundaries and
prompt injection. Each example is matched against each category's rules (regexes on the
request or answer, length bounds, number of user turns, a script/stopword language check);
a category with fewer matches than its threshold is one ``coverage_gap`` finding with the
count, the threshold and the example rows that did match. With a reference prompt set, the
category's share of the reference is compared with its share of the training data instead,
and the finding lists the reference prompts of the category. Rules are heuristics: they count
what is clearly there, and a reviewer reads the matched rows to judge the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from curation.detectors import text as tx
from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.labels import script_of
from curation.detectors.memo import CODE, SignatureMemo, chunk_journal, text_key
from curation.detectors.rules import rule
from curation.engine import cut, run_chunks
from curation.schema import Example, Finding

FEW_EXAMPLES = rule(
    "edge.few_examples",
    "an edge-case category (taxonomy) with fewer training examples than min_count or min_share of the data",
)
REFERENCE_SHARE = rule(
    "edge.reference_share",
    "an edge-case category the reference prompts need much more "
    "often than the training data has it (share ratio below max_share_ratio)",
)

DEFAULT_TAXONOMY = Path(__file__).resolve().parent.parent / "edge_cases.json"


class Category(BaseModel):
    """One edge-case category and the rules that recognise it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    min_count: int = 5
    patterns: list[str] = []
    answer_patterns: list[str] = []
    max_words: int | None = None
    min_words: int | None = None
    min_user_turns: int | None = None
    non_english: bool = False

    def matches(self, ex: Example) -> bool:
        return self.matches_prepared(_Prepared.of(ex))

    def matches_prepared(self, p: _Prepared) -> bool:
        pattern, answer_pattern = _compiled(tuple(self.patterns)), _compiled(tuple(self.answer_patterns))
        return bool(
            (self.max_words is not None and p.n_words <= self.max_words)
            or (self.min_words is not None and p.n_words >= self.min_words)
            or (self.min_user_turns is not None and p.n_user_turns >= self.min_user_turns)
            or (self.non_english and not p.english)
            or (pattern is not None and pattern.search(p.request))
            or (answer_pattern is not None and p.answer and answer_pattern.search(p.answer))
        )


class _Prepared:
    """What the category rules read from one example, computed once for every category."""

    __slots__ = ("request", "answer", "n_words", "n_user_turns", "_english")

    def __init__(self, request: str, answer: str, n_user_turns: int) -> None:
        self.request, self.answer, self.n_user_turns = request, answer, n_user_turns
        self.n_words = len(request.split())
        self._english: bool | None = None

    @classmethod
    def of(cls, ex: Example) -> _Prepared:
        return cls(ex.user_request, ex.answer if ex.has_answer else "", ex.n_user_turns)

    @property
    def english(self) -> bool:
        if self._english is None:
            self._english = looks_english(self.request)
        return self._english


_CHUNK = 5_000  # examples per membership task (a worker process or a Ray worker matches one at a time)


class MembershipChunk:
    """An engine task: which of ``cats`` each (request, answer, user turns) of a chunk falls in."""

    def __init__(self, cats: list[Category]) -> None:
        self.cats = cats
        self.journal_key = json.dumps([c.model_dump() for c in cats], sort_keys=True)

    def __call__(self, chunk: list[tuple[str, str, int]], state: object = None) -> np.ndarray:
        out = np.zeros((len(chunk), len(self.cats)), bool)
        for k, fields_ in enumerate(chunk):
            p = _Prepared(*fields_)
            out[k] = [cat.matches_prepared(p) for cat in self.cats]
        return out


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern | None:
    """One regex for a category's patterns (a single scan of the text instead of one each)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE)


# Frequent function words of other Latin-script languages (es, de, fr, it, pt, nl) that are
# not English words: evidence FOR another language, where missing English words are not (a
# terse "Tidebook Pro monthly price" has no English function word either).
_FOREIGN = frozenset(
    "el los las del que y por para con una mi cómo qué puedo tiene está son".split()  # es
    + "der die das und ist ich nicht mit für wie kann mein meine ein eine zu auf wird bitte".split()  # de
    + "le les des et est je pas pour avec mon comment une sont dans".split()  # fr
    + "il che è per non come mio della".split()  # it
    + "não com uma meu você".split()  # pt
    + "het een niet ik mijn hoe".split()  # nl
)


_ACCENTS = re.compile(r"[à-ÿāăąčďēęěğīıłńňōőřśşšţťūůűźżž¿¡]")  # no IGNORECASE: ı folds to I


def looks_english(text: str) -> bool:
    """Latin script without accents typical of other languages, and no more function words of
    other languages than of English; text with neither kind of word counts as English.

    A Latin text these cheap signs call foreign is then asked of a language identifier
    (py3langid, 97 languages), which reads the whole text: "a café", "El Niño", "miles per
    hour" and a passage about "Hugo Rafael Chávez Frías" under an English question are English.
    The identifier only confirms: it never makes foreign a text the signs call English (on a
    few words it is often wrong). Measured on ten public sets, 124 requests change from
    foreign to English, 122 of them English when read (two are a Portuguese and a Spanish
    instruction above a long English passage or code)."""
    if not text.strip() or script_of(text) != "latin":
        return not text.strip() or script_of(text) == "symbols"
    words = tx.words(text)
    foreign = sum(w in _FOREIGN for w in words)
    english = sum(w in tx.STOPWORDS and w not in _FOREIGN for w in words)
    if (foreign <= english or foreign == 0) and not _ACCENTS.search(text.lower()):
        return True
    return identify_language(text) == "en"


def identify_language(text: str) -> str:
    """The ISO 639-1 code py3langid gives ``text`` (its model loads once, in about a second)."""
    import py3langid

    return py3langid.classify(text)[0]


FOREIGN_WORDS = _FOREIGN  # function words of other languages: no topic, never a label


def load_taxonomy(path: str | Path | None = None) -> list[Category]:
    """Categories from a JSON file ({"categories": [...]}); the bundled file by default."""
    data = json.loads(Path(path or DEFAULT_TAXONOMY).read_text(encoding="utf-8"))
    return [Category(**c) for c in data["categories"]]


def edge_kinds(ex: Example, cats: Sequence[Category]) -> frozenset[str]:
    """The ids of the categories ``ex`` matches."""
    p = _Prepared.of(ex)
    return frozenset(c.id for c in cats if c.matches_prepared(p))


def category_matrix(examples: Sequence[Example], cats: Sequence[Category]) -> np.ndarray:
    """examples x categories: which example matches which category's rules."""
    out = np.zeros((len(examples), len(cats)), bool)
    for i, ex in enumerate(examples):
        p = _Prepared.of(ex)
        out[i] = [cat.matches_prepared(p) for cat in cats]
    return out


def dominant_categories(
    members: Sequence[int], matrix: np.ndarray, min_share: float = 0.3, min_lift: float = 2.0, most: int = 2
) -> list[int]:
    """The categories (columns of ``matrix``, see ``category_matrix`` over a whole prompt set)
    a group of its prompts (``members``: rows) is about, for the group's label: at most
    ``most``, each matching at least ``min_share`` of the group and ``min_lift`` times its
    share of the other prompts, largest share first. A gap of injection attempts is "Prompt
    injection attempts", not the word 'system' its prompts share."""
    if not len(members) or not matrix.size:
        return []
    inside = np.zeros(len(matrix), bool)
    inside[list(members)] = True
    share = matrix[inside].mean(axis=0)
    others = matrix[~inside].mean(axis=0) if (~inside).any() else np.zeros(matrix.shape[1])
    ok = np.flatnonzero((share >= min_share) & (share >= min_lift * others))
    return sorted(ok.tolist(), key=lambda c: (-share[c], c))[:most]


@register
class EdgeCaseCoverage(Detector):
    """Edge-case categories with no or too few training examples."""

    name: ClassVar[str] = "edge_cases"
    kinds: ClassVar[tuple[str, ...]] = ("coverage_gap",)

    taxonomy: str | None = Field(None, description="path of a taxonomy JSON (default: bundled)")
    min_share: float = Field(0.001, ge=0, le=1, description="also require this share of the data")
    only_without_reference: bool = Field(False, description="skip when a reference set is given")
    example_rows: int = Field(5, ge=0, description="matched rows listed per category")
    min_reference: int = Field(
        3, ge=1, description="with a reference set: reference prompts a category needs before its share is compared"
    )
    max_share_ratio: float = Field(
        0.35,
        ge=0,
        le=1,
        description="with a reference set: flag when the "
        "category's share of training data is below this fraction of its share "
        "of the reference",
    )

    def detect(self, ctx: ScanContext) -> list[Finding]:
        if not ctx.examples or (ctx.reference and self.only_without_reference):
            return []
        out = []
        cats = load_taxonomy(self.taxonomy)
        member = self._membership(ctx, cats)
        rows = np.array([ex.row for ex in ctx.examples])
        reference = [(r.row, _Prepared.of(r)) for r in ctx.reference or ()]
        for c, cat in enumerate(cats):
            hits = rows[member[:, c]].tolist()
            if ctx.reference:
                found = self._against_reference(
                    ctx, cat, hits, [row for row, p in reference if cat.matches_prepared(p)]
                )
                out.extend([found] if found else [])
                continue
            need = max(cat.min_count, round(self.min_share * len(ctx.examples)))
            if len(hits) >= need:
                continue
            out.append(
                Finding(
                    kind="coverage_gap",
                    detector=f"{self.name}.{cat.id}",
                    rows=tuple(hits[: self.example_rows]),
                    score=round(1.0 - len(hits) / need, 4),
                    reason=f"Edge case '{cat.label}': {len(hits)} training examples, fewer than the "
                    f"{need} wanted; add examples of this kind.",
                    evidence={
                        "rules": [{"id": FEW_EXAMPLES.id, "category": cat.id}],
                        "category": cat.id,
                        "label": cat.label,
                        "count": len(hits),
                        "threshold": need,
                        "example_rows": hits[: self.example_rows],
                    },
                )
            )
        return out

    def _membership(self, ctx: ScanContext, cats: list[Category]) -> np.ndarray:
        """examples x categories: which example falls in which category. Memoised per text
        and taxonomy on disk (the regexes cost ~0.25 ms per example), so a re-scan only
        matches new or edited examples."""
        tax = text_key(CODE, json.dumps([c.model_dump() for c in cats], sort_keys=True))
        prepared = [_Prepared.of(ex) for ex in ctx.examples]
        keys = np.fromiter(
            (text_key(tax, p.request, p.answer, p.n_user_turns) for p in prepared), dtype=np.uint64, count=len(prepared)
        )
        memo = SignatureMemo(ctx.memo_dir, "edge-cases")
        member = np.zeros((len(prepared), len(cats)), bool)
        hit, cached = memo.lookup(keys, len(cats))
        member[hit] = cached.astype(bool)
        miss = np.flatnonzero(~hit)
        parts = cut(miss, _CHUNK)
        chunks = [[(prepared[k].request, prepared[k].answer, prepared[k].n_user_turns) for k in part] for part in parts]
        for k, out in run_chunks(ctx.engine, MembershipChunk(cats), chunks, chunk_journal(ctx)):
            member[parts[k]] = out
        if not hit.all():
            memo.store(keys, member.astype(np.uint8))
        return member

    def _against_reference(
        self, ctx: ScanContext, cat: Category, hits: list[int], ref_hits: list[int]
    ) -> Finding | None:
        """A category the reference prompts need much more often than the training data has it:
        "12% of the reference prompts ask with conflicting instructions, 0% of training rows"."""
        if len(ref_hits) < self.min_reference:
            return None
        ref_share = len(ref_hits) / len(ctx.reference)
        train_share = len(hits) / len(ctx.examples)
        ratio = train_share / ref_share
        if ratio >= self.max_share_ratio:
            return None
        return Finding(
            kind="coverage_gap",
            detector=f"{self.name}.{cat.id}",
            rows=tuple(hits[: self.example_rows]),
            reference_rows=tuple(ref_hits),
            score=round(float(1.0 - ratio), 4),
            reason=f"Edge case '{cat.label}': {len(ref_hits)} reference prompts ({ref_share:.1%}) but "
            f"{len(hits)} training examples ({train_share:.1%}); add examples of this kind.",
            evidence={
                "rules": [{"id": REFERENCE_SHARE.id, "category": cat.id}],
                "category": cat.id,
                "label": cat.label,
                "count": len(hits),
                "reference_count": len(ref_hits),
                "share_ratio": round(ratio, 4),
                "example_rows": hits[: self.example_rows],
                "thresholds": self.settings(),
            },
        )
