"""The comparison: arms that differ only in data, evaluated against each other and the base model.

``run_comparison`` first fixes the design (``training.design``: the primary metric, from the
eval set, and one step budget for every arm, so a smaller curated set is not also a shorter
training), then trains one adapter per arm and seed (``curated``, ``baseline``, and
``random``, a random subset of the baseline of the curated size, unless the caller supplies
one), loads the base model ONCE with every adapter attached, evaluates the base model and
each adapter on the same eval prompts, and compares curated with baseline (and with the
random control) on the primary metric, overall, per eval category and per finding kind the
decisions touched (``training.breakdown``). The report shows the tokens each arm saw.

Reruns are cheap: finished trainings are reused (same config + data hash), interrupted ones
resume from their last checkpoint, and generations come from the on-disk cache.

Output folder: ``runs/<arm>-<key>/`` (one training each), ``runs.json`` (JSON registry unless
another is passed), ``generations.jsonl`` (cache), ``eval_rows.jsonl`` (per prompt and arm),
``status.json`` (overall progress), ``report.json`` and ``report.md``.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.card import add_evaluation, comparison_summary
from training import breakdown
from training.config import RunConfig
from training.data import Conversation, conversations_hash
from training.design import arm_config, plan, with_answer_checks
from training.diagnostics import forgetting, rank_report
from training.evaluate import evaluate_model, summarize
from training.generate import BASE, GenerationCache, GenerationSettings, active_adapter
from training.metrics import DESCRIPTIONS, METRICS, Encoder, default_encoder
from training.model import adapter_hash, attach_adapters, load_base
from training.registry import JsonRegistry, RunRegistry
from training.report import write_report
from training.split import check_leakage, random_control, split_eval
from training.stats import hierarchical_comparison
from training.checkpoint import write_json
from training.trainer import ModelLoader, Progress, TrainResult, train

CONTROL = "random"
__all__ = ["run_comparison", "split_eval", "check_leakage", "random_control", "CONTROL"]


class _Tracker:
    """Overall progress over equal-weight stages, to a callback and ``status.json``."""

    def __init__(self, out_dir: Path, n_stages: int, progress: Progress | None) -> None:
        self.out_dir, self.n, self.progress, self.done = out_dir, n_stages, progress, 0
        self.started = time.time()

    def emit(self, stage: str, fraction: float, state: str = "running", **detail: Any) -> None:
        info = {
            "phase": "compare",
            "state": state,
            "stage": stage,
            "stages_done": self.done,
            "stages": self.n,
            "fraction": round(min(1.0, (self.done + fraction) / self.n), 4),
            "elapsed_s": round(time.time() - self.started, 1),
            "detail": detail,
            "updated": time.time(),
        }
        write_json(self.out_dir / "status.json", info)
        if self.progress is not None:
            self.progress(info)

    def train_cb(self, stage: str) -> Progress:
        return lambda d: self.emit(stage, d["step"] / max(1, d["total_steps"]), **d)

    def count_cb(self, stage: str) -> Callable[[int, int], None]:
        return lambda k, n: self.emit(stage, k / max(1, n), done=k, total=n)

    def finish_stage(self, stage: str) -> None:
        self.done += 1
        self.emit(stage, 0.0)


def run_comparison(
    arms: Mapping[str, Sequence[Conversation]],
    eval_items: Sequence[dict[str, Any]],
    config: RunConfig,
    out_dir: str | Path,
    progress: Progress | None = None,
    registry: RunRegistry | None = None,
    general_items: Sequence[dict[str, Any]] | None = None,
    encoder: Encoder | str | None = "default",
    model_loader: ModelLoader = load_base,
    data_info: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train every arm, evaluate base + arms, compare; returns the report (also written to disk).

    ``arms`` must hold ``curated`` and ``baseline``; ``random`` is drawn from the baseline
    (with each training seed) if absent; further arms are trained and compared with the
    baseline too. The primary metric and the step budget are decided first, from the inputs
    alone (``training.design.plan``). Each arm trains once per seed in ``config.seeds``.
    ``encoder``: "default" (MiniLM), an object with ``encode``, or None (no embedding metric).
    ``data_info`` (how the arms were built, ``training.arms.Arms.info``) goes into the report.
    Eval items tagged by ``training.breakdown`` get a comparison per finding kind.

    Five named stages, each a function of what the ones before produced: ``_build_arms``
    (design, random control, leakage check, eval subsample), ``_train_arms``,
    ``_evaluate_arms``, ``_compare_arms`` and ``_report``.
    """
    run = _build_arms(arms, eval_items, config, out_dir, progress, registry, general_items)
    _train_arms(run, model_loader)
    _evaluate_arms(run, encoder, model_loader)
    comparisons = _compare_arms(run)
    return _report(run, comparisons, data_info)


