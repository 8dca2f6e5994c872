"""The comparison: arms that differ only in data, evaluated against each other and the base model.

``run_comparison`` trains one adapter per arm (``curated``, ``baseline``, and ``random``, a
random subset of the baseline of the curated size, unless the caller supplies one), loads the
base model ONCE with every adapter attached, evaluates the base model and each adapter on the
same eval prompts, and compares curated with baseline (and with the random control) on the
primary metric named in the config, before any number is seen.

Reruns are cheap: finished trainings are reused (same config + data hash), interrupted ones
resume from their last checkpoint, and generations come from the on-disk cache.

Output folder: ``runs/<arm>-<key>/`` (one training each), ``runs.json`` (JSON registry unless
another is passed), ``generations.jsonl`` (cache), ``eval_rows.jsonl`` (per prompt and arm),
``status.json`` (overall progress), ``report.json`` and ``report.md``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from training.card import add_evaluation, comparison_summary
from training.config import RunConfig
from training.data import Conversation, conversations_hash
from training.diagnostics import forgetting, rank_report
from training.evaluate import evaluate_model, summarize
from training.generate import BASE, GenerationCache, GenerationSettings, active_adapter
from training.metrics import DESCRIPTIONS, METRICS, Encoder, default_encoder
from training.model import adapter_hash, attach_adapters, load_base
from training.registry import JsonRegistry, RunRegistry
from training.report import write_report
from training.split import check_leakage, random_control, split_eval
from training.stats import paired_comparison
from training.checkpoint import write_json
from training.trainer import ModelLoader, Progress, train

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

    ``arms`` must hold ``curated`` and ``baseline``; ``random`` is drawn from the baseline with
    ``config.seed`` if absent; further arms are trained and compared with the baseline too.
    ``encoder``: "default" (MiniLM), an object with ``encode``, or None (no embedding metric).
    ``data_info`` (how the arms were built, ``training.arms.Arms.info``) goes into the report.
    """
    if METRICS.get(config.primary_metric) is None:
        raise ValueError(
            f"primary_metric must be one of {[m for m, h in METRICS.items() if h is not None]}"
        )
    if not {"curated", "baseline"} <= set(arms):
        raise ValueError("arms must include 'curated' and 'baseline'")
    t_start = time.time()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arms = {k: list(v) for k, v in arms.items()}
    arms.setdefault(CONTROL, random_control(arms["baseline"], len(arms["curated"]), config.seed))
    items, leakage = check_leakage(eval_items, arms, config.leakage_jaccard)
    items = _subsample(items, config.max_eval_items, f"eval:{config.seed}")
    general = _subsample(
        list(general_items or []), config.max_general_items, f"general:{config.seed}"
    )
    if not items:
        raise ValueError("no eval items left after the leakage check")
    registry = registry or JsonRegistry(out / "runs.json")
    tracker = _Tracker(out, 2 * len(arms) + 2, progress)
    timings: dict[str, float] = {}

    trained = {}
    for name, convs in arms.items():
        t0 = time.time()
        cfg = config.with_(data_hash=conversations_hash(convs))
        run_id = f"{name}-{cfg.training_key()}"
        run_dir = out / "runs" / run_id
        registry.record(
            run_id, cfg.to_dict(), cfg.data_hash, "running", {}, {"run_dir": str(run_dir)}
        )
        try:
            trained[name] = train(
                convs, cfg, run_dir, tracker.train_cb(f"train {name}"), model_loader, name
            )
        except BaseException as exc:
            registry.record(
                run_id,
                cfg.to_dict(),
                cfg.data_hash,
                "failed",
                {"error": repr(exc)},
                {"run_dir": str(run_dir)},
            )
            raise
        brief = {k: v for k, v in trained[name].metrics.items() if k != "losses"}
        registry.record(
            run_id,
            cfg.to_dict(),
            cfg.data_hash,
            "done",
            brief,
            {"run_dir": str(run_dir), "adapter": str(trained[name].adapter_dir)},
        )
        timings[f"train_{name}"] = time.time() - t0
        tracker.finish_stage(f"train {name}")

    t0 = time.time()
    base, tok = model_loader(config)
    model = attach_adapters(base, {n: r.adapter_dir for n, r in trained.items()})
    enc = default_encoder() if encoder == "default" else encoder
    settings = GenerationSettings(config.max_new_tokens, config.gen_batch_size)
    cache = GenerationCache(out / "generations.jsonl")
    keys = {
        BASE: f"base:{config.base_model}:{config.gguf_file}",
        **{n: adapter_hash(r.adapter_dir) for n, r in trained.items()},
    }
    evals, gen_evals = {}, {}
    for arm in [BASE, *arms]:
        t1 = time.time()
        with active_adapter(model, arm):
            evals[arm] = evaluate_model(
                model,
                tok,
                items,
                keys[arm],
                settings,
                cache,
                enc,
                config.eval_batch_size,
                tracker.count_cb(f"evaluate {arm}"),
                f"eval {arm}",
            )
            if general:
                gen_evals[arm] = evaluate_model(
                    model,
                    tok,
                    general,
                    keys[arm],
                    settings,
                    cache,
                    enc,
                    config.eval_batch_size,
                    None,
                    f"general {arm}",
                )
        timings[f"evaluate_{arm}"] = time.time() - t1
        tracker.finish_stage(f"evaluate {arm}")
    rank = {n: rank_report(model, n) for n in trained}
    timings["evaluate_total"] = time.time() - t0

    metrics = [m for m, h in METRICS.items() if h is not None]
    pairs = [
        ("curated", "baseline"),
        ("curated", CONTROL),
        (CONTROL, "baseline"),
        ("curated", BASE),
        ("baseline", BASE),
    ]
    pairs += [(a, "baseline") for a in arms if a not in ("curated", "baseline", CONTROL)]
    comparisons: dict[str, dict[str, Any]] = {}
    for m in metrics:
        for a, b in pairs:
            comp = paired_comparison(
                [r[m] for r in evals[a]],
                [r[m] for r in evals[b]],
                bool(METRICS[m]),
                config.n_bootstrap,
                config.seed,
            )
            if comp["n"]:
                comparisons.setdefault(m, {})[f"{a}_vs_{b}"] = comp
    pm = config.primary_metric
    head = comparisons[pm]["curated_vs_baseline"]
    control = comparisons[pm].get(f"curated_vs_{CONTROL}", {})
    better = "lower" if not METRICS[pm] else "higher"
    sign = 1.0 if METRICS[pm] else -1.0
    per_prompt = {
        c["id"]: sign * (c[pm] - b[pm])
        for c, b in zip(evals["curated"], evals["baseline"])
        if c[pm] is not None and b[pm] is not None
    }
    report = {
        "primary_metric": pm,
        "primary_metric_description": DESCRIPTIONS[pm],
        "higher_is_better": bool(METRICS[pm]),
        "difference_definition": (
            f"difference = mean over eval prompts of ({'curated - baseline' if METRICS[pm] else 'baseline - curated'})"
            f" on {pm} ({better} is better), so positive = curated better; 95% CI: paired bootstrap over prompts;"
            " p_value: exact two-sided sign test"
        ),
        **{
            k: head[k]
            for k in (
                "difference",
                "ci95_low",
                "ci95_high",
                "p_value",
                "wins",
                "ties",
                "losses",
                "n",
            )
        },
        "p_value_bootstrap": head["p_value_bootstrap"],
        "verdict": _verdict(head, "baseline"),
        "verdict_vs_random": _verdict(control, "the random control of the same size")
        if control
        else None,
        "arms": {
            arm: summarize(rows, metrics + ["n_words", "ref_tokens"]) for arm, rows in evals.items()
        },
        "training": {
            n: {k: v for k, v in r.metrics.items() if k != "losses"} for n, r in trained.items()
        },
        "loss_curves": {n: r.metrics["losses"] for n, r in trained.items()},
        "comparisons": comparisons,
        "leakage": leakage,
        "forgetting": forgetting(gen_evals, config.n_bootstrap, config.seed) if gen_evals else None,
        "general": {arm: summarize(rows, metrics) for arm, rows in gen_evals.items()} or None,
        "rank": rank,
        "primary_differences": per_prompt,
        "primary_by_category": {
            f"curated_vs_{b}": _by_category(evals, pm, "curated", b, config)
            for b in ("baseline", CONTROL)
        },
        "n_eval_items": len(items),
        "n_train": {n: len(c) for n, c in arms.items()},
        "data": dict(data_info) if data_info else None,
        "config": config.to_dict(),
        "timings": {**timings, "total": time.time() - t_start},
    }
    with (out / "eval_rows.jsonl").open("w", encoding="utf-8") as f:
        for arm, rows in evals.items():
            f.writelines(json.dumps({"arm": arm, **r}, ensure_ascii=False) + "\n" for r in rows)
    write_report(report, out)
    for name, result in trained.items():  # each adapter's model card gets its evaluation
        add_evaluation(result.adapter_dir, comparison_summary(report, name))
    tracker.done = tracker.n
    tracker.emit("done", 0.0, state="done", verdict=report["verdict"])
    return report


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
    evals: Mapping[str, list[dict[str, Any]]], metric: str, arm: str, other: str, config: RunConfig
) -> dict[str, dict[str, Any]]:
    """The primary comparison within each eval category: where the difference comes from."""
    cats = sorted({r["category"] for r in evals[arm] if r.get("category")})
    out = {}
    for cat in cats:
        idx = [i for i, r in enumerate(evals[arm]) if r.get("category") == cat]
        comp = paired_comparison(
            [evals[arm][i][metric] for i in idx],
            [evals[other][i][metric] for i in idx],
            bool(METRICS[metric]),
            min(config.n_bootstrap, 2000),
            config.seed,
        )
        if comp["n"]:
            out[cat] = comp
    return out
