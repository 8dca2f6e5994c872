"""Experiment tracking: a training's config, loss curve, final metrics and adapter land in a
local MLflow file store and read back; a resumed training continues its run; the arms of a
comparison nest under the comparison's run; W&B runs offline."""

from __future__ import annotations

import json
import time

import pytest

from training import tracking
from training.config import RunConfig
from training.tiny import tiny_loader
from training.trainer import train

CONVS = [
    [
        {"role": "user", "content": f"Add {i} and {i}."},
        {"role": "assistant", "content": f"That is {2 * i}."},
    ]
    for i in range(16)
]
CFG = RunConfig(
    device="cpu",
    precision="fp32",
    max_steps=6,
    batch_size=4,
    learning_rate=1e-2,
    lora_r=4,
    lora_alpha=8,
    checkpoint_every=3,
)


@pytest.fixture
def store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient

    return MlflowClient(uri)


def runs_of(client, name: str = tracking.EXPERIMENT):
    exp = client.get_experiment_by_name(name)
    return client.search_runs([exp.experiment_id]) if exp else []


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_mlflow_file_store_gets_the_config_loss_curve_metrics_and_adapter(store, tmp_path):
    result = train(CONVS, CFG.with_(report_to="mlflow"), tmp_path / "run", model_loader=tiny_loader)
    (run,) = runs_of(store)
    rid = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.params["lora_r"] == "4" and run.data.params["learning_rate"] == "0.01"
    assert run.data.tags["training_key"] == result.metrics["training_key"]
    history = sorted(store.get_metric_history(rid, "train/loss"), key=lambda m: m.step)
    assert [m.step for m in history] == [1, 2, 3, 4, 5, 6]
    assert [m.value for m in history] == pytest.approx(result.metrics["losses"])
    assert run.data.metrics["final/final_loss"] == pytest.approx(result.metrics["final_loss"])
    files = {f.path for f in store.list_artifacts(rid, "adapter")}
    assert {"adapter/adapter_config.json", "adapter/adapter_model.safetensors", "adapter/README.md"} <= files
    assert json.loads((tmp_path / "run" / "tracking.json").read_text())["run_id"] == rid


def test_a_resumed_training_continues_its_mlflow_run(store, tmp_path):
    cfg = CFG.with_(report_to="mlflow")

    def interrupt(info):
        if info["step"] == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(CONVS, cfg, tmp_path / "run", progress=interrupt, model_loader=tiny_loader)
    (failed,) = runs_of(store)
    assert failed.info.status == "FAILED"
    result = train(CONVS, cfg, tmp_path / "run", model_loader=tiny_loader)
    (run,) = runs_of(store)
    assert run.info.run_id == failed.info.run_id and run.info.status == "FINISHED"
    last = {
        m.step: m.value
        for m in sorted(store.get_metric_history(run.info.run_id, "train/loss"), key=lambda m: m.timestamp)
    }
    assert [last[s] for s in range(1, 7)] == pytest.approx(result.metrics["losses"])


def test_trainings_inside_a_session_are_its_nested_runs(store, tmp_path):
    cfg = CFG.with_(report_to="mlflow", max_steps=2)
    with tracking.session("mlflow", "compare-demo", {"preset": "quick"}) as parent:
        for arm in ("curated", "baseline"):
            train(CONVS, cfg.with_(seed=len(arm)), tmp_path / arm, model_loader=tiny_loader, name=arm)
        parent.log_metrics({"difference": 0.25})
    runs = {r.info.run_name: r for r in runs_of(store)}
    assert set(runs) == {"compare-demo", "curated", "baseline"}
    pid = runs["compare-demo"].info.run_id
    assert runs["compare-demo"].data.metrics["difference"] == 0.25
    assert all(runs[a].data.tags["mlflow.parentRunId"] == pid for a in ("curated", "baseline"))


def test_report_to_none_starts_nothing(tmp_path):
    run = tracking.start("none", "x", {})
    assert isinstance(run, tracking.NullRun)
    train(CONVS, CFG.with_(max_steps=1), tmp_path / "run", model_loader=tiny_loader)
    assert not (tmp_path / "run" / "tracking.json").exists()


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_wandb_runs_offline_into_the_given_folder(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    with tracking.settings(location=tmp_path / "ws"):
        result = train(CONVS, CFG.with_(report_to="wandb", max_steps=3), tmp_path / "run", model_loader=tiny_loader)
    (offline,) = (tmp_path / "ws" / "wandb").glob("offline-run-*")
    run_id = json.loads((tmp_path / "run" / "tracking.json").read_text())["run_id"]
    assert offline.name.endswith(run_id)
    # the W&B run file is protobuf records (read by `wandb sync`); the logged keys are in it
    # (wandb-core, a separate process, may still be writing it when finish() returns: seen once
    # on a loaded 2-core box, so give it time)
    (log,) = offline.glob("*.wandb")
    deadline = time.monotonic() + 60
    while b"final/final_loss" not in log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.5)
    data = log.read_bytes()
    assert b"train/loss" in data and b"final/final_loss" in data and b"lora_r" in data
    assert result.metrics["steps"] == 3
