"""Paired comparison statistics: bootstrap CIs, exact sign tests, win rates, position bias.

Conventions: a paired comparison of arm A against reference B is oriented so that a positive
``difference`` means A is better (for a lower-is-better metric the difference is B - A). The
CI is a percentile bootstrap over prompts (resampling pairs, so the pairing is kept); the
p-value is the exact two-sided sign test on the non-tied pairs, which assumes nothing about the
distribution of the differences.

With several training seeds (``hierarchical_comparison``) the CI also carries the seed-to-seed
variation: each resample draws seeds with replacement, then prompts with replacement. The
prompt draw is shared by the drawn seeds because every seed is scored on the same prompts
(seeds and prompts are crossed, not nested): drawing prompts anew for each seed would treat a
hard prompt as independent noise per seed and make the CI too narrow.

Not handled: multiple-comparison correction (the report names one primary metric up front
and treats the rest as secondary), clustered resampling of prompts that share a fact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def _clean_pairs(a: Sequence[float | None], b: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} vs {len(b)}")
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None and not (math.isnan(x) or math.isnan(y))]
    arr = np.array(pairs, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def bootstrap_means(values: Sequence[float], n_boot: int = 10000, seed: int = 0) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement) of ``values``."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // max(1, x.size))  # bounded memory for large samples
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        means[start:stop] = x[rng.integers(0, x.size, size=(stop - start, x.size))].mean(axis=1)
    return means


def bootstrap_mean_ci(
    values: Sequence[float], n_boot: int = 10000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values``."""
    if len(values) == 0:
        return (math.nan, math.nan)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(bootstrap_means(values, n_boot, seed), [tail, 100 - tail])
    return float(lo), float(hi)


def sign_test(diffs: Sequence[float], tol: float = 0.0) -> dict[str, Any]:
    """Win/tie/loss counts of ``diffs`` (|d| <= tol is a tie) and the exact two-sided p-value."""
    from scipy.stats import binomtest

    d = np.asarray(diffs, dtype=float)
    wins, losses = int((d > tol).sum()), int((d < -tol).sum())
    ties = int(d.size - wins - losses)
    p = binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    return {"wins": wins, "ties": ties, "losses": losses, "p_value": float(p)}


def paired_comparison(
    arm: Sequence[float | None],
    reference: Sequence[float | None],
    higher_is_better: bool,
    n_boot: int = 10000,
    seed: int = 0,
    tol: float = 0.0,
) -> dict[str, Any]:
    """Arm vs reference on the same prompts: oriented mean difference, bootstrap CI, sign test."""
    a, b = _clean_pairs(arm, reference)
    d = (a - b) if higher_is_better else (b - a)
    lo = hi = math.nan
    p_boot = 1.0
    if d.size:
        means = bootstrap_means(d, n_boot, seed)
        lo, hi = (float(x) for x in np.percentile(means, [2.5, 97.5]))
        # two-sided bootstrap p-value of "mean difference = 0", consistent with the CI
        p_boot = min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
    out = {
        "n": int(d.size),
        "mean_arm": float(a.mean()) if a.size else math.nan,
        "mean_reference": float(b.mean()) if b.size else math.nan,
        "difference": float(d.mean()) if d.size else math.nan,
        "ci95_low": lo,
        "ci95_high": hi,
        **sign_test(d, tol),
    }
    out["p_value_bootstrap"] = float(p_boot)
    out["median_difference"] = float(np.median(d)) if d.size else math.nan
    out["significant"] = bool(d.size and (lo > 0 or hi < 0))
    return out


