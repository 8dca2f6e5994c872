"""Per-row answer quality: empty, cut off, placeholder text, or a parrot of the request.

Rules only, so every finding says exactly which rule fired. "Cut off" is deliberately
narrow (a dangling connective or comma, an unclosed code fence or bracket): many fine
answers end without a full stop (lists, code, one-word labels). Prompt-only datasets get no
answer checks.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field
from rapidfuzz import fuzz

from curation.detectors.base import Detector, ScanContext, register
from curation.detectors.features import fields
from curation.detectors.request_form import instruction
from curation.detectors.rules import rule
from curation.schema import Finding

PLACEHOLDERS = re.compile(
    r"lorem ipsum|\bTODO\b|\bTBD\b|\bFIXME\b|\[(?:insert|your|add|name of|placeholder)[^\]]{0,60}\]"
    r"|<(?:insert|your|placeholder)[^>]{0,60}>|\{\{[^}]{0,60}\}\}|\bplaceholder text\b",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"(?:[,;:(\-–]|\b(?:the|a|an|and|or|but|of|to|in|on|for|with|that|which|is|are|was|"
    r"were|be|as|by|from|at|because|if|when|while|so|than|then|this|these|its|their|toward|"
    r"towards|into|about|between|like|such|my|your|his|her|our|each|every|can|will|would|"
    r"should|could|has|have|had|not|very|more|most))\s*$",
    re.IGNORECASE,
)


QUALITY_RULES = {
    name: rule(f"quality.{name}", why)
    for name, why in {
        "empty_answer": "the answer is empty",
        "missing_answer": "the example has no assistant answer",
        "placeholder": "the answer holds placeholder text (lorem ipsum, TODO, [insert ...], {{...}})",
        "truncated": "the answer stops mid-sentence, leaves a code block or brackets open",
        "repeats_request": "the answer repeats the request (its instruction or its context passage)",
    }.items()
}


def issues(request: str, answer: str, min_repeat_chars: int = 12) -> list[tuple[str, float, str]]:
    """(issue, score, explanation) for one request/answer pair."""
    a = answer.strip()
    if not a:
        return [("empty_answer", 1.0, "the answer is empty")]
    out = []
    m = PLACEHOLDERS.search(a)
    if m:
        out.append(("placeholder", 0.9, f"the answer contains placeholder text ({m.group()[:40]!r})"))
    if a.count("```") % 2 == 1:
        out.append(("truncated", 0.8, "the answer opens a code block it never closes"))
    elif len(a.split()) >= 8 and _DANGLING.search(a) and not a.endswith(("...", "…")):
        out.append(("truncated", 0.6, f"the answer stops mid-sentence ({a[-30:]!r})"))
    elif a.count("(") > a.count(")") + 1 or a.count("[") > a.count("]") + 1:
        out.append(("truncated", 0.5, "the answer leaves brackets open"))
    r = request.strip()
    if len(a) >= min_repeat_chars and r:
        folded = a.casefold()

        def repeats(text: str, contained: bool = True) -> float | None:
            """The similarity when the answer repeats ``text`` (else None)."""
            sim = fuzz.ratio(folded, text.casefold()) / 100
            return sim if sim >= 0.9 or (contained and folded in text.casefold()) else None

        sim = repeats(r, contained=len(a) >= 0.5 * len(r))
        if sim is not None:
            inst, passage = instruction(r)
            copied = "its context passage" if passage and repeats(inst) is None else "the request"
            out.append(("repeats_request", round(max(sim, 0.8), 4), f"the answer just repeats {copied}"))
    return out


@register
class Quality(Detector):
    """Answers that are empty, cut off, placeholders, or a copy of the request."""

    name: ClassVar[str] = "quality"
    kinds: ClassVar[tuple[str, ...]] = ("quality",)

    min_repeat_chars: int = Field(12, ge=1, description="shorter answers are never called a repeat")

    def detect(self, ctx: ScanContext) -> list[Finding]:
        f = fields(ctx)
        if f.prompt_only:
            return []
        out = []
        for ex, req, ans in zip(ctx.examples, f.request, f.answer):
            if not ex.has_answer:
                found = [("missing_answer", 0.8, "the example has no assistant answer")]
            else:
                found = issues(req, ans, self.min_repeat_chars)
            for issue, score, why in found:
                out.append(
                    Finding(
                        kind="quality",
                        detector=f"{self.name}.{issue}",
                        rows=(ex.row,),
                        score=score,
                        reason=f"Row {ex.row}: {why}.",
                        evidence={"issue": issue, "answer_chars": len(ans), "rules": [{"id": QUALITY_RULES[issue].id}]},
                    )
                )
        return out
