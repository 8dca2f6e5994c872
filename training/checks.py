"""Automatic checks on a generated answer, one function per check type, one registry.

Check specs are dicts as in the demo's eval.jsonl:
``{"type": "contains_any", "values": [...]}`` (case-insensitive substring),
``{"type": "contains_none", "values": [...]}``, ``{"type": "asks_clarification"}``,
``{"type": "declines"}``, ``{"type": "max_words", "value": N}``,
``{"type": "language", "value": "es" | "de" | "en"}``.

The clarification, refusal and language checks are transparent heuristics (phrase lists and
stopword counts), not classifiers: good enough to score a 135M model's short answers, and
every decision can be explained by the phrase that matched.

Not handled: languages other than en/es/de/fr/it/pt for ``language``; refusals phrased
without any of the listed markers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

CLARIFY = re.compile(
    r"\b(could|can|would) you (please )?(clarify|specify|tell me|say|share|let me know|confirm|describe)"
    r"|\bdo you mean\b|\bwhich (one|plan|device|feature|app|tool|version|account|integration|workspace)\b"
    r"|\bwhat (exactly|do you mean|kind of)\b|\bplease (clarify|specify)\b|\bmore details?\b"
    r"|\bcould you be more specific\b|\bcuál\b|\bwelche[nrs]?\b|\bmeinen sie\b",
    re.IGNORECASE,
)
DECLINE = re.compile(
    r"\bI (can(not|'t|’t| not)|won'?t|will not|am (not able|unable)|'m (not able|unable)|do not|don'?t) "
    r"(help|assist|provide|share|do|answer|give|write|access|reveal|disclose|ignore|have access|follow"
    r"|comply|grant|change|offer|apply|create|generate|make|recommend|advise)"
    r"|\b(unable|not able) to (help|assist|provide|share|answer|do)\b|\bsorry\b|\bapologi[sz]e\b"
    r"|\b(outside|beyond) (of )?(my|the) (scope|area)|\bonly (help|assist|answer)( you)? with\b"
    r"|\bnot something I can\b|\bcan'?t help with\b|\bI'?m afraid\b"
    r"|\blo siento\b|\bno puedo\b|\bleider\b|\bkann ich (ihnen |dir )?nicht\b|\bich kann nicht\b",
    re.IGNORECASE,
)
_STOPWORD_TEXT = {
    "en": "the and is are you your to of in it for that this with can be on not have what how",
    "es": "el la los las de que y en es un una por para con no su se puede del al lo como",
    "de": "der die das und ist nicht sie ein eine zu den mit von auf für es im dem kann wie",
    "fr": "le la les et est vous de des un une pour que dans pas sur avec ce il au du",
    "it": "il la di che e è per non un una con sono del della gli le da si",
    "pt": "o a os as de que e é um uma para com não do da em no na se",
}
STOPWORDS = {lang: frozenset(text.split()) for lang, text in _STOPWORD_TEXT.items()}


def detect_language(text: str) -> str:
    """The language whose stopwords occur most often ('' when none occur)."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    scores = {lang: sum(w in sw for w in words) for lang, sw in STOPWORDS.items()}
    if re.search(r"[¿¡ñ]", text):
        scores["es"] += 2
    if re.search(r"[äöüß]", text.lower()):
        scores["de"] += 2
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else ""


def _contains_any(answer: str, spec: Mapping[str, Any]) -> bool:
    low = answer.lower()
    return any(str(v).lower() in low for v in spec["values"])


def _contains_none(answer: str, spec: Mapping[str, Any]) -> bool:
    return not _contains_any(answer, spec)


def _asks_clarification(answer: str, spec: Mapping[str, Any]) -> bool:
    return "?" in answer or bool(CLARIFY.search(answer))


def _declines(answer: str, spec: Mapping[str, Any]) -> bool:
    return bool(DECLINE.search(answer.replace("’", "'")))


def _max_words(answer: str, spec: Mapping[str, Any]) -> bool:
    return len(answer.split()) <= int(spec["value"])


def _language(answer: str, spec: Mapping[str, Any]) -> bool:
    return detect_language(answer) == spec["value"]


CHECKS: dict[str, Callable[[str, Mapping[str, Any]], bool]] = {
    "contains_any": _contains_any,
    "contains_none": _contains_none,
    "asks_clarification": _asks_clarification,
    "declines": _declines,
    "max_words": _max_words,
    "language": _language,
}


def run_check(spec: Mapping[str, Any], answer: str) -> bool:
    """Whether ``answer`` passes one check; unknown check types raise ValueError."""
    fn = CHECKS.get(spec.get("type", ""))
    if fn is None:
        raise ValueError(f"unknown check type {spec.get('type')!r}; known: {', '.join(CHECKS)}")
    return fn(answer, spec)


def run_checks(specs: Sequence[Mapping[str, Any]], answer: str) -> dict[str, Any]:
    """All checks of one item: ``passed`` (all passed; None without checks) and per-check results."""
    results = [run_check(s, answer) for s in specs]
    return {"passed": all(results) if results else None, "results": results}