def hierarchical_comparison(
    arm: Sequence[Sequence[float | None]],
    reference: Sequence[Sequence[float | None]],
    higher_is_better: bool,
    n_boot: int = 10000,
    seed: int = 0,
    tol: float = 0.0,
) -> dict[str, Any]:
    """Arm vs reference over training seeds x prompts (``arm[s][i]``: seed s, prompt i).

    The difference is the mean over seeds and prompts; the 95% CI comes from resampling
    seeds, then prompts (see the module doc); wins/ties/losses and the sign test are over the
    per-prompt differences averaged over seeds. A prompt missing in any seed is left out.
    With one seed this is ``paired_comparison`` (the seed level is then not estimated:
    ``n_seeds`` says so)."""
    if len(arm) != len(reference) or not arm:
        raise ValueError(f"seed counts differ or are zero: {len(arm)} vs {len(reference)}")
    if len(arm) == 1:
        return {**paired_comparison(arm[0], reference[0], higher_is_better, n_boot, seed, tol), "n_seeds": 1}
    a = np.array([[math.nan if v is None else v for v in row] for row in arm], dtype=float)
    b = np.array([[math.nan if v is None else v for v in row] for row in reference], dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in shape: {a.shape} vs {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b)).any(axis=0)
    d = ((a - b) if higher_is_better else (b - a))[:, keep]
    n_seeds, n = d.shape
    lo = hi = math.nan
    p_boot = 1.0
    if n:
        rng = np.random.default_rng(seed)
        means = np.empty(n_boot)
        chunk = max(1, 2_000_000 // (n_seeds * n))
        for start in range(0, n_boot, chunk):
            k = min(n_boot, start + chunk) - start
            seeds = rng.integers(0, n_seeds, size=(k, n_seeds))
            prompts = rng.integers(0, n, size=(k, n))
            means[start : start + k] = d[seeds[:, :, None], prompts[:, None, :]].mean(axis=(1, 2))
        lo, hi = (float(x) for x in np.percentile(means, [2.5, 97.5]))
        p_boot = min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
    per_prompt = d.mean(axis=0)
    return {
        "n": int(n),
        "n_seeds": int(n_seeds),
        "mean_arm": float(a[:, keep].mean()) if n else math.nan,
        "mean_reference": float(b[:, keep].mean()) if n else math.nan,
        "difference": float(d.mean()) if n else math.nan,
        "ci95_low": lo,
        "ci95_high": hi,
        **sign_test(per_prompt, tol),
        "p_value_bootstrap": float(p_boot),
        "median_difference": float(np.median(per_prompt)) if n else math.nan,
        "significant": bool(n and (lo > 0 or hi < 0)),
        "seed_differences": [float(x) for x in d.mean(axis=1)],
    }


def _scores(outcomes: Sequence[Any]) -> np.ndarray:
    table = {"win": 1.0, "a": 1.0, "tie": 0.5, "loss": 0.0, "b": 0.0}
    vals = [table[o.lower()] if isinstance(o, str) else float(o) for o in outcomes]
    return np.asarray(vals, dtype=float)


def win_rate(outcomes: Sequence[Any], n_boot: int = 10000, seed: int = 0) -> dict[str, Any]:
    """Win rate of A over B with ties counted as half a win, bootstrap 95% CI, and sign test.

    Each outcome is 1 / "win" / "A" (A better), 0.5 / "tie", or 0 / "loss" / "B".
    """
    s = _scores(outcomes)
    lo, hi = bootstrap_mean_ci(s, n_boot, seed)
    test = sign_test(s - 0.5)
    return {
        "n": int(s.size),
        "win_rate": float(s.mean()) if s.size else math.nan,
        "ci95_low": lo,
        "ci95_high": hi,
        **test,
    }


def position_bias(picks: Sequence[str]) -> dict[str, Any]:
    """Does the judge prefer a side? ``picks`` are "left", "right" or "tie" (shown position
    of the chosen answer); exact two-sided binomial test of left vs right among non-ties."""
    from scipy.stats import binomtest

    left = sum(p == "left" for p in picks)
    right = sum(p == "right" for p in picks)
    ties = len(picks) - left - right
    n = left + right
    p = binomtest(left, n, 0.5).pvalue if n else 1.0
    return {
        "n": len(picks),
        "left": left,
        "right": right,
        "ties": ties,
        "left_rate": left / n if n else math.nan,
        "p_value": float(p),
        "biased": bool(n and p < 0.05),
    }