@dataclass
class _Run:
    """One comparison as its stages fill it in."""

    config: RunConfig
    design: Any
    out: Path
    arms: dict[str, list[Conversation]]
    given_control: bool
    items: list[dict[str, Any]]
    leakage: Any
    general: list[dict[str, Any]]
    registry: RunRegistry
    tracker: _Tracker
    t_start: float
    timings: dict[str, float] = field(default_factory=dict)
    trained: dict[str, dict[int, TrainResult]] = field(default_factory=dict)
    evals: dict[str, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)  # arm -> seed -> rows
    gen_evals: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rank: dict[str, Any] = field(default_factory=dict)

    @property
    def seeds(self) -> list[int]:
        return list(self.design.seeds)


def _build_arms(arms, eval_items, config, out_dir, progress, registry, general_items) -> _Run:
    """Stage 1: the design (fixed before anything trains), the arms with the random control,
    the eval prompts left after the leakage check, the general prompts."""
    if not {"curated", "baseline"} <= set(arms):
        raise ValueError("arms must include 'curated' and 'baseline'")
    design = plan(arms, eval_items, config)
    t_start = time.time()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arms = {k: list(v) for k, v in arms.items()}
    given_control = CONTROL in arms
    arms.setdefault(CONTROL, random_control(arms["baseline"], len(arms["curated"]), config.seed))
    items, leakage = check_leakage(with_answer_checks(eval_items), arms, config.leakage_jaccard)
    items = _subsample(items, config.max_eval_items, f"eval:{config.seed}")
    general = _subsample(list(general_items or []), config.max_general_items, f"general:{config.seed}")
    if not items:
        raise ValueError("no eval items left after the leakage check")
    registry = registry or JsonRegistry(out / "runs.json")
    n_runs = len(arms) * len(design.seeds)
    tracker = _Tracker(out, 2 * n_runs + 2, progress)
    tracker.emit("design", 0.0, design=design.describe())
    return _Run(config, design, out, arms, given_control, items, leakage, general, registry, tracker, t_start)


def _train_arms(run: _Run, model_loader: ModelLoader) -> None:
    """Stage 2: every arm at every seed, each recorded in the run registry."""
    config, design = run.config, run.design
    run.trained = {name: {} for name in run.arms}
    for seed in design.seeds:
        for name, convs in run.arms.items():
            if name == CONTROL and not run.given_control and seed != config.seed:
                convs = random_control(run.arms["baseline"], len(run.arms["curated"]), seed)
            stage = name if len(design.seeds) == 1 else f"{name} seed {seed}"
            t0 = time.time()
            run.trained[name][seed] = _train_arm(
                name,
                convs,
                arm_config(config, design, seed),
                run.out,
                run.registry,
                run.tracker.train_cb(f"train {stage}"),
                model_loader,
            )
            run.timings[f"train_{stage.replace(' ', '_')}"] = time.time() - t0
            run.tracker.finish_stage(f"train {stage}")


