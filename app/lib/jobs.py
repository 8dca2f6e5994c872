"""Background jobs (scans, the example map) that outlive a Streamlit rerun.

A job runs in a daemon thread of the server process and persists its progress in the
workspace runs table (``Workspace.record_run``), so every page and every session reads
the same state, and a finished job's result survives a restart. A job whose server died
stays ``running`` with a stale ``updated_at``: ``job_status`` reports it as
``interrupted``. Not handled: cancelling a running job.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curation.store import Dataset, Workspace

STALE_S = 600.0
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()

Progress = Callable[[str, int, int], None]


def _reporter(ws: Workspace, run_id: str, config: dict, data_hash: str, kind: str) -> Progress:
    last = [0.0]
    began: dict[str, tuple[float, int]] = {}  # stage -> (when and at what count it was first reported)

    def report(stage: str, done: int, total: int) -> None:
        now = time.time()
        if now - last[0] >= 0.5 or done >= total:  # throttle database writes
            last[0] = now
            t0, d0 = began.setdefault(stage, (now, done))
            metrics = {"stage": stage, "done": done, "total": total}
            if now > t0 and done > d0:
                rate = (done - d0) / (now - t0)
                metrics.update(rate=round(rate, 1), eta_s=round(max(0, total - done) / rate, 1))
            ws.record_run(run_id, config, data_hash, "running", metrics, kind=kind)

    return report


def progress_text(metrics: dict) -> str:
    """'embed · 1,200 of 5,000 · 85.3/s · about 45 s left' for a running job's stage."""
    parts = [str(metrics.get("stage", "")), f"{metrics.get('done', 0):,} of {metrics.get('total', 0):,}"]
    if metrics.get("rate"):
        parts += [f"{metrics['rate']:,}/s", time_left(metrics)]
    return " · ".join(parts)


def time_left(metrics: dict) -> str:
    """'about 45 s left' (or minutes) from a running stage's measured rate; '' before one."""
    if not metrics.get("rate"):
        return ""
    eta = float(metrics.get("eta_s", 0))
    return f"about {eta / 60:.0f} min left" if eta >= 90 else f"about {eta:.0f} s left"


def start(
    ws: Workspace, kind: str, key: str, config: dict, data_hash: str, work: Callable[[Progress], dict[str, Any]]
) -> str:
    """Run ``work(progress)`` in the background once per ``key`` at a time; returns the run id."""
    with _lock:
        running = _threads.get(key)
        if running is not None and running.is_alive():
            return running.name
        run_id = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        ws.record_run(run_id, config, data_hash, "running", {"stage": "queued", "done": 0, "total": 1}, kind=kind)
        report = _reporter(ws, run_id, config, data_hash, kind)

        def target() -> None:
            try:
                result = work(report)
                ws.record_run(run_id, config, data_hash, "done", result, kind=kind)
            except Exception as err:  # noqa: BLE001  a failed job must say why on the page, not kill the server
                ws.record_run(
                    run_id,
                    config,
                    data_hash,
                    "failed",
                    {"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()[-2000:]},
                    kind=kind,
                )

        thread = threading.Thread(target=target, name=run_id, daemon=True)
        _threads[key] = thread
        thread.start()
    return run_id


def wait(key: str, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the job under ``key``; True when none is running."""
    thread = _threads.get(key)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def job_status(run: dict) -> str:
    if run["status"] == "running" and time.time() - run["updated_at"] > STALE_S:
        return "interrupted"
    return run["status"]


def start_scan(
    ws: Workspace,
    dataset: Dataset,
    reference: Dataset | None,
    settings: Any,
    actor: str,
    eval_set: Dataset | None = None,
) -> str:
    """Scan a dataset in the background with the detectors of curation.scan, against a coverage
    reference (``reference``) and an eval set (``eval_set``) when given."""
    from curation.workbench import scan_dataset

    config = {
        "dataset": dataset.name,
        "dataset_id": dataset.id,
        "reference": reference.name if reference else None,
        "eval_set": eval_set.name if eval_set else None,
        "settings": settings.model_dump() if hasattr(settings, "model_dump") else settings,
        "actor": actor,
    }

    def work(progress: Progress) -> dict[str, Any]:
        scan_id, findings, timings = scan_dataset(
            ws, dataset, reference, settings=settings, progress=progress, eval_set=eval_set
        )
        return {"scan_id": scan_id, "n_findings": len(findings), "seconds": round(sum(timings.values()), 1)}

    return start(ws, "scan", f"scan:{ws.root}:{dataset.id}", config, dataset.content_hash, work)


def start_comparison(
    ws: Workspace,
    dataset: Dataset,
    eval_path: Path,
    preset_name: str,
    actor: str,
    general_path: Path | None = None,
    policy: bool = True,
    merge_rewordings: bool = False,
    **design: Any,
) -> str:
    """Fine-tune one LoRA on the source data and one on the curated set (plus training's random
    control) and compare them, in the background; the report lands in runs/compare-<time>/.
    The arms come from ``training.arms.build_arms``, as for `curate compare`; ``design``: the
    config fields `curate compare` sets from ``--seeds``, ``--match`` and ``--primary-metric``
    (``seeds``, ``match``, ``primary_metric``; None keeps the preset's)."""
    from training.arms import build_arms
    from training.compare import run_comparison
    from training.config import preset
    from training.registry import WorkspaceRegistry

    cfg = preset(preset_name).with_(**{k: v for k, v in design.items() if v is not None})

    def work(progress: Progress) -> dict[str, Any]:
        arms = build_arms(
            ws,
            dataset,
            eval_path,
            general_path,
            policy=policy,
            seed=cfg.seed,
            merge_rewordings=merge_rewordings and policy,
        )
        out = ws.runs_dir / f"compare-{time.strftime('%Y%m%d-%H%M%S')}"
        out.mkdir(parents=True, exist_ok=True)
        (out / "eval.jsonl").write_bytes(eval_path.read_bytes())  # the page shows prompts from it
        report = run_comparison(
            arms.arms,
            arms.eval_items,
            cfg,
            out,
            progress=lambda info: progress(str(info.get("stage")), int(1000 * info.get("fraction", 0)), 1000),
            registry=WorkspaceRegistry(ws),
            general_items=arms.general_items,
            data_info=arms.info,
        )
        return {"folder": str(out), "verdict": report.get("verdict"), "difference": report.get("difference")}

    config = {
        "dataset": dataset.name,
        "eval": str(eval_path),
        "preset": preset_name,
        "actor": actor,
        "policy": "auto" if policy else "none",
        "merge_rewordings": merge_rewordings and policy,
        "seeds": cfg.seeds,
        "match": cfg.match,
        "primary_metric": cfg.primary_metric,
    }
    return start(ws, "compare", f"compare:{ws.root}:{dataset.id}", config, dataset.content_hash, work)
