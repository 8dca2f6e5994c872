"""The optional TRL backend: same config, same rows and labels, same run folder, metrics and
card as our trainer; its adapter loads like ours; an interrupted run resumes."""

from __future__ import annotations

import json

import pytest

from training.config import RunConfig
from training.tiny import tiny_loader
from training.trainer import train

pytest.importorskip("trl")

CONVS = [
    [
        {"role": "user", "content": f"What is the refund window for order {i}?"},
        {"role": "assistant", "content": f"Order {i} can be refunded within {i + 14} days."},
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
    checkpoint_every=2,
)


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_trl_backend_gives_the_same_report_from_the_same_config(tmp_path):
    ours = train(CONVS, CFG, tmp_path / "ours", model_loader=tiny_loader)
    trl = train(CONVS, CFG.with_(backend="trl"), tmp_path / "trl", model_loader=tiny_loader)
    assert set(trl.metrics) == set(ours.metrics)
    assert trl.metrics["backend"] == "trl" and trl.metrics["steps"] == 6
    assert len(trl.metrics["losses"]) == 6
    assert trl.metrics["losses"][-1] < trl.metrics["losses"][0]  # it learns
    # the same labelled rows, encoded once by training.data for both backends
    assert trl.metrics["n_examples"] == ours.metrics["n_examples"] == 16
    assert trl.metrics["training_key"] != ours.metrics["training_key"]
    names = {p.name for p in (tmp_path / "trl").iterdir()}
    assert {"adapter", "metrics.json", "run.json", "status.json", "train_log.jsonl"} <= names
    assert not (tmp_path / "trl" / "checkpoints").exists()
    log = [json.loads(x) for x in (tmp_path / "trl" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert "`trl`" in (trl.adapter_dir / "README.md").read_text()
    cfg = json.loads((trl.adapter_dir / "adapter_config.json").read_text())
    assert cfg["r"] == 4 and cfg["lora_alpha"] == 8


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_trl_backend_resumes_after_an_interruption(tmp_path):
    def interrupt(info):
        if info["step"] == 5:
            raise KeyboardInterrupt

    cfg = CFG.with_(backend="trl")
    with pytest.raises(KeyboardInterrupt):
        train(CONVS, cfg, tmp_path / "run", progress=interrupt, model_loader=tiny_loader)
    assert list((tmp_path / "run" / "checkpoints").glob("checkpoint-4"))
    resumed = train(CONVS, cfg, tmp_path / "run", model_loader=tiny_loader)
    assert resumed.resumed_from == 4 and resumed.metrics["steps"] == 6
