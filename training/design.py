"""The design of a comparison, decided before any arm trains: the primary metric and the
step budget.

- **Primary metric.** ``config.primary_metric = "auto"`` picks it from the eval set alone:
  when most eval prompts have answer checks or a short reference (``SHORT_REFERENCE_WORDS``
  words or fewer), the check pass rate is primary and ``ref_nll`` secondary, because a short
  reference is a fact the answer should contain, and the NLL of its exact wording mostly
  measures answer style ("Paris." vs "The capital is Paris."). Otherwise ``ref_nll``. A short
  reference without checks gets the implied check "the answer contains the reference"
  (``with_answer_checks``). A metric named in the config is used as it is.
- **Step budget.** With ``match = "steps"`` (the default) every arm trains the same number of
  optimizer steps: ``max_steps`` when set, else what the baseline would take for ``epochs``
  passes. A curated set that merged duplicates is smaller; at equal epochs it would get fewer
  steps and lose for that reason alone. With ``match = "epochs"`` each arm trains ``epochs``
  passes over its own data.

Not handled: token-matched budgets (arms whose rows differ a lot in length see different
token counts at equal steps; the report shows tokens seen per arm so a reader can tell).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from training.config import RunConfig
from training.metrics import METRICS

SHORT_REFERENCE_WORDS = 5


@dataclass(frozen=True)
class Design:
    primary_metric: str
    primary_reason: str
    match: str
    steps: int | None  # the shared step budget (None when epoch-matched)
    budget_source: str
    seeds: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seeds": list(self.seeds)}

    def describe(self) -> str:
        budget = (
            f"every arm trains {self.steps} optimizer steps ({self.budget_source})"
            if self.steps
            else f"every arm trains {self.budget_source}"
        )
        return (
            f"primary metric: {self.primary_metric} ({self.primary_reason}); {budget}; "
            f"seeds {', '.join(map(str, self.seeds))}"
        )


def is_short(reference: str) -> bool:
    return 0 < len(reference.split()) <= SHORT_REFERENCE_WORDS


def choose_primary(items: Sequence[Mapping[str, Any]], requested: str = "auto") -> tuple[str, str]:
    """The primary metric for these eval items and why (see the module doc)."""
    if requested != "auto":
        if METRICS.get(requested) is None:
            choices = [m for m, h in METRICS.items() if h is not None]
            raise ValueError(f"primary_metric must be 'auto' or one of {choices}")
        return requested, "named in the config"
    n = len(items)
    checked = sum(1 for it in items if it.get("checks"))
    short = sum(1 for it in items if is_short(str(it.get("reference") or "")))
    scorable = sum(1 for it in items if it.get("checks") or is_short(str(it.get("reference") or "")))
    counts = (
        f"{checked} of {n} eval prompts have answer checks, {short} a reference of "
        f"{SHORT_REFERENCE_WORDS} words or fewer"
    )
    if n and scorable * 2 > n:
        return "check_pass", counts + "; ref_nll is secondary"
    return "ref_nll", counts + "; too few for a check pass rate"


def with_answer_checks(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items, where a short reference without checks gets the implied check "the answer
    contains the reference" (case-insensitive, without its final punctuation)."""
    out = []
    for it in items:
        ref = str(it.get("reference") or "")
        if not it.get("checks") and is_short(ref):
            value = re.sub(r"[\s.!?;:,]+$", "", ref.strip())
            it = {**it, "checks": [{"type": "contains_any", "values": [value], "implied": True}]}
        out.append(it)
    return out


def steps_per_epoch(n_rows: int, config: RunConfig) -> int:
    """Optimizer steps of one pass over ``n_rows`` conversations (as the trainer counts)."""
    return max(1, math.ceil(math.ceil(n_rows / config.batch_size) / config.grad_accum))


def plan(arms: Mapping[str, Sequence[Any]], eval_items: Sequence[Mapping[str, Any]], config: RunConfig) -> Design:
    """The design of a comparison of ``arms`` (which must include ``baseline``) on ``eval_items``."""
    metric, reason = choose_primary(eval_items, config.primary_metric)
    seeds = tuple(range(config.seed, config.seed + config.seeds))
    if config.match == "epochs":
        what = f"{config.max_steps} steps" if config.max_steps else f"{config.epochs:g} epoch(s) of its own data"
        return Design(metric, reason, "epochs", None, what, seeds)
    if config.max_steps:
        return Design(metric, reason, "steps", config.max_steps, "max_steps in the config", seeds)
    n = len(arms["baseline"])
    steps = max(1, math.ceil(config.epochs * steps_per_epoch(n, config)))
    source = f"the baseline's {config.epochs:g} epoch(s) of {n} rows at batch {config.batch_size * config.grad_accum}"
    return Design(metric, reason, "steps", steps, source, seeds)


def arm_config(config: RunConfig, design: Design, seed: int) -> RunConfig:
    """The training config of one arm and seed under ``design``."""
    if design.steps:
        return config.with_(max_steps=design.steps, seed=seed)
    return config.with_(seed=seed)