def _evaluate_arms(run: _Run, encoder: Encoder | str | None, model_loader: ModelLoader) -> None:
    """Stage 3: the base model and every adapter on the eval prompts (and the general ones)."""
    config = run.config
    t0 = time.time()
    base, tok = model_loader(config)
    adapters = {_adapter_name(n, s, config.seed): r.adapter_dir for n, by in run.trained.items() for s, r in by.items()}
    model = attach_adapters(base, adapters)
    enc = default_encoder() if encoder == "default" else encoder
    settings = GenerationSettings(config.max_new_tokens, config.gen_batch_size)
    cache = GenerationCache(run.out / "generations.jsonl")
    keys = {
        BASE: f"base:{config.base_model}:{config.gguf_file}",
        **{a: adapter_hash(d) for a, d in adapters.items()},
    }
    runs = [(BASE, config.seed)] + [(n, s) for s in run.seeds for n in run.arms]
    for arm, seed in runs:
        t1 = time.time()
        label = BASE if arm == BASE else _adapter_name(arm, seed, config.seed)
        with active_adapter(model, label):
            run.evals.setdefault(arm, {})[seed] = evaluate_model(
                model,
                tok,
                run.items,
                keys[label],
                settings,
                cache,
                enc,
                config.eval_batch_size,
                run.tracker.count_cb(f"evaluate {label}"),
                f"eval {label}",
            )
            if run.general and seed == config.seed:
                run.gen_evals[arm] = evaluate_model(
                    model,
                    tok,
                    run.general,
                    keys[label],
                    settings,
                    cache,
                    enc,
                    config.eval_batch_size,
                    None,
                    f"general {arm}",
                )
        run.timings[f"evaluate_{label}"] = time.time() - t1
        run.tracker.finish_stage(f"evaluate {label}")
    run.rank = {n: rank_report(model, n) for n in run.trained}
    run.timings["evaluate_total"] = time.time() - t0


def _comparer(run: _Run) -> Callable[..., dict[str, Any]]:
    """``compare(metric, arm_a, arm_b, prompt_indices=None, n_boot=...)`` over the run's evals."""
    config, seeds = run.config, run.seeds

    def compare(
        m: str, a: str, b: str, idx: Sequence[int] | None = None, n_boot: int = config.n_bootstrap
    ) -> dict[str, Any]:
        return hierarchical_comparison(
            _matrix(run.evals, a, m, seeds, idx),
            _matrix(run.evals, b, m, seeds, idx),
            bool(METRICS[m]),
            n_boot,
            config.seed,
        )

    return compare


def _compare_arms(run: _Run) -> dict[str, dict[str, Any]]:
    """Stage 4: every metric, curated and the other arms against the baseline, the random
    control and the base model."""
    compare = _comparer(run)
    pairs = [
        ("curated", "baseline"),
        ("curated", CONTROL),
        (CONTROL, "baseline"),
        ("curated", BASE),
        ("baseline", BASE),
    ]
    pairs += [(a, "baseline") for a in run.arms if a not in ("curated", "baseline", CONTROL)]
    comparisons: dict[str, dict[str, Any]] = {}
    for m in [m for m, h in METRICS.items() if h is not None]:
        for a, b in pairs:
            comp = compare(m, a, b)
            if comp["n"]:
                comparisons.setdefault(m, {})[f"{a}_vs_{b}"] = comp
    if run.design.primary_metric not in comparisons:
        raise ValueError(f"the primary metric {run.design.primary_metric} has no values on these eval prompts")
    return comparisons


