"""`curate train` and `curate compare`: the training commands on top of the core CLI.

The console script points here so the core (curation) never imports training: this module
adds its commands to ``curation.cli.app``. Arms are built from curation's pure functions:
the curated arm is the source rows replayed with the demo's expert resolutions (or, for any
other dataset, the no-review policy over a fresh scan); the baseline is the source as is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from curation.cli import DEMO_DIR, WorkspaceOpt, _fail, _open, app
from curation.curate import auto_decisions, derive, resolution_decisions
from curation.formats import DataError, read_examples
from curation.schema import Example


class WorkspaceRegistry:
    """The run registry of training.compare, kept in the workspace database."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def record(
        self, run_id: str, config: dict, data_hash: str, status: str, metrics: dict, artifacts: dict
    ) -> None:
        self.ws.record_run(run_id, config, data_hash, status, metrics, artifacts, kind="train")


def conversation(turns) -> list[dict[str, str]]:
    return [{"role": t.role, "content": t.content} for t in turns]


def _read(path: Path) -> list[Example]:
    try:
        return read_examples(path).examples
    except DataError as err:
        _fail(str(err))
    raise AssertionError("unreachable")


def read_eval_items(path: Path) -> list[dict]:
    """Eval prompts: JSONL of {"messages" | "prompt", "reference", "checks"?}; DataError names
    file and line of a bad one."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(path, f"malformed JSON: {err.msg}", n) from None
        if "messages" not in item and "prompt" in item:
            item["messages"] = [{"role": "user", "content": item["prompt"]}]
        if not item.get("messages"):
            raise DataError(path, "an eval item needs 'messages' or 'prompt'", n, "messages")
        if not isinstance(item.get("reference"), str):
            raise DataError(path, "an eval item needs a text reference answer", n, "reference")
        item.setdefault("id", f"{path.stem}-{n}")
        items.append(item)
    if not items:
        raise DataError(path, "empty file: no eval items")
    return items


def _items(path: Path) -> list[dict]:
    try:
        return read_eval_items(path)
    except DataError as err:
        _fail(str(err))
    raise AssertionError("unreachable")


def demo_arms() -> tuple[dict[str, list], list[dict], list[dict]]:
    """The demo's arms: curated = the expert resolutions applied; baseline = the data as is."""
    examples = _read(DEMO_DIR / "train.jsonl")
    lines = (DEMO_DIR / "resolutions.jsonl").read_text(encoding="utf-8").splitlines()
    resolutions = [json.loads(x) for x in lines if x.strip()]
    curated = [
        conversation(r.turns)
        for r in derive(examples, resolution_decisions(resolutions))
        if r.included
    ]
    baseline = [conversation(ex.turns) for ex in examples]
    general = _items(DEMO_DIR / "general.jsonl") if (DEMO_DIR / "general.jsonl").exists() else []
    return {"curated": curated, "baseline": baseline}, _items(DEMO_DIR / "eval.jsonl"), general


def dataset_arms(
    path: Path, eval_path: Optional[Path], ws_dir: Optional[Path], seed: int, eval_frac: float = 0.1
) -> tuple[dict[str, list], list[dict]]:
    """Any dataset: scan it, hold out eval prompts by duplicate group (before any arm is
    built) unless an eval file is given, then curated = the no-review policy."""
    from curation.workbench import ingest_file, scan_dataset
    from training.split import split_eval

    ws = _open(ws_dir)
    try:
        dataset, _, _ = ingest_file(ws, path)
    except DataError as err:
        _fail(str(err))
    _, findings, _ = scan_dataset(ws, dataset)
    examples = ws.examples(dataset.id)
    convs = [conversation(ex.turns) for ex in examples]
    held_out: set[int] = set()
    if eval_path is None:
        group = {}
        for f in findings:
            if f.kind == "duplicate":
                group.update({r: f.finding_id for r in f.rows})
        train_convs, eval_items = split_eval(
            convs, [group.get(ex.row) for ex in examples], eval_frac, seed
        )
        kept = {id(c) for c in train_convs}
        held_out = {ex.row for ex, c in zip(examples, convs) if id(c) not in kept}
    else:
        eval_items = _items(eval_path)
    pool = [ex for ex in examples if ex.row not in held_out]
    pool_rows = {ex.row for ex in pool}
    findings = [f for f in findings if set(f.rows) <= pool_rows]
    curated = [conversation(r.turns) for r in derive(pool, auto_decisions(findings)) if r.included]
    return {"curated": curated, "baseline": [conversation(ex.turns) for ex in pool]}, eval_items


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
    dataset: Optional[Path] = typer.Argument(None, help="Dataset file (default: the demo data)."),
    eval_file: Optional[Path] = typer.Option(
        None, "--eval", help="Eval prompts with references (JSONL)."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder (report.json, report.md, runs/)."),
    preset_name: str = typer.Option("quick", "--preset", help="quick or full."),
    config: Optional[Path] = typer.Option(
        None, "--config", help="A run config file (overrides --preset)."
    ),
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Fine-tune LoRA on curated vs uncurated data (and a random same-size control), evaluate
    them and the base model on held-out prompts, and report the difference with a 95% CI."""
    from training.compare import run_comparison
    from training.config import RunConfig, preset

    cfg = RunConfig.load(config) if config else preset(preset_name)
    general: list[dict] = []
    if dataset is None:
        arms, items, general = demo_arms()
        if eval_file is not None:
            items = _items(eval_file)
    else:
        arms, items = dataset_arms(dataset, eval_file, workspace, cfg.seed)
    registry = WorkspaceRegistry(_open(workspace)) if workspace else None
    bar = _progress_bar()
    try:
        report = run_comparison(
            arms, items, cfg, out, progress=bar, registry=registry, general_items=general
        )
    finally:
        bar.close()
    typer.echo(
        f"{report['primary_metric']}: difference {report['difference']:+.4f} (positive = curated better; "
        f"95% CI {report['ci95_low']:+.4f} .. {report['ci95_high']:+.4f}, sign test p = {report['p_value']:.3g})"
    )
    typer.echo(f"{report['verdict']}\nreport: {out / 'report.md'}")


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
