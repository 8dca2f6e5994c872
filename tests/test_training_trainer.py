"""Training mechanics on a tiny random Llama: loss, adapters, reproducibility, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from training.config import RunConfig
from training.data import collate, encode
from training.model import label_nll
from training.tiny import tiny_loader
from training.trainer import train

CONVS = [
    [
        {"role": "user", "content": f"What is {i} + {i}?"},
        {"role": "assistant", "content": f"It is {2 * i}."},
    ]
    for i in range(24)
]
CFG = RunConfig(
    precision="fp32",
    max_steps=8,
    batch_size=4,
    learning_rate=1e-2,
    lora_r=4,
    lora_alpha=8,
    lora_dropout=0.1,
    checkpoint_every=2,
    device="cpu",
)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matmuls are dominated by thread sync; one thread is faster and steadier."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def lora_weights(adapter_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(adapter_dir / "adapter_model.safetensors"))


def test_label_nll_matches_the_model_loss_on_labelled_tokens():
    model, tok = tiny_loader(CFG)
    batch = collate([encode(tok, c, 256) for c in CONVS[:3]], tok.pad_token_id)
    nll, rows = label_nll(model, batch)
    ref = model(**batch).loss
    assert float(nll.mean()) == pytest.approx(float(ref), rel=1e-5)
    assert sorted(set(rows.tolist())) == [0, 1, 2]


def test_training_lowers_loss_and_saves_a_peft_adapter(tmp_path):
    from peft import PeftModel

    res = train(CONVS, CFG.with_(max_steps=30, lora_dropout=0.0), tmp_path / "run", model_loader=tiny_loader)
    losses = res.metrics["losses"]
    assert len(losses) == 30 and sum(losses[-5:]) < sum(losses[:5])
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(os.listdir(res.adapter_dir))
    base, _ = tiny_loader(CFG)
    loaded = PeftModel.from_pretrained(base, str(res.adapter_dir))
    assert any("lora_A" in n for n, _ in loaded.named_parameters())
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "done" and status["step"] == status["total_steps"] == 30
    assert not (tmp_path / "run" / "checkpoints").exists()  # cleaned once the adapter is saved


def test_same_seed_same_losses_and_weights_other_seed_differs(tmp_path):
    a = train(CONVS, CFG, tmp_path / "a", model_loader=tiny_loader)
    b = train(CONVS, CFG, tmp_path / "b", model_loader=tiny_loader)
    c = train(CONVS, CFG.with_(seed=1), tmp_path / "c", model_loader=tiny_loader)
    assert a.metrics["losses"] == b.metrics["losses"]
    wa, wb, wc = (lora_weights(r.adapter_dir) for r in (a, b, c))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a.metrics["losses"] != c.metrics["losses"]
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_finished_run_is_reused_and_a_different_config_is_refused(tmp_path):
    first = train(CONVS, CFG, tmp_path / "run", model_loader=tiny_loader)
    again = train(CONVS, CFG, tmp_path / "run", model_loader=tiny_loader)
    assert again.cached and again.metrics["losses"] == first.metrics["losses"]
    with pytest.raises(ValueError, match="different run"):
        train(CONVS, CFG.with_(learning_rate=1e-3), tmp_path / "run", model_loader=tiny_loader)


def test_interrupted_run_resumes_from_checkpoint_and_matches_an_uninterrupted_one(tmp_path):
    straight = train(CONVS, CFG, tmp_path / "straight", model_loader=tiny_loader)
    seen = []

    def interrupt(info):
        seen.append(info)
        if info["step"] == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(CONVS, CFG, tmp_path / "broken", progress=interrupt, model_loader=tiny_loader)
    status = json.loads((tmp_path / "broken" / "status.json").read_text())
    assert status["state"] == "failed" and status["step"] == 5
    resumed = train(CONVS, CFG, tmp_path / "broken", model_loader=tiny_loader)
    assert resumed.resumed_from == 4  # last checkpoint before the interruption
    assert resumed.metrics["losses"] == straight.metrics["losses"]
    ws, wr = lora_weights(straight.adapter_dir), lora_weights(resumed.adapter_dir)
    assert all(torch.equal(ws[k], wr[k]) for k in ws)


KILL_SCRIPT = """
import sys, time, torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from tests.test_training_trainer import CONVS, CFG
from training.tiny import tiny_loader
from training.trainer import train
train(CONVS, CFG.with_(max_steps=40), {run!r}, progress=lambda info: time.sleep(0.1), model_loader=tiny_loader)
"""


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_kill_minus_nine_then_rerun_resumes(tmp_path):
    root = str(Path(__file__).resolve().parents[1])
    run = tmp_path / "run"
    code = KILL_SCRIPT.format(root=root, run=str(run))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((run / "checkpoints").glob("step-00000[4-9]")):
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list((run / "checkpoints").glob("step-*")), "no checkpoint was written before the kill"
    resumed = train(CONVS, CFG.with_(max_steps=40), run, model_loader=tiny_loader)
    assert resumed.resumed_from and resumed.resumed_from >= 4
    assert len(resumed.metrics["losses"]) == 40
