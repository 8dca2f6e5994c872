"""`curate train` and `curate compare`: the training commands on top of the core CLI.

The console script points here so the core (curation) never imports training: this module
adds its commands to ``curation.cli.app``. The arms of a comparison come from one builder,
``training.arms.build_arms``, over a workspace dataset and the decisions recorded on it
(the app's launcher uses the same builder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from curation.cli import DEMO_DIR, DatasetOpt, WorkspaceOpt, _dataset, _fail, _open, app
from curation.formats import DataError, read_examples
from curation.schema import Example
from training.arms import Arms, build_arms, conversation, read_eval_items

__all__ = ["app", "demo_workspace_arms", "read_eval_items", "conversation"]


class WorkspaceRegistry:
    """The run registry of training.compare, kept in the workspace database."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def record(
        self, run_id: str, config: dict, data_hash: str, status: str, metrics: dict, artifacts: dict
    ) -> None:
        self.ws.record_run(run_id, config, data_hash, status, metrics, artifacts, kind="train")


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


def file_arms(path: Path, ws_dir: Optional[Path], eval_path: Optional[Path], general: Optional[Path],
              policy: bool, seed: int) -> Arms:
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
    return build_arms(ws, dataset, eval_path, general, policy=policy, seed=seed)


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
    config: Optional[Path] = typer.Option(
        None, "--config", help="A run config file (overrides --preset)."
    ),
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    general_file: Optional[Path] = typer.Option(
        None, "--general", help="General prompts for a forgetting check (JSONL, like --eval)."
    ),
    policy: str = typer.Option(
        "auto", "--policy", help="auto: the no-review policy fills in the findings nobody decided; "
        "none: the recorded decisions only."
    ),
) -> None:
    """Fine-tune LoRA on the curated vs the uncurated data (and a random same-size control),
    evaluate them and the base model on held-out prompts, and report the difference with a
    95% CI. The curated arm is the dataset with the decisions recorded on it: `curate compare
    --workspace DIR --dataset NAME --eval FILE --out OUT`. Without a dataset: the demo."""
    from training.compare import run_comparison
    from training.config import RunConfig, preset

    if policy not in ("auto", "none"):
        _fail(f"--policy must be auto or none, not {policy!r}")
    cfg = RunConfig.load(config) if config else preset(preset_name)
    try:
        if dataset_file is not None:
            arms = file_arms(dataset_file, workspace, eval_file, general_file, policy == "auto", cfg.seed)
        elif dataset is not None or (workspace is not None and _has_datasets(workspace)):
            ws = _open(workspace)
            arms = build_arms(ws, _dataset(ws, dataset), eval_file, general_file, policy=policy == "auto",
                              seed=cfg.seed)
        else:
            arms = demo_workspace_arms(workspace or out / "workspace", cfg.seed)
            if eval_file is not None:
                arms.eval_items = read_eval_items(eval_file)
    except DataError as err:
        _fail(str(err))
    info = arms.info
    typer.echo(f"arms of {info['dataset']}: curated {info['n_curated']} (recorded decisions set "
               f"{info['rows_set_by_recorded']} rows, the policy {info['rows_set_by_policy']}), baseline "
               f"{info['n_baseline']}, {len(arms.eval_items)} eval prompts ({info['eval_source']})")
    for bad in info["unapplied_decisions"]:
        typer.echo(f"warning: decision {bad['decision_id']} was not applied: {bad['problem']}", err=True)
    registry = WorkspaceRegistry(_open(workspace)) if workspace else None
    bar = _progress_bar()
    try:
        report = run_comparison(
            arms.arms, arms.eval_items, cfg, out, progress=bar, registry=registry,
            general_items=arms.general_items, data_info=info,
        )
    finally:
        bar.close()
    typer.echo(
        f"{report['primary_metric']}: difference {report['difference']:+.4f} (positive = curated better; "
        f"95% CI {report['ci95_low']:+.4f} .. {report['ci95_high']:+.4f}, sign test p = {report['p_value']:.3g})"
    )
    typer.echo(f"{report['verdict']}\nreport: {out / 'report.md'}")


def _has_datasets(workspace: Path) -> bool:
    return (workspace / "workspace.db").exists() and bool(_open(workspace).datasets(include_reference=False))


@app.command("train")
def train_cmd(
    config: Path = typer.Argument(..., help="Run config (JSON or TOML; see training/config.py)."),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Training data (default: config's data_path)."
    ),
    out: Path = typer.Option(
        Path("runs/train"), "--out", help="Run folder (resumes when it exists)."
    ),
    merge: bool = typer.Option(
        False, "--merge", help="Also save the adapter merged into the base."
    ),
) -> None:
    """Train one LoRA adapter from a config; resumes from the last checkpoint after a kill."""
    from training.config import RunConfig
    from training.trainer import train

    cfg = RunConfig.load(config)
    path = data or (Path(cfg.data_path) if cfg.data_path else None)
    if path is None:
        _fail(f"{config}: no data_path in the config and no --data given")
    convs = [conversation(ex.turns) for ex in _read(path)]
    result = train(
        convs, cfg.with_(data_path=str(path), merge_adapter=merge or cfg.merge_adapter), out
    )
    typer.echo(f"trained on {len(convs)} conversations; adapter in {result.adapter_dir}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
