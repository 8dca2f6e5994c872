"""Evaluate one arm (the base model or one adapter) on a list of eval items.

An eval item is ``{"id", "messages", "reference"?, "category"?, "checks"?}``. Per item we record
the reference NLL (when there is a reference), the greedy answer, its token F1 and embedding
similarity to the reference, the automatic checks and the answer length. ``summarize`` turns
the per-item rows into arm-level means (overall and per category).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from training.checks import run_checks
from training.generate import GenerationCache, GenerationSettings, generate_answers
from training.metrics import Encoder, embedding_similarity, n_words, reference_nll, token_f1


def evaluate_model(
    model: Any,
    tokenizer: Any,
    items: Sequence[dict[str, Any]],
    model_key: str,
    settings: GenerationSettings,
    cache: GenerationCache | None = None,
    encoder: Encoder | None = None,
    nll_batch_size: int = 16,
    progress: Callable[[int, int], None] | None = None,
    desc: str = "evaluate",
) -> list[dict[str, Any]]:
    """Per-item metrics of the currently active adapter of ``model`` (see module docstring)."""
    prompts = [it["messages"] for it in items]
    with_ref = [i for i, it in enumerate(items) if it.get("reference")]
    nll = reference_nll(
        model,
        tokenizer,
        [prompts[i] for i in with_ref],
        [items[i]["reference"] for i in with_ref],
        nll_batch_size,
    )
    nll_by_item = dict(zip(with_ref, nll))
    answers = generate_answers(model, tokenizer, prompts, settings, model_key, cache, progress, desc)
    sims = (
        embedding_similarity([answers[i] for i in with_ref], [items[i]["reference"] for i in with_ref], encoder)
        if encoder is not None
        else []
    )
    sim_by_item = dict(zip(with_ref, sims))
    rows = []
    for i, (item, answer) in enumerate(zip(items, answers)):
        checks = run_checks(item.get("checks") or [], answer)
        ref = item.get("reference")
        mean_nll, n_tok = nll_by_item.get(i, (math.nan, 0))
        rows.append(
            {
                "id": item.get("id", str(i)),
                "category": item.get("category", ""),
                "answer": answer,
                "ref_nll": None if math.isnan(mean_nll) else mean_nll,
                "ref_tokens": n_tok,
                "token_f1": token_f1(answer, ref) if ref else None,
                "embed_sim": sim_by_item.get(i),
                "check_pass": None if checks["passed"] is None else float(checks["passed"]),
                "checks": checks["results"],
                "n_words": n_words(answer),
            }
        )
    return rows


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def summarize(rows: Sequence[dict[str, Any]], metrics: Sequence[str]) -> dict[str, Any]:
    """Arm-level means of ``metrics`` over all rows and per category (None when undefined)."""
    out: dict[str, Any] = {m: _mean([r.get(m) for r in rows]) for m in metrics}
    out["n"] = len(rows)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r.get("category") or "all"].append(r)
    if len(groups) > 1:
        out["by_category"] = {
            c: {"n": len(g), **{m: _mean([r.get(m) for r in g]) for m in metrics}} for c, g in sorted(groups.items())
        }
    return out
