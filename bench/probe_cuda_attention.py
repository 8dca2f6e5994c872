"""Probe: LoRA training tokens/s on a CUDA GPU with cuDNN's attention kernel allowed and
excluded (``training.model.attention_kernels``), needing no model download.

    python bench/probe_cuda_attention.py [--steps 25]

The base is a randomly initialised Llama of SmolLM2-135M's shape (30 layers, width 576, 9
heads, 3 KV heads; speed does not depend on the weights' values) with the tiny character
tokenizer, trained by ``training.trainer.train`` on the demo conversations with the quick
preset's LoRA, ``max_seq_len`` 1024 so that the length-grouped batches vary in length as real
ones do. "cuDNN allowed" replaces ``attention_kernels`` with no restriction, as before
2026-11-30. Figures, not pass/fail; exits 0 where torch sees no GPU.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def smollm2_shaped(config):
    """A ``model_loader``: SmolLM2-135M's shape, random weights, SDPA attention."""
    from training.model import pick_device, pick_dtype
    from training.tiny import tiny_model, tiny_tokenizer

    tok = tiny_tokenizer()
    model = tiny_model(len(tok), hidden=576, layers=30, heads=9, kv_heads=3, intermediate=1536)
    device = pick_device(config.device)
    return model.to(device=device, dtype=pick_dtype(config.precision, device)), tok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    import torch

    import training.model as tm
    from training.config import preset
    from training.data import load_conversations
    from training.trainer import train

    if args.device == "cuda" and not torch.cuda.is_available():
        print("torch sees no CUDA GPU here: nothing to measure")
        return 0
    convs = load_conversations(ROOT / "data" / "demo" / "train.jsonl")[:400]
    restricted = tm.attention_kernels
    print("| precision | batch | cuDNN attention | tokens/s | padding |\n|---|---|---|---|---|", flush=True)
    for precision, batch, cudnn in (
        ("bf16", 8, True),
        ("bf16", 8, False),
        ("bf16", 32, True),
        ("bf16", 32, False),
        ("fp32", 8, False),
    ):
        tm.attention_kernels = (lambda device: contextlib.nullcontext()) if cudnn else restricted
        cfg = preset(
            "quick",
            max_steps=args.steps,
            device=args.device,
            precision=precision,
            batch_size=batch,
            max_seq_len=1024,
            checkpoint_every=10**9,
        )
        with tempfile.TemporaryDirectory() as tmp:
            train(convs, cfg.with_(max_steps=2), Path(tmp) / "warm-up", model_loader=smollm2_shaped)
            m = train(convs, cfg, Path(tmp) / "run", model_loader=smollm2_shaped).metrics
        allowed = "allowed" if cudnn else "excluded"
        print(f"| {precision} | {batch} | {allowed} | {m['tokens_per_s']:.0f} | {m['padding_frac']:.1%} |", flush=True)
    tm.attention_kernels = restricted
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
