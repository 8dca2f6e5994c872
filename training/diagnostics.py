"""Diagnostics beside the headline comparison: forgetting and LoRA rank use.

- Forgetting: general prompts (outside the training domain) answered by the base model and by
  each adapter; a drop in check pass rate or a rise in reference NLL means the adapter traded
  general ability for the domain.
- Rank: the singular values of each layer's learned update ``scaling * B @ A``. When the top
  half of the rank carries nearly all of the energy, a smaller rank would have done; a flat
  spectrum means the rank was used fully (saturated) and a larger one might learn more.
  The SVD is taken of the r x r core of the QR factors of B and A^T, so it costs O(d r^2).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from training.stats import paired_comparison


def forgetting(general: dict[str, Sequence[dict[str, Any]]], n_boot: int = 5000, seed: int = 0) -> dict[str, Any]:
    """Each adapter vs ``general["base"]`` on general prompts (check pass rate, reference NLL)."""
    base = general["base"]
    out: dict[str, Any] = {}
    for arm, rows in general.items():
        if arm == "base":
            continue
        entry: dict[str, Any] = {}
        for metric, higher in (("check_pass", True), ("ref_nll", False)):
            comp = paired_comparison([r[metric] for r in rows], [r[metric] for r in base], higher, n_boot, seed)
            if comp["n"]:
                entry[metric] = {
                    "arm": comp["mean_arm"],
                    "base": comp["mean_reference"],
                    "change": comp["mean_arm"] - comp["mean_reference"],
                    "ci95_low": comp["ci95_low"],
                    "ci95_high": comp["ci95_high"],
                    "worse_than_base": bool(comp["ci95_high"] < 0),
                }
        out[arm] = entry
    return out


def update_spectrum(lora_a: Any, lora_b: Any, scaling: float) -> list[float]:
    """Singular values of ``scaling * B @ A`` (descending)."""
    import torch

    a = lora_a.detach().double().cpu()  # r x in
    b = lora_b.detach().double().cpu()  # out x r
    _, rb = torch.linalg.qr(b)
    _, ra = torch.linalg.qr(a.T)
    return [float(s) * abs(scaling) for s in torch.linalg.svdvals(rb @ ra.T)]


def spectrum_stats(s: Sequence[float]) -> dict[str, float]:
    """Effective rank (exp of the entropy of s / sum s), stable rank, energy in the top k."""
    total, energy = sum(s), sum(x * x for x in s)
    r = len(s)
    if total <= 0:
        return {
            "effective_rank": 0.0,
            "stable_rank": 0.0,
            "energy_top_quarter": math.nan,
            "energy_top_half": math.nan,
        }
    p = [x / total for x in s if x > 0]

    def top(k: int) -> float:
        return sum(x * x for x in s[: max(1, k)]) / energy

    return {
        "effective_rank": math.exp(-sum(q * math.log(q) for q in p)),
        "stable_rank": energy / (s[0] ** 2),
        "energy_top_quarter": top(r // 4),
        "energy_top_half": top(r // 2),
    }


def rank_report(model: Any, adapter_name: str) -> dict[str, Any]:
    """Per module type: mean effective rank and energy share of the top half of the rank."""
    from peft.tuners.lora import LoraLayer

    per_type: dict[str, list[dict[str, float]]] = defaultdict(list)
    r = 0
    for name, module in model.named_modules():
        if isinstance(module, LoraLayer) and adapter_name in getattr(module, "lora_A", {}):
            a, b = module.lora_A[adapter_name].weight, module.lora_B[adapter_name].weight
            r = a.shape[0]
            per_type[name.rsplit(".", 1)[-1]].append(
                spectrum_stats(update_spectrum(a, b, module.scaling[adapter_name]))
            )
    types = {
        t: {k: sum(x[k] for x in rows) / len(rows) for k in rows[0]} | {"layers": len(rows)}
        for t, rows in per_type.items()
    }
    allrows = [x for rows in per_type.values() for x in rows]
    if not allrows:
        return {"rank": r, "modules": {}, "verdict": "no LoRA layers found"}
    eff = sum(x["effective_rank"] for x in allrows) / len(allrows)
    half = sum(x["energy_top_half"] for x in allrows) / len(allrows)
    if half >= 0.9:
        verdict = (
            f"not saturated: the top {r // 2} of {r} directions hold {half:.0%} of the update; a smaller rank would do"
        )
    else:
        verdict = (
            f"saturated: the update spreads over the rank (top half holds {half:.0%}); a larger rank may learn more"
        )
    return {
        "rank": r,
        "mean_effective_rank": eff,
        "mean_energy_top_half": half,
        "modules": types,
        "verdict": verdict,
    }
