"""`curate train`, `curate compare`, `curate runs` and `curate base-model`: the training
commands. They live on their own ``app``; the top-level ``cli`` package composes them with
the core commands into `curate` (the core never imports training). The arms of a comparison come from one builder,
``training.arms.build_arms``, over a workspace dataset and the decisions recorded on it
(the app's launcher uses the same builder).

Every `train` and `compare` run is recorded in the workspace run registry (config, data
hashes, metrics, adapter paths), which `curate runs list/show` reads.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Optional

import typer

from curation.cli_common import DatasetOpt, WorkspaceOpt
from curation.demo import DEMO_DIR
from curation.cli_common import choose_dataset as _dataset
from curation.cli_common import fail as _fail
from curation.cli_common import open_workspace as _open
from curation.formats import DataError, read_examples
from curation.schema import Example
from training.arms import Arms, build_arms, conversation, read_eval_items

__all__ = ["app", "demo_workspace_arms", "read_eval_items", "conversation"]
from training.registry import WorkspaceRegistry

ReportToOpt = typer.Option(
    None, "--report-to", help="Experiment tracking: mlflow, wandb or none (default: the config's)."
)
app = typer.Typer(help="Fine-tune LoRA adapters and compare curated with uncurated data.")
runs_app = typer.Typer(help="The workspace run registry: trainings and comparisons.")
app.add_typer(runs_app, name="runs")


def _read(path: Path) -> list[Example]:
    try:
        return read_examples(path).examples
    except DataError as err:
        _fail(str(err))
    raise AssertionError("unreachable")


def demo_workspace_arms(ws_dir: Path, seed: int = 0) -> Arms:
    """The demo comparison: the demo data in a workspace with the demo's expert resolutions
    recorded (idempotently), eval and general prompts from data/demo; no scan, so the
    no-review policy has nothing to fill in and the curated arm is exactly the resolutions."""
    from curation import resolutions
    from curation.workbench import ingest_file

    ws = _open(ws_dir)
    dataset, _, _ = ingest_file(ws, DEMO_DIR / "train.jsonl")
    ws.record(dataset.id, resolutions.read(DEMO_DIR / "resolutions.jsonl", dataset_id=dataset.id).decisions)
    general = DEMO_DIR / "general.jsonl"
    return build_arms(ws, dataset, DEMO_DIR / "eval.jsonl", general if general.exists() else None, seed=seed)


def file_arms(
    path: Path,
    ws_dir: Optional[Path],
    eval_path: Optional[Path],
    general: Optional[Path],
    policy: bool,
    seed: int,
    merge_rewordings: bool = False,
) -> Arms:
    """Any dataset file: ingested into the workspace and scanned (unless it was), then the
    arms of that dataset."""
    from curation.workbench import ingest_file, scan_dataset

    ws = _open(ws_dir)
    try:
        dataset, _, _ = ingest_file(ws, path)
    except DataError as err:
        _fail(str(err))
    if ws.latest_scan_id(dataset.id) is None:
        scan_dataset(ws, dataset)
    return build_arms(ws, dataset, eval_path, general, policy=policy, seed=seed, merge_rewordings=merge_rewordings)


def _progress_bar():
    from tqdm import tqdm

    bar = tqdm(total=1000, desc="compare", unit="‰")

    def update(info: dict) -> None:
        bar.set_description(str(info.get("stage", "compare"))[:30])
        bar.n = int(1000 * float(info.get("fraction", 0.0)))
        bar.refresh()

    update.close = bar.close  # type: ignore[attr-defined]
    return update


@app.command()
def compare(
    dataset_file: Optional[Path] = typer.Argument(
        None, help="A dataset file to ingest and scan first (default: a workspace dataset, or the demo)."
    ),
    eval_file: Optional[Path] = typer.Option(
        None, "--eval", help="Eval prompts with references (JSONL); without it, a held-out split."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder (report.json, report.md, runs/)."),
    preset_name: str = typer.Option("quick", "--preset", help="quick or full."),
    config: Optional[Path] = typer.Option(None, "--config", help="A run config file (overrides --preset)."),
    report_to: Optional[str] = ReportToOpt,
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    general_file: Optional[Path] = typer.Option(
        None, "--general", help="General prompts for a forgetting check (JSONL, like --eval)."
    ),
    policy: str = typer.Option(
        "auto",
        "--policy",
        help="auto: the no-review policy fills in the findings nobody decided; none: the recorded decisions only.",
    ),
    merge_rewordings: bool = typer.Option(
        False,
        "--merge-rewordings",
        help="With --policy auto: merge a duplicate group's rewordings of the "
        "request too (by default the policy merges only copies and keeps rewordings).",
    ),
    seeds: Optional[int] = typer.Option(
        None,
        "--seeds",
        help="Train every arm with N seeds; the CI is then a hierarchical bootstrap "
        "over seeds and prompts (default: the config's, 1).",
    ),
    match: Optional[str] = typer.Option(
        None,
        "--match",
        help="steps (default): every arm trains the same number of optimizer steps; "
        "epochs: every arm trains the same number of passes over its own data.",
    ),
    primary: Optional[str] = typer.Option(
        None,
        "--primary-metric",
        help="auto (default: check_pass when most eval prompts have checks "
        "or short references, else ref_nll), or a metric name.",
    ),
) -> None:
    """Fine-tune LoRA on the curated vs the uncurated data (and a random same-size control),
    evaluate them and the base model on held-out prompts, and report the difference with a
    95% CI. The curated arm is the dataset with the decisions recorded on it: `curate compare
    --workspace DIR --dataset NAME --eval FILE --out OUT`. Without a dataset: the demo."""
    from training import tracking
    from training.compare import run_comparison
    from training.config import RunConfig, preset
    from training.data import conversations_hash
    from training.design import plan

    if policy not in ("auto", "none"):
        _fail(f"--policy must be auto or none, not {policy!r}")
    if merge_rewordings and policy != "auto":
        _fail("--merge-rewordings applies to the no-review policy: use it with --policy auto")
    cfg = RunConfig.load(config) if config else preset(preset_name)
    cfg = _with_option(cfg, report_to=report_to, seeds=seeds, match=match, primary_metric=primary)
    ws_dir = workspace
    try:
        if dataset_file is not None:
            arms = file_arms(
                dataset_file, workspace, eval_file, general_file, policy == "auto", cfg.seed, merge_rewordings
            )
        elif dataset is not None or (workspace is not None and _has_datasets(workspace)):
            source = _open(workspace)
            arms = build_arms(
                source,
                _dataset(source, dataset),
                eval_file,
                general_file,
                policy=policy == "auto",
                seed=cfg.seed,
                merge_rewordings=merge_rewordings,
            )
        else:
            ws_dir = workspace or out / "workspace"
            arms = demo_workspace_arms(ws_dir, cfg.seed)
            if eval_file is not None:
                arms.eval_items = read_eval_items(eval_file)
    except DataError as err:
        _fail(str(err))
    info = arms.info
    typer.echo(
        f"arms of {info['dataset']}: curated {info['n_curated']} (recorded decisions set "
        f"{info['rows_set_by_recorded']} rows, the policy {info['rows_set_by_policy']}), baseline "
        f"{info['n_baseline']}, {len(arms.eval_items)} eval prompts ({info['eval_source']})"
    )
    for bad in info["unapplied_decisions"]:
        typer.echo(f"warning: decision {bad['decision_id']} was not applied: {bad['problem']}", err=True)
    try:
        design = plan(arms.arms, arms.eval_items, cfg)
    except ValueError as err:
        _fail(str(err))
    typer.echo(design.describe())
    ws = _open(ws_dir)
    hashes = {name: conversations_hash(convs) for name, convs in arms.arms.items()}
    data_hash = hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:16]
    run_config = {
        **cfg.to_dict(),
        "dataset": info["dataset"],
        "dataset_sha256": info["dataset_sha256"],
        "policy": policy,
        "merge_rewordings": merge_rewordings,
        "arms": hashes,
        "n_eval_items": len(arms.eval_items),
        "design": design.to_dict(),
    }
    run_id = (
        "compare-"
        + hashlib.sha256(json.dumps([run_config, str(out.resolve())], sort_keys=True).encode()).hexdigest()[:16]
    )
    folder = {"folder": str(out), "report": str(out / "report.json")}
    ws.record_run(run_id, run_config, data_hash, "running", {}, folder, kind="compare")
    bar = _progress_bar()
    try:
        with (
            tracking.settings(location=ws.root),
            tracking.session(cfg.report_to, out.name, run_config, {"kind": "compare"}) as tracker,
        ):
            report = run_comparison(
                arms.arms,
                arms.eval_items,
                cfg,
                out,
                progress=bar,
                registry=WorkspaceRegistry(ws),
                general_items=arms.general_items,
                data_info=info,
            )
            headline = _compare_metrics(report)
            tracker.log_metrics(headline)
            for name in ("report.json", "report.md"):
                tracker.log_artifacts(out / name, "report")
    except BaseException as exc:
        ws.record_run(
            run_id, run_config, data_hash, "failed", {"error": f"{type(exc).__name__}: {exc}"}, folder, kind="compare"
        )
        raise
    finally:
        bar.close()
    adapters = {
        f"adapter_{arm}": str(out / "runs" / f"{arm}-{t['training_key']}" / "adapter")
        for arm, t in report["training"].items()
    }
    ws.record_run(
        run_id,
        run_config,
        data_hash,
        "done",
        {**headline, "verdict": report["verdict"]},
        {**folder, "report_md": str(out / "report.md"), **adapters},
        kind="compare",
    )
    typer.echo(
        f"{report['primary_metric']}: difference {report['difference']:+.4f} (positive = curated better; "
        f"95% CI {report['ci95_low']:+.4f} .. {report['ci95_high']:+.4f}, sign test p = {report['p_value']:.3g})"
    )
    typer.echo(f"{report['verdict']}\nreport: {out / 'report.md'}\nrun: {run_id} (curate runs show)")


def _compare_metrics(report: dict) -> dict[str, float]:
    """The headline numbers of a comparison, flat, for the registry and the tracker."""
    pm = report["primary_metric"]
    out = {k: report[k] for k in ("difference", "ci95_low", "ci95_high", "p_value")}
    out.update({f"{arm}/{pm}": s.get(pm) for arm, s in report["arms"].items()})
    return {k: v for k, v in out.items() if isinstance(v, (int, float))}


def _with_option(cfg: Any, **options: Any) -> Any:
    """The config with the command-line options that were given (None = keep the config's)."""
    try:
        return cfg.with_(**{k: v for k, v in options.items() if v is not None})
    except ValueError as err:
        _fail(str(err))
    raise AssertionError("unreachable")


def _has_datasets(workspace: Path) -> bool:
    return (workspace / "workspace.db").exists() and bool(_open(workspace).datasets(include_reference=False))


@app.command("train")
def train_cmd(
    config: Path = typer.Argument(..., help="Run config (JSON or TOML; see training/config.py)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Training data (default: config's data_path)."),
    out: Path = typer.Option(Path("runs/train"), "--out", help="Run folder (resumes when it exists)."),
    merge: bool = typer.Option(
        False, "--merge", help="Also save the adapter merged into the base (a transformers folder)."
    ),
    backend: Optional[str] = typer.Option(
        None, "--backend", help="ours (default) or trl (TRL SFTTrainer; pip install trl)."
    ),
    report_to: Optional[str] = ReportToOpt,
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Train one LoRA adapter from a config; resumes from the last checkpoint after a kill.
    The run is recorded in the workspace run registry."""
    from training import tracking
    from training.config import RunConfig
    from training.data import conversations_hash
    from training.trainer import train

    cfg = RunConfig.load(config)
    path = data or (Path(cfg.data_path) if cfg.data_path else None)
    if path is None:
        _fail(f"{config}: no data_path in the config and no --data given")
    convs = [conversation(ex.turns) for ex in _read(path)]
    cfg = _with_option(
        cfg,
        data_path=str(path.resolve()),
        merge_adapter=merge or cfg.merge_adapter,
        backend=backend,
        report_to=report_to,
    )
    cfg = cfg.with_(data_hash=conversations_hash(convs))
    ws = _open(workspace)
    run_id = f"train-{cfg.training_key()}"
    where = {"run_dir": str(out)}
    ws.record_run(run_id, cfg.to_dict(), cfg.data_hash, "running", {}, where, kind="train")
    try:
        with tracking.settings(location=ws.root):
            result = train(convs, cfg, out)
    except BaseException as exc:
        ws.record_run(
            run_id,
            cfg.to_dict(),
            cfg.data_hash,
            "failed",
            {"error": f"{type(exc).__name__}: {exc}"},
            where,
            kind="train",
        )
        raise
    brief = {k: v for k, v in result.metrics.items() if k != "losses"}
    artifacts = {**where, "adapter": str(result.adapter_dir)}
    if brief.get("merged_dir"):
        artifacts["merged"] = brief["merged_dir"]
    ws.record_run(run_id, cfg.to_dict(), cfg.data_hash, "done", brief, artifacts, kind="train")
    typer.echo(f"trained on {len(convs)} conversations; adapter in {result.adapter_dir}")
    typer.echo(f"run: {run_id} (curate runs show {run_id})")
    if "merged" in artifacts:
        typer.echo(f"merged model (plain transformers folder) in {artifacts['merged']}")


@app.command("base-model")
def base_model_cmd() -> None:
    """Write the bundled SmolLM2 into the workbench's Hub cache (once) and say how plain
    transformers/peft code loads it, and adapters trained on it, by Hub id offline."""
    from training.hub import bundled_ref, hub_cache

    ref = bundled_ref()
    typer.echo(f"{ref.hub_id} revision {ref.revision}")
    typer.echo(f"dequantised from {ref.source['path']} (sha256 {ref.source['sha256']})")
    typer.echo(f"snapshot: {ref.source['snapshot']}")
    typer.echo(f"export HF_HUB_CACHE={hub_cache()} HF_HUB_OFFLINE=1")


@runs_app.command("list")
def runs_list(
    kind: Optional[str] = typer.Option(None, "--kind", help="train, compare, scan, map..."),
    limit: int = typer.Option(50, help="How many to show (0 = all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Runs in the workspace registry, newest first (review settings are not runs: hidden)."""
    runs = [r for r in _open(workspace).runs(kind) if kind or r["kind"] != "settings"]
    runs = runs[:limit] if limit else runs
    if as_json:
        for r in runs:
            typer.echo(json.dumps(r, default=str))
        return
    if not runs:
        typer.echo("no runs recorded yet (curate train / curate compare record theirs)")
        return
    typer.echo(f"{'id':<34} {'kind':<8} {'status':<8} {'updated':<16} {'result':<28} where")
    for r in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["updated_at"]))
        typer.echo(f"{r['id']:<34} {r['kind']:<8} {r['status']:<8} {when:<16} {_headline(r):<28} {_where(r)}")


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="A run id from `curate runs list`."),
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Everything recorded about one run: config, data hash, metrics, artifacts (JSON)."""
    found = [r for r in _open(workspace).runs() if r["id"] == run_id]
    if not found:
        _fail(f"no run {run_id!r} in the workspace (see curate runs list)")
    typer.echo(json.dumps(found[0], indent=2, default=str))


def _headline(run: dict) -> str:
    m = run["metrics"]
    if "error" in m:
        return "error"
    if run["kind"] == "compare" and "difference" in m:
        return f"diff {m['difference']:+.3f} [{m['ci95_low']:+.3f},{m['ci95_high']:+.3f}]"
    if "final_loss" in m:
        return f"loss {m['final_loss']:.3f}, {m.get('steps', '?')} steps"
    return ""


def _where(run: dict) -> str:
    a = run["artifacts"]
    return str(a.get("adapter") or a.get("report") or a.get("folder") or a.get("run_dir") or "")
