"""Training and evaluation throughput on whatever device this machine has (CUDA if torch sees
one, else the CPU), with the bundled SmolLM2-135M-Instruct and the quick preset's LoRA.

    python bench/bench_device.py [--steps 12] [--n 160] [--device auto] [--precision auto]

Printed, all as non-padding tokens per second:

- ours: ``training.trainer.train`` (length-grouped batches, head on labelled positions only,
  bf16 autocast where the device has it, micro-batch from free memory on CUDA);
- reference, in the same run and on the same device: a plain PEFT loop over the same rows
  (random batches padded to the longest, full-vocabulary logits, fp32, the model's default
  attention) with the same optimizer, steps and batch size;
- evaluation: scoring reference answers (``metrics.reference_nll``) and greedy generation of
  new tokens (``generate.generate_answers``), the two halves of a comparison's evaluation.

Warm-up (CUDA kernel selection, the allocator) is kept out of both training figures: a
one-step run of ours goes first, and the reference leaves out its own first step. Figures,
not pass/fail.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(device)
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{model}, {torch.get_num_threads()} threads"


def ours(convs, cfg, out: Path) -> dict:
    from training.trainer import train

    m = train(convs, cfg, out).metrics
    return {
        "tokens_per_s": m["tokens_per_s"],
        "dtype": m["dtype"],
        "micro_batch": m["micro_batch_size"],
        "padding": m["padding_frac"],
        "final_loss": m["final_loss"],
    }


def reference(convs, cfg) -> dict:
    import torch

    from training.data import collate, encode_all
    from training.model import add_lora, load_pretrained, pick_device, resolve_base

    device = pick_device(cfg.device)
    base, tok = load_pretrained(resolve_base(cfg.base_model), torch.float32)
    base.to(device).requires_grad_(False)
    torch.manual_seed(cfg.seed)
    model = add_lora(base, cfg)
    enc, _ = encode_all(tok, convs, cfg.max_seq_len)
    order = list(range(len(enc)))
    random.Random(cfg.seed).shuffle(order)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate)
    model.train()
    tokens, elapsed = 0, 0.0
    for step in range(cfg.max_steps):
        rows = [enc[order[(step * cfg.batch_size + i) % len(enc)]] for i in range(cfg.batch_size)]
        batch = {k: v.to(device) for k, v in collate(rows, tok.pad_token_id).items()}
        _sync(device)
        t0 = time.perf_counter()
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        _sync(device)
        if step:  # the first step warms up kernels and the allocator
            elapsed += time.perf_counter() - t0
            tokens += int(batch["attention_mask"].sum())
    return {"tokens_per_s": tokens / elapsed}


def evaluation(cfg, items) -> dict:
    from training.generate import GenerationSettings, generate_answers
    from training.metrics import reference_nll
    from training.model import load_base

    model, tok = load_base(cfg)
    prompts = [i["messages"] for i in items]
    refs = [i["reference"] for i in items]
    reference_nll(model, tok, prompts[:4], refs[:4])  # warm-up
    _sync(str(next(model.parameters()).device))
    t0 = time.perf_counter()
    scored = reference_nll(model, tok, prompts, refs, batch_size=cfg.eval_batch_size)
    score_s = time.perf_counter() - t0
    settings = GenerationSettings(cfg.max_new_tokens, cfg.gen_batch_size)
    t0 = time.perf_counter()
    answers = generate_answers(model, tok, prompts, settings, "bench")
    gen_s = time.perf_counter() - t0
    new = sum(len(tok(a, add_special_tokens=False).input_ids) for a in answers)
    return {
        "score_tokens_per_s": sum(n for _, n in scored) / score_s,
        "gen_tokens_per_s": new / gen_s,
        "n_prompts": len(items),
    }


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--n", type=int, default=160, help="training conversations (demo data)")
    ap.add_argument("--n-eval", type=int, default=64, help="eval prompts (demo data)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precision", default="auto")
    args = ap.parse_args()

    import tempfile

    from training.config import preset
    from training.data import load_conversations, read_jsonl
    from training.model import pick_device

    demo = ROOT / "data" / "demo"
    convs = load_conversations(demo / "train.jsonl")[: args.n]
    items = [i for i in read_jsonl(demo / "eval.jsonl") if i.get("reference")][: args.n_eval]
    cfg = preset("quick", max_steps=args.steps, device=args.device, precision=args.precision, checkpoint_every=10**9)
    device = pick_device(cfg.device)
    print(f"device: {device} ({device_name(device)})")
    with tempfile.TemporaryDirectory() as tmp:
        ours(convs, cfg.with_(max_steps=1), Path(tmp) / "warm-up")
        o = ours(convs, cfg, Path(tmp) / "ours")
    r = reference(convs, cfg)
    e = evaluation(cfg, items)
    print(
        f"LoRA r{cfg.lora_r} {cfg.target_modules}, batch {cfg.batch_size}, "
        f"max_seq_len {cfg.max_seq_len}, {cfg.max_steps} steps"
    )
    print("| what | tokens/s | notes |\n|---|---|---|")
    print(
        f"| training, ours | {o['tokens_per_s']:.0f} | base {o['dtype']}, micro-batch "
        f"{o['micro_batch']}, padding {o['padding']:.1%} |"
    )
    print(
        f"| training, plain PEFT loop (reference) | {r['tokens_per_s']:.0f} | fp32, random "
        f"padded batches, full logits; ours is {o['tokens_per_s'] / r['tokens_per_s']:.2f}x |"
    )
    print(
        f"| evaluation: scoring references | {e['score_tokens_per_s']:.0f} | "
        f"{e['n_prompts']} prompts, batch {cfg.eval_batch_size} |"
    )
    print(
        f"| evaluation: greedy generation (new tokens) | {e['gen_tokens_per_s']:.0f} | "
        f"batch {cfg.gen_batch_size}, up to {cfg.max_new_tokens} new tokens |"
    )


if __name__ == "__main__":
    main()
