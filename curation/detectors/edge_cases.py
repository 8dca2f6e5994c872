"""Edge-case coverage without a reference set: a taxonomy of cases a robust assistant needs.

The taxonomy is data (``curation/edge_cases.json``, or any file passed as ``taxonomy``):
ambiguous requests, conflicting instructions, requests to refuse, empty/very short and very
long inputs, noisy text, other languages, multi-turn follow-ups, numeric boundaries and
prompt injection. Each example is matched against each category's rules (regexes on the
request or answer, length bounds, number of user turns, a script/stopword language check);
a category with fewer matches than its threshold is one ``coverage_gap`` finding with the
count, the threshold and the example rows that did match. Rules are heuristics: they count
what is clearly there, and a reviewer reads the matched rows to judge the rest.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from curation.detectors import text as tx
from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.coverage import script_of
from curation.schema import Example, Finding

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
        req = ex.user_request
        n = len(req.split())
        return bool(
            (self.max_words is not None and n <= self.max_words)
            or (self.min_words is not None and n >= self.min_words)
            or (self.min_user_turns is not None and ex.n_user_turns >= self.min_user_turns)
            or (self.non_english and not looks_english(req))
            or any(p.search(req) for p in _compiled(tuple(self.patterns)))
            or (ex.has_answer and any(p.search(ex.answer) for p in _compiled(tuple(self.answer_patterns))))
        )


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in patterns]


def looks_english(text: str) -> bool:
    """Latin script and, for 4+ words, some common English function words, few accents."""
    if not text.strip() or script_of(text) != "latin":
        return not text.strip() or script_of(text) == "symbols"
    words = tx.words(text)
    if len(words) < 4:
        return not re.search(r"[à-ÿāăąčďēęěğīıłńňōőřśşšţťūůűźżž]", text, re.IGNORECASE)
    english = sum(w in tx.STOPWORDS for w in words) / len(words)
    return english >= 0.12


def load_taxonomy(path: str | Path | None = None) -> list[Category]:
    """Categories from a JSON file ({"categories": [...]}); the bundled file by default."""
    data = json.loads(Path(path or DEFAULT_TAXONOMY).read_text(encoding="utf-8"))
    return [Category(**c) for c in data["categories"]]


@register
class EdgeCaseCoverage(Detector):
    """Edge-case categories with no or too few training examples."""

    name: ClassVar[str] = "edge_cases"
    kinds: ClassVar[tuple[str, ...]] = ("coverage_gap",)

    taxonomy: str | None = Field(None, description="path of a taxonomy JSON (default: bundled)")
    min_share: float = Field(0.001, ge=0, le=1, description="also require this share of the data")
    only_without_reference: bool = Field(True, description="skip when a reference set is given")
    example_rows: int = Field(5, ge=0, description="matched rows listed per category")

    def detect(self, ctx: ScanContext) -> list[Finding]:
        if not ctx.examples or (ctx.reference and self.only_without_reference):
            return []
        out = []
        for cat in load_taxonomy(self.taxonomy):
            hits = [ex.row for ex in ctx.examples if cat.matches(ex)]
            need = max(cat.min_count, round(self.min_share * len(ctx.examples)))
            if len(hits) >= need:
                continue
            out.append(Finding(
                kind="coverage_gap", detector=f"{self.name}.{cat.id}", rows=tuple(hits[: self.example_rows]),
                score=round(1.0 - len(hits) / need, 4),
                reason=f"Edge case '{cat.label}': {len(hits)} training examples, fewer than the "
                       f"{need} wanted; add examples of this kind.",
                evidence={"category": cat.id, "label": cat.label, "count": len(hits),
                          "threshold": need, "example_rows": hits[: self.example_rows]},
            ))
        return out
