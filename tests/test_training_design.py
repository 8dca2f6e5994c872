"""The comparison's design: compute-matched steps, the primary metric rule, seeds with a
hierarchical bootstrap, and the breakdown by the finding kinds the decisions touched."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from training.breakdown import UNTOUCHED, groups, tag_eval_items, touched_kinds
from training.compare import run_comparison
from training.config import RunConfig
from training.design import choose_primary, plan, with_answer_checks
from training.registry import JsonRegistry
from training.stats import hierarchical_comparison
from training.tiny import tiny_loader


def qa(q: str, a: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]


GOOD = [qa(f"What is {i} plus {i}?", f"It is {2 * i}.") for i in range(24)]
NOISY = GOOD + [qa(f"What is {i} plus {i}?", f"Maybe {2 * i + 1}, I think, or so.") for i in range(24)]
CFG = RunConfig(
    precision="fp32",
    device="cpu",
    epochs=1,
    batch_size=8,
    learning_rate=5e-3,
    lora_r=4,
    lora_alpha=8,
    max_new_tokens=4,
    gen_batch_size=8,
    n_bootstrap=200,
    checkpoint_every=50,
)


def item(i: int, reference: str, checks=None, kinds=None) -> dict:
    out = {"id": f"e{i}", "messages": [{"role": "user", "content": f"Add {i} and {i}."}], "reference": reference}
    if checks is not None:
        out["checks"] = checks
    if kinds is not None:
        out["finding_kinds"] = kinds
    return out


# ---- primary metric, named before the run ---------------------------------------------------


@pytest.mark.parametrize(
    "refs, checks, expected",
    [
        (["Paris.", "42", "The Euro."], None, "check_pass"),
        (["Paris is the capital and largest city of France."] * 3, None, "ref_nll"),
        (["Paris is the capital and largest city of France."] * 3, [{"type": "declines"}], "check_pass"),
        (
            ["Paris.", "A long answer that has many more words than five.", "Another long reference answer is here."],
            None,
            "ref_nll",
        ),
        (["one two three four five"] * 2 + ["one two three four five six"], None, "check_pass"),
    ],
    ids=["short-refs", "long-refs", "long-refs-with-checks", "minority-short", "five-words-is-short"],
)
def test_the_primary_metric_fits_the_eval(refs, checks, expected):
    items = [item(i, r, checks) for i, r in enumerate(refs)]
    metric, reason = choose_primary(items)
    assert metric == expected and "eval prompts" in reason


def test_a_named_primary_metric_is_kept_and_an_unknown_one_refused():
    assert choose_primary([item(0, "Paris.")], "ref_nll")[0] == "ref_nll"
    with pytest.raises(ValueError):
        choose_primary([item(0, "Paris.")], "n_words")


def test_a_short_reference_without_checks_gets_the_implied_contains_check():
    items = with_answer_checks(
        [item(0, "Paris."), item(1, "a long reference of many words here"), item(2, "42", [{"type": "declines"}])]
    )
    assert items[0]["checks"][0]["values"] == ["Paris"]
    assert "checks" not in items[1] and items[2]["checks"] == [{"type": "declines"}]


# ---- step budget ---------------------------------------------------------------------------


def test_the_step_budget_is_the_baselines_epochs_and_one_for_all_arms():
    arms = {"curated": GOOD, "baseline": NOISY}
    design = plan(arms, [item(0, "x")], CFG.with_(epochs=2))
    assert design.match == "steps" and design.steps == 12  # 48 rows / 8 per step x 2 epochs
    assert plan(arms, [item(0, "x")], CFG.with_(max_steps=5)).steps == 5
    epochs = plan(arms, [item(0, "x")], CFG.with_(match="epochs"))
    assert epochs.steps is None and "epoch" in epochs.budget_source


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("design")
    evals = [
        item(
            i, f"It is {2 * i}.", [{"type": "contains_any", "values": [str(2 * i)]}], ["contradiction"] if i % 2 else []
        )
        for i in range(30, 38)
    ]
    report = run_comparison(
        {"curated": GOOD, "baseline": NOISY}, evals, CFG.with_(seeds=2), out, encoder=None, model_loader=tiny_loader
    )
    torch.set_num_threads(n)
    return out, report


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_every_arm_and_seed_trains_the_same_steps_and_reports_tokens_seen(seeded):
    out, report = seeded
    steps = {(s, a): t["steps"] for s, by in report["training_by_seed"].items() for a, t in by.items()}
    assert set(steps) == {(s, a) for s in ("0", "1") for a in ("curated", "baseline", "random")}
    assert set(steps.values()) == {6} == {report["design"]["steps"]}  # 48 baseline rows, 1 epoch
    assert report["training"]["curated"]["steps_per_epoch"] == 3  # so curated saw two epochs
    tokens = report["tokens_seen"]
    assert all(tokens[a] > 0 for a in ("curated", "baseline", "random"))
    assert tokens["curated"] != tokens["baseline"]  # same steps, different rows
    runs = JsonRegistry(out / "runs.json").runs()
    assert len(runs) == 6 and all(r["config"]["max_steps"] == 6 for r in runs.values())
    assert "6 optimizer steps" in (out / "report.md").read_text()


def test_seeds_give_a_hierarchical_ci_and_rows_per_seed(seeded):
    out, report = seeded
    head = report["comparisons"][report["primary_metric"]]["curated_vs_baseline"]
    assert head["n_seeds"] == 2 and len(head["seed_differences"]) == 2
    assert report["difference"] == pytest.approx(np.mean(head["seed_differences"]))
    rows = [json.loads(line) for line in (out / "eval_rows.jsonl").read_text().splitlines()]
    assert sorted({(r["arm"], r["seed"]) for r in rows}) == sorted(
        [("base", 0)] + [(a, s) for a in ("curated", "baseline", "random") for s in (0, 1)]
    )


def test_the_report_breaks_the_metrics_down_by_finding_kind(seeded):
    _, report = seeded
    kinds = report["by_finding_kind"]["curated_vs_baseline"]
    assert set(kinds) == {"contradiction", UNTOUCHED}
    assert kinds["contradiction"][report["primary_metric"]]["n"] == 4
    assert kinds[UNTOUCHED]["ref_nll"]["n"] == 4


def test_epoch_matched_runs_give_the_smaller_arm_fewer_steps(tmp_path):
    report = run_comparison(
        {"curated": GOOD, "baseline": NOISY},
        [item(40, "It is 80.")],
        CFG.with_(match="epochs", max_new_tokens=2),
        tmp_path,
        encoder=None,
        model_loader=tiny_loader,
    )
    steps = {a: t["steps"] for a, t in report["training"].items()}
    assert steps == {"curated": 3, "baseline": 6, "random": 3}
    assert report["design"]["match"] == "epochs"


# ---- hierarchical bootstrap ----------------------------------------------------------------


def crossed(rng, n_seeds: int, n_prompts: int, mu=0.2, seed_sd=0.3, prompt_sd=0.5, noise_sd=0.3):
    """seed x prompt differences with a seed effect and a prompt effect shared by all seeds."""
    d = (
        mu
        + rng.normal(0, seed_sd, (n_seeds, 1))
        + rng.normal(0, prompt_sd, (1, n_prompts))
        + rng.normal(0, noise_sd, (n_seeds, n_prompts))
    )
    return d.tolist(), np.zeros_like(d).tolist()


def test_fewer_seeds_give_a_wider_ci_when_seeds_vary():
    rng = np.random.default_rng(0)
    widths = {}
    for n_seeds in (3, 12):
        w = []
        for rep in range(30):
            a, b = crossed(rng, n_seeds, 60)
            c = hierarchical_comparison(a, b, True, n_boot=400, seed=rep)
            w.append(c["ci95_high"] - c["ci95_low"])
        widths[n_seeds] = np.mean(w)
    assert widths[3] > 1.3 * widths[12]


def test_the_hierarchical_ci_covers_the_true_mean_at_about_the_nominal_rate():
    rng = np.random.default_rng(1)
    hits, reps = 0, 120
    for rep in range(reps):
        a, b = crossed(rng, 8, 40)
        c = hierarchical_comparison(a, b, True, n_boot=400, seed=rep)
        hits += c["ci95_low"] <= 0.2 <= c["ci95_high"]
    assert 0.85 <= hits / reps <= 1.0


def test_a_prompt_only_bootstrap_would_undercover_what_seeds_vary():
    """The reason for resampling seeds: with one seed's CI per run, the seed effect is missed."""
    rng = np.random.default_rng(2)
    hits_h = hits_1 = 0
    for rep in range(80):
        a, b = crossed(rng, 4, 40, seed_sd=0.6, prompt_sd=0.1, noise_sd=0.1)
        h = hierarchical_comparison(a, b, True, n_boot=300, seed=rep)
        one = hierarchical_comparison(a[:1], b[:1], True, n_boot=300, seed=rep)
        hits_h += h["ci95_low"] <= 0.2 <= h["ci95_high"]
        hits_1 += one["ci95_low"] <= 0.2 <= one["ci95_high"]
    assert hits_h / 80 > 0.75 and hits_1 / 80 < 0.4


