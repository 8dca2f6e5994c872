"""The real bundled SmolLM2-135M-Instruct: a few LoRA steps, masking and a greedy answer."""

from __future__ import annotations

import math

import pytest

from training.config import RunConfig
from training.data import IGNORE, encode
from training.generate import GenerationSettings, active_adapter, generate_answers
from training.model import attach_adapters, load_base
from training.trainer import train

pytestmark = pytest.mark.slow

CONVS = [
    [
        {
            "role": "user",
            "content": f"How many seats does the Tidebook Team plan include for team {i}?",
        },
        {"role": "assistant", "content": "The Team plan includes 10 seats."},
    ]
    for i in range(12)
]
CFG = RunConfig(max_steps=3, batch_size=4, max_seq_len=128, lora_r=4, lora_alpha=8, target_modules="attention")


@pytest.fixture(scope="module")
def base():
    return load_base(CFG)


def test_real_chat_template_masks_everything_but_the_answer(base):
    _, tok = base
    enc = encode(tok, CONVS[0], 256)
    labelled = tok.decode([t for t, lab in zip(enc.input_ids, enc.labels) if lab != IGNORE])
    assert labelled == "The Team plan includes 10 seats.<|im_end|>"


def test_real_model_trains_and_generates(tmp_path, base):
    res = train(CONVS, CFG, tmp_path / "run")
    assert len(res.metrics["losses"]) == 3 and all(math.isfinite(x) for x in res.metrics["losses"])
    model, tok = load_base(CFG)
    model = attach_adapters(model, {"team": res.adapter_dir})
    prompt = [[{"role": "user", "content": "What is the capital of France?"}]]
    with active_adapter(model, "base"):
        answer = generate_answers(model, tok, prompt, GenerationSettings(16, 1), "base")[0]
    assert "Paris" in answer
    with active_adapter(model, "team"):
        assert generate_answers(model, tok, prompt, GenerationSettings(16, 1), "team")[0]


def test_real_model_training_is_reproducible(tmp_path):
    cfg = CFG.with_(max_steps=2)
    a = train(CONVS, cfg, tmp_path / "a")
    b = train(CONVS, cfg, tmp_path / "b")
    assert a.metrics["losses"] == b.metrics["losses"]
