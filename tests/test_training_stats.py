"""Paired bootstrap, sign test, win rate and position bias on synthetic data with known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.stats import bootstrap_mean_ci, paired_comparison, position_bias, sign_test, win_rate


def test_bootstrap_ci_covers_the_true_mean_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    true_mean, hits, reps = 0.3, 0, 200
    for rep in range(reps):
        sample = rng.normal(true_mean, 1.0, size=60)
        lo, hi = bootstrap_mean_ci(sample, n_boot=1000, seed=rep)
        hits += lo <= true_mean <= hi
    assert 0.88 <= hits / reps <= 0.99


def test_bootstrap_ci_is_deterministic_for_a_seed():
    x = np.arange(30, dtype=float)
    assert bootstrap_mean_ci(x, 500, seed=1) == bootstrap_mean_ci(x, 500, seed=1)


@pytest.mark.parametrize(
    "diffs, wins, ties, losses, p",
    [
        ([1] * 8 + [-1] * 2, 8, 0, 2, 0.109375),  # 2 * P(X <= 2 | n=10, p=.5) = 112/1024
        ([1] * 10, 10, 0, 0, 2 / 1024),
        ([0.0] * 5, 0, 5, 0, 1.0),
        ([1, -1, 0, 1, -1], 2, 1, 2, 1.0),
    ],
    ids=["8-2", "10-0", "all-ties", "balanced"],
)
def test_sign_test_exact_values(diffs, wins, ties, losses, p):
    out = sign_test(diffs)
    assert (out["wins"], out["ties"], out["losses"]) == (wins, ties, losses)
    assert out["p_value"] == pytest.approx(p)


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_paired_comparison_is_oriented_so_positive_means_arm_better(higher_is_better):
    rng = np.random.default_rng(1)
    ref = rng.normal(2.0, 0.5, size=80)
    shift = 0.2 if higher_is_better else -0.2  # the arm is better either way
    arm = ref + shift + rng.normal(0, 0.05, size=80)
    out = paired_comparison(list(arm), list(ref), higher_is_better, n_boot=2000)
    assert out["difference"] == pytest.approx(0.2, abs=0.02)
    assert out["ci95_low"] > 0 and out["significant"]
    assert out["wins"] > 70 and out["p_value"] < 1e-10


def test_paired_comparison_skips_missing_pairs_and_rejects_unequal_lengths():
    out = paired_comparison([1.0, None, 3.0, math.nan], [0.0, 1.0, 1.0, 1.0], True, n_boot=100)
    assert out["n"] == 2 and out["difference"] == pytest.approx(1.5)
    with pytest.raises(ValueError):
        paired_comparison([1.0], [1.0, 2.0], True)


def test_null_effect_ci_contains_zero():
    rng = np.random.default_rng(2)
    ref = rng.normal(0, 1, size=100)
    arm = ref + rng.normal(0, 1, size=100) * 0.01
    out = paired_comparison(list(arm - np.mean(arm - ref)), list(ref), True, n_boot=2000)
    assert out["ci95_low"] < 0 < out["ci95_high"] and not out["significant"]


def test_win_rate_counts_ties_as_half():
    out = win_rate(["A"] * 6 + ["tie"] * 2 + ["B"] * 2, n_boot=2000)
    assert out["win_rate"] == pytest.approx(0.7)
    assert (out["wins"], out["ties"], out["losses"]) == (6, 2, 2)
    assert out["ci95_low"] < 0.7 < out["ci95_high"]
    assert win_rate([1, 0.5, 0])["win_rate"] == pytest.approx(0.5)


def test_position_bias():
    biased = position_bias(["left"] * 40 + ["right"] * 10 + ["tie"] * 5)
    assert biased["biased"] and biased["left_rate"] == pytest.approx(0.8) and biased["ties"] == 5
    fair = position_bias(["left", "right"] * 20)
    assert not fair["biased"] and fair["p_value"] == pytest.approx(1.0)


def test_bootstrap_p_value_agrees_with_the_ci():
    rng = np.random.default_rng(3)
    clear = paired_comparison(list(rng.normal(1, 1, 100)), [0.0] * 100, True, n_boot=2000)
    assert clear["ci95_low"] > 0 and clear["p_value_bootstrap"] < 0.05
    null = paired_comparison(list(rng.normal(0, 1, 100)), [0.0] * 100, True, n_boot=2000)
    assert (null["ci95_low"] < 0 < null["ci95_high"]) == (null["p_value_bootstrap"] >= 0.05)
