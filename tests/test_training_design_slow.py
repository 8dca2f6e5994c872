"""The comparison's design with the real bundled SmolLM2: compute-matched arms over two seeds,
short references scored by the implied answer check."""

from __future__ import annotations

import pytest

from training.compare import run_comparison
from training.config import RunConfig

pytestmark = pytest.mark.slow


def qa(q: str, a: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]


COUNTRIES = [
    ("France", "Paris"),
    ("Japan", "Tokyo"),
    ("Italy", "Rome"),
    ("Egypt", "Cairo"),
    ("Peru", "Lima"),
    ("Kenya", "Nairobi"),
    ("Norway", "Oslo"),
    ("Chile", "Santiago"),
]
CURATED = [qa(f"What is the capital of {c}?", f"The capital of {c} is {v}.") for c, v in COUNTRIES]
BASELINE = CURATED + [qa(f"Which city is the capital of {c}?", f"The capital of {c} is Lyon.") for c, _ in COUNTRIES]
EVAL = [
    {"id": c, "messages": [{"role": "user", "content": f"Where is the seat of government of {c}?"}], "reference": v}
    for c, v in COUNTRIES
]
CFG = RunConfig(
    epochs=1,
    batch_size=4,
    max_seq_len=96,
    lora_r=4,
    lora_alpha=8,
    target_modules="attention",
    max_new_tokens=16,
    gen_batch_size=8,
    n_bootstrap=200,
    seeds=2,
)


def test_real_model_compute_matched_two_seeds(tmp_path):
    report = run_comparison({"curated": CURATED, "baseline": BASELINE}, EVAL, CFG, tmp_path, encoder=None)
    assert report["primary_metric"] == "check_pass" and report["design"]["steps"] == 4
    steps = {t["steps"] for by in report["training_by_seed"].values() for t in by.values()}
    assert steps == {4}
    assert report["arms"]["base"]["check_pass"] >= 0.5  # the base model knows most of these capitals
    assert report["comparisons"]["check_pass"]["curated_vs_baseline"]["n_seeds"] == 2
    assert report["tokens_seen"]["curated"] > 0 and report["tokens_seen"]["baseline"] > 0