def _report(run: _Run, comparisons: dict[str, dict[str, Any]], data_info: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stage 5: the report (verdicts, breakdowns, training and timing), written with the eval
    rows and each adapter's model card."""
    config, design, trained, evals, items = run.config, run.design, run.trained, run.evals, run.items
    pm, seeds, compare = design.primary_metric, run.seeds, _comparer(run)
    metrics = [m for m, h in METRICS.items() if h is not None]
    head = comparisons[pm]["curated_vs_baseline"]
    control = comparisons[pm].get(f"curated_vs_{CONTROL}", {})
    better = "lower" if not METRICS[pm] else "higher"
    secondary = [m for m in ("ref_nll", "check_pass") if m != pm and m in comparisons]
    by_kind = breakdown.groups(items)
    first = evals["curated"][config.seed]
    per_prompt = {r["id"]: d for r, d in zip(first, _mean_differences(evals, pm, seeds)) if d is not None}
    resampled = (
        "a hierarchical bootstrap over training seeds, then prompts"
        if len(seeds) > 1
        else "a paired bootstrap over prompts"
    )
    report = {
        "primary_metric": pm,
        "primary_metric_description": DESCRIPTIONS[pm],
        "primary_metric_reason": design.primary_reason,
        "secondary_metrics": secondary,
        "higher_is_better": bool(METRICS[pm]),
        "design": design.to_dict(),
        "difference_definition": (
            f"difference = mean over eval prompts{' and seeds' if len(seeds) > 1 else ''} of "
            f"({'curated - baseline' if METRICS[pm] else 'baseline - curated'})"
            f" on {pm} ({better} is better), so positive = curated better; 95% CI: {resampled};"
            " p_value: exact two-sided sign test on the per-prompt differences"
        ),
        **{k: head[k] for k in ("difference", "ci95_low", "ci95_high", "p_value", "wins", "ties", "losses", "n")},
        "p_value_bootstrap": head["p_value_bootstrap"],
        "verdict": _verdict(head, "baseline"),
        "verdict_vs_random": _verdict(control, "the random control of the same size") if control else None,
        "arms": {
            arm: summarize([r for s in by_seed.values() for r in s], metrics + ["n_words", "ref_tokens"])
            for arm, by_seed in evals.items()
        },
        "training": {n: _brief(by[config.seed]) for n, by in trained.items()},
        "training_by_seed": {str(s): {n: _brief(by[s]) for n, by in trained.items()} for s in seeds},
        "tokens_seen": {n: _mean([by[s].metrics["tokens"] for s in seeds]) for n, by in trained.items()},
        "loss_curves": {n: by[config.seed].metrics["losses"] for n, by in trained.items()},
        "comparisons": comparisons,
        "leakage": run.leakage,
        "forgetting": forgetting(run.gen_evals, config.n_bootstrap, config.seed) if run.gen_evals else None,
        "general": {arm: summarize(rows, metrics) for arm, rows in run.gen_evals.items()} or None,
        "rank": run.rank,
        "primary_differences": per_prompt,
        "primary_by_category": {
            f"curated_vs_{b}": _by_category(items, compare, pm, b, config) for b in ("baseline", CONTROL)
        },
        "by_finding_kind": {
            f"curated_vs_{b}": {
                group: {m: compare(m, "curated", b, idx, min(config.n_bootstrap, 2000)) for m in [pm, *secondary]}
                for group, idx in by_kind.items()
            }
            for b in ("baseline", CONTROL)
        }
        if by_kind
        else None,
        "n_eval_items": len(items),
        "n_train": {n: len(c) for n, c in run.arms.items()},
        "data": dict(data_info) if data_info else None,
        "config": config.to_dict(),
        "timings": {**run.timings, "total": time.time() - run.t_start},
    }
    with (run.out / "eval_rows.jsonl").open("w", encoding="utf-8") as f:
        for arm, by_seed in evals.items():
            for seed, rows in by_seed.items():
                f.writelines(json.dumps({"arm": arm, "seed": seed, **r}, ensure_ascii=False) + "\n" for r in rows)
    write_report(report, run.out)
    for name, by in trained.items():  # each adapter's model card gets its evaluation
        add_evaluation(by[config.seed].adapter_dir, comparison_summary(report, name))
    run.tracker.done = run.tracker.n
    run.tracker.emit("done", 0.0, state="done", verdict=report["verdict"])
    return report


def _train_arm(
    name: str,
    convs: list[Conversation],
    config: RunConfig,
    out: Path,
    registry: RunRegistry,
    progress: Progress,
    model_loader: ModelLoader,
) -> TrainResult:
    """One arm at one seed, recorded in the registry (running, then done or failed)."""
    cfg = config.with_(data_hash=conversations_hash(convs))
    run_id = f"{name}-{cfg.training_key()}"
    run_dir = out / "runs" / run_id
    where = {"run_dir": str(run_dir)}
    registry.record(run_id, cfg.to_dict(), cfg.data_hash, "running", {}, where)
    try:
        result = train(convs, cfg, run_dir, progress, model_loader, name)
    except BaseException as exc:
        registry.record(run_id, cfg.to_dict(), cfg.data_hash, "failed", {"error": repr(exc)}, where)
        raise
    registry.record(
        run_id, cfg.to_dict(), cfg.data_hash, "done", _brief(result), {**where, "adapter": str(result.adapter_dir)}
    )
    return result


def _brief(result: TrainResult) -> dict[str, Any]:
    return {k: v for k, v in result.metrics.items() if k != "losses"}


def _adapter_name(arm: str, seed: int, first: int) -> str:
    return arm if seed == first else f"{arm}_seed{seed}"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _matrix(
    evals: Mapping[str, Mapping[int, list[dict[str, Any]]]],
    arm: str,
    metric: str,
    seeds: Sequence[int],
    idx: Sequence[int] | None = None,
) -> list[list[float | None]]:
    """seed x prompt values of ``metric`` for ``arm`` (the base model has one seed: repeated)."""
    by_seed = evals[arm]
    rows = [by_seed.get(s) or next(iter(by_seed.values())) for s in seeds]
    pick = range(len(rows[0])) if idx is None else idx
    return [[r[i][metric] for i in pick] for r in rows]


def _mean_differences(
    evals: Mapping[str, Mapping[int, list[dict[str, Any]]]], metric: str, seeds: Sequence[int]
) -> list[float | None]:
    """Per prompt: curated vs baseline on ``metric`` averaged over seeds, + = curated better."""
    a, b = _matrix(evals, "curated", metric, seeds), _matrix(evals, "baseline", metric, seeds)
    sign = 1.0 if METRICS[metric] else -1.0
    out: list[float | None] = []
    for i in range(len(a[0])):
        pairs = [(x[i], y[i]) for x, y in zip(a, b)]
        ok = all(x is not None and y is not None for x, y in pairs)
        out.append(sign * _mean([x - y for x, y in pairs]) if ok else None)
    return out


def _subsample(items: Sequence[dict[str, Any]], limit: int, seed: str) -> list[dict[str, Any]]:
    """At most ``limit`` items (0 = all), a seeded sample in original order (files are often
    sorted by category, so the first N would not be representative)."""
    if not limit or len(items) <= limit:
        return list(items)
    return [items[i] for i in sorted(random.Random(seed).sample(range(len(items)), limit))]


def _verdict(comp: Mapping[str, Any], other: str) -> str:
    if comp["ci95_low"] > 0:
        text = f"curated better than {other} (95% CI above zero)"
    elif comp["ci95_high"] < 0:
        text = f"curated worse than {other} (95% CI below zero)"
    else:
        return f"no clear difference from {other} (95% CI includes zero)"
    mean_sign = comp["difference"] > 0
    if comp["p_value"] < 0.05 and (comp["wins"] > comp["losses"]) != mean_sign:
        text += (
            f", but it is {'worse' if mean_sign else 'better'} on more prompts than not"
            f" ({comp['wins']} wins / {comp['losses']} losses, sign test p={comp['p_value']:.2g}):"
            " the mean is carried by a subset of prompts (see the per-category breakdown)"
        )
    return text


def _by_category(
    items: Sequence[dict[str, Any]],
    compare: Callable[..., dict[str, Any]],
    metric: str,
    other: str,
    config: RunConfig,
) -> dict[str, dict[str, Any]]:
    """The primary comparison within each eval category: where the difference comes from."""
    out = {}
    for cat in sorted({it["category"] for it in items if it.get("category")}):
        idx = [i for i, it in enumerate(items) if it.get("category") == cat]
        comp = compare(metric, "curated", other, idx, min(config.n_bootstrap, 2000))
        if comp["n"]:
            out[cat] = comp
    return out