def test_hierarchical_comparison_orients_skips_missing_and_reduces_to_one_seed():
    out = hierarchical_comparison([[1.0, None, 3.0], [2.0, 5.0, 4.0]], [[0.0, 0.0, 0.0]] * 2, False, n_boot=100)
    assert out["n"] == 2 and out["difference"] == pytest.approx(-2.5)  # lower is better: ref - arm
    assert hierarchical_comparison([[1.0, 2.0]], [[0.0, 0.0]], True, n_boot=50)["n_seeds"] == 1
    with pytest.raises(ValueError):
        hierarchical_comparison([[1.0]], [[1.0], [2.0]], True)


# ---- breakdown by finding kind -------------------------------------------------------------


def test_eval_prompts_are_tagged_by_the_decisions_on_their_nearest_training_request():
    findings = [
        SimpleNamespace(finding_id="c1", kind="contradiction", rows=[0, 1]),
        SimpleNamespace(finding_id="d0", kind="duplicate", rows=[1, 5]),  # a rewording of row 1
        SimpleNamespace(finding_id="d1", kind="duplicate", rows=[2, 3]),
        SimpleNamespace(finding_id="d2", kind="duplicate", rows=[6, 7]),  # confirmed: no change
        SimpleNamespace(finding_id="g1", kind="coverage_gap", rows=[4]),
    ]
    dropped = SimpleNamespace(finding_id="c1", action="drop")
    merged = SimpleNamespace(finding_id=None, action="merge")  # names no finding: the row's findings
    confirmed = SimpleNamespace(finding_id="d2", action="keep")
    curated_rows = [
        SimpleNamespace(row=0, decision=dropped),
        SimpleNamespace(row=1, decision=None),
        SimpleNamespace(row=2, decision=merged),
        SimpleNamespace(row=3, decision=merged),
        SimpleNamespace(row=4, decision=SimpleNamespace(finding_id=None, action="drop")),
        SimpleNamespace(row=6, decision=confirmed),
        SimpleNamespace(row=7, decision=confirmed),
        SimpleNamespace(row=None, decision=dropped),
    ]
    kinds = touched_kinds(curated_rows, findings)
    assert kinds == {
        0: {"contradiction"},
        1: {"contradiction"},
        5: {"contradiction"},
        2: {"duplicate"},
        3: {"duplicate"},
    }
    requests = {
        1: "Which city is the capital of Lithuania?",
        5: "Name the capital city of Lithuania.",
        2: "What is the currency of Peru?",
        3: "What is the currency of Peru?",
        4: "What is the capital of Chad?",
        6: "What is the capital of Chile?",
    }
    items = [
        {"id": x, "messages": [{"role": "user", "content": q}]}
        for x, q in (
            ("lt", "Where is the seat of government of Lithuania?"),
            ("pe", "What money do I bring to Peru?"),
            ("td", "Where is the seat of government of Chad?"),
            ("none", "Write a haiku about autumn leaves."),
        )
    ]
    tagged = tag_eval_items(items, requests, kinds)
    assert [t["finding_kinds"] for t in tagged] == [["contradiction"], ["duplicate"], [], []]
    assert tagged[0]["nearest_row"] in (1, 5) and tagged[3]["nearest_row"] is None
    assert groups(tagged) == {"contradiction": [0], "duplicate": [1], UNTOUCHED: [2, 3]}
