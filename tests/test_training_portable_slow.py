"""The bundled SmolLM2 travels: a tiny adapter trained on it names
``HuggingFaceTB/SmolLM2-135M-Instruct`` and the GGUF-derived revision; the adapter folder
alone, copied to a fresh folder, loads in a separate process with plain peft + transformers
by that Hub id, the bundled weights resolved offline from the workbench's Hub cache, with the
same logits; the merged folder loads with plain transformers; ``load_adapter`` does the same
from ``adapter_config.json`` alone."""

from __future__ import annotations

import json

import pytest
import torch

from tests.test_training_portable import PROMPT, run_elsewhere
from training.config import RunConfig
from training.hub import HUB_ID, bundled_ref, file_sha256, hub_cache
from training.model import load_adapter, load_pretrained
from training.trainer import train

pytestmark = pytest.mark.slow

CONVS = [
    [
        {"role": "user", "content": f"How many seats does the Tidebook plan {i} include?"},
        {"role": "assistant", "content": f"Plan {i} includes {i + 10} seats."},
    ]
    for i in range(8)
]
CFG = RunConfig(
    max_steps=2,
    batch_size=4,
    max_seq_len=64,
    lora_r=2,
    lora_alpha=4,
    target_modules="attention",
    learning_rate=1e-2,
    device="cpu",
    precision="fp32",
    merge_adapter=True,
)


def test_bundled_adapter_loads_elsewhere_by_hub_id_offline_with_the_same_logits(tmp_path):
    from peft import PeftModel

    result = train(CONVS, CFG, tmp_path / "run")
    ref = bundled_ref()
    cfg = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == HUB_ID
    assert cfg["revision"] == ref.revision == file_sha256(ref.source["path"])[:40]
    card = (result.adapter_dir / "README.md").read_text()
    assert f"base_model: {HUB_ID}" in card and "Q4_1" in card and ref.source["sha256"] in card

    # the reference: the same base with transformers' default attention, as plain code loads it
    # (our trainer's eager attention differs from SDPA by up to ~5e-5 in these logits)
    base, tok = load_pretrained(ref, torch.float32)
    ids = tok(PROMPT, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        here = PeftModel.from_pretrained(base, str(result.adapter_dir)).eval()(ids).logits[0]
    there = run_elsewhere(result.adapter_dir, tmp_path / "elsewhere", hub_cache(), PROMPT)
    assert torch.equal(there["ids"], ids)
    assert torch.allclose(there["peft"], here, atol=1e-5)
    assert torch.allclose(there["auto"], here, atol=1e-5)

    model, _ = load_adapter(tmp_path / "elsewhere" / "adapter")
    with torch.no_grad():
        assert torch.allclose(model(ids).logits[0], here, atol=1e-5)

    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(result.metrics["merged_dir"], dtype=torch.float32)
    with torch.no_grad():
        diff = (merged.eval()(ids).logits[0] - here).abs().max().item()
    assert diff < 1e-4  # fp32 rounding of W + BA folded together; these logits reach ~30


def test_base_model_command_prints_how_plain_code_finds_the_bundled_model():
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["base-model"])
    assert result.exit_code == 0, result.output
    ref = bundled_ref()
    assert f"{HUB_ID} revision {ref.revision}" in result.output
    assert f"export HF_HUB_CACHE={hub_cache()} HF_HUB_OFFLINE=1" in result.output


def test_loading_the_bundled_base_asks_no_server_even_without_offline_mode(tmp_path):
    """Our own loading is offline by construction: with HF_HUB_OFFLINE unset and the Hub
    pointed at a closed port, loading the bundled base makes no request (transformers looked
    for an adapter_config.json on the Hub, five retries and ~23 s, before the fix)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens there: any request would fail and be logged
    code = (
        "import torch\nfrom training.hub import bundled_ref\nfrom training.model import load_pretrained\n"
        "model, tok = load_pretrained(bundled_ref(), torch.float32)\nprint('loaded', type(model).__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "loaded" in proc.stdout
    assert "127.0.0.1:9" not in proc.stderr and "Retrying" not in proc.stderr, proc.stderr[-2000:]
