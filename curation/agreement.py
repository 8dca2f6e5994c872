"""Agreement statistics: Cohen's kappa between two annotators, and the win rate of blind
A/B judgements with its Wilson interval and an exact test for left/right position bias.

Pure functions over plain values; no scipy needed (exact binomial sums are small here).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters over items (None without items; 1.0 when chance is certain)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval; ties counted as half a success make it slightly conservative."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - half) / (1 + z * z / n)), min(1.0, (centre + half) / (1 + z * z / n))


def binom_two_sided(k: int, n: int) -> float:
    """Exact two-sided binomial test p-value against p = 0.5."""
    if n == 0:
        return 1.0
    probs = [math.comb(n, i) / 2**n for i in range(n + 1)]
    return min(1.0, sum(p for p in probs if p <= probs[k] * (1 + 1e-9)))


def ab_summary(judgements: Sequence[dict], arm: str, other: str) -> dict[str, Any]:
    """Win rate of ``arm`` over ``other`` (ties and both-bad as half) with a 95% CI, and whether
    the left-shown answer wins more often than chance (position bias).

    A judgement is ``{"left": arm, "right": arm, "verdict": "A" | "B" | "tie" | "both_bad"}``;
    A is the left answer."""
    pair = [j for j in judgements if {j["left"], j["right"]} == {arm, other}]
    wins = sum((j["verdict"] == "A") == (j["left"] == arm) for j in pair if j["verdict"] in ("A", "B"))
    ties = sum(j["verdict"] in ("tie", "both_bad") for j in pair)
    decided = [j for j in pair if j["verdict"] in ("A", "B")]
    left = sum(j["verdict"] == "A" for j in decided)
    lo, hi = wilson(wins + ties / 2, len(pair))
    return {
        "arm": arm,
        "other": other,
        "n": len(pair),
        "wins": wins,
        "losses": len(decided) - wins,
        "ties": ties,
        "win_rate": (wins + ties / 2) / len(pair) if pair else None,
        "ci": (lo, hi),
        "left_wins": left,
        "right_wins": len(decided) - left,
        "position_p": binom_two_sided(left, len(decided)),
    }


def krippendorff_alpha(units: Sequence[Sequence[str]]) -> float | None:
    """Krippendorff's alpha for nominal labels: one list of labels per item (any number of
    annotators, items with fewer than two labels ignored). None without pairable labels;
    1.0 when every label is the same (nothing to disagree about)."""
    coincidence: Counter = Counter()
    for labels in units:
        m = len(labels)
        if m < 2:
            continue
        for i, a in enumerate(labels):
            for j, b in enumerate(labels):
                if i != j:
                    coincidence[(a, b)] += 1 / (m - 1)
    if not coincidence:
        return None
    totals: Counter = Counter()
    for (a, _), v in coincidence.items():
        totals[a] += v
    n = sum(totals.values())
    observed = sum(v for (a, b), v in coincidence.items() if a != b)
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (n - 1)
    return 1.0 if expected == 0 else 1 - observed / expected
