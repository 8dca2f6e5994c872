"""LoRA training throughput: our trainer vs a plain PEFT + transformers ``Trainer`` reference.

    python bench/bench_train.py [--data data/demo/train.jsonl] [--n 320] [--epochs 1]

Both train the same LoRA config (rank, alpha, targets, lr, schedule, batch, seed) on the same
conversations with the same labels (assistant answers + end-of-turn, from training.data), one
after the other, each in its own subprocess so peak memory is its own. Printed per trainer:
non-padding tokens per wall-clock second and per CPU second (the machine may be shared: CPU
seconds are steadier under contention), peak RSS, padding share, and the final training loss
(mean of the last 10 steps). Both adapters are then scored the same way: fp32 base model,
mean per-token NLL of the reference answers of held-out prompts (``--eval``), so "equal final
loss" is judged on the same footing, not on differently batched training losses.

The reference is what a careful plain setup looks like: fp32, random batches padded to the
longest in the batch (DataCollatorForSeq2Seq), full-vocabulary logits, SDPA attention.
Ours: bf16 frozen weights where the CPU has AVX512-BF16 (LoRA weights fp32), length-grouped
batches, output head only on labelled positions, eager attention on CPU. Both run with the same
OpenMP wait policy (passive on a busy box, active on an idle one, unless set).
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def synthetic(n: int) -> list[list[dict[str, str]]]:
    import random

    rng = random.Random(0)
    words = [
        "plan",
        "price",
        "seats",
        "export",
        "sync",
        "notes",
        "device",
        "team",
        "folder",
        "link",
    ]
    return [
        [
            {
                "role": "user",
                "content": " ".join(rng.choice(words) for _ in range(rng.randint(4, 20))) + "?",
            },
            {
                "role": "assistant",
                "content": " ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) + ".",
            },
        ]
        for _ in range(n)
    ]


def load_data(args: argparse.Namespace) -> list[list[dict[str, str]]]:
    from training.data import load_conversations

    if args.data and Path(args.data).exists():
        return load_conversations(args.data)[: args.n]
    return synthetic(args.n)


def config(args: argparse.Namespace):
    from training.config import preset

    return preset("quick", epochs=args.epochs, seed=0, checkpoint_every=10**9)


def run_reference(args: argparse.Namespace, out: Path) -> dict:
    import torch
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from training.data import encode_all
    from training.model import add_lora, load_base

    cfg = config(args)
    base, tok = load_base(cfg, dtype=torch.float32)
    torch.manual_seed(cfg.seed)
    model = add_lora(base, cfg)
    enc, _ = encode_all(tok, load_data(args), cfg.max_seq_len)
    rows = [{"input_ids": e.input_ids, "attention_mask": [1] * len(e.input_ids), "labels": e.labels} for e in enc]
    targs = TrainingArguments(
        output_dir=str(out / "hf"),
        per_device_train_batch_size=cfg.batch_size,
        num_train_epochs=cfg.epochs,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_schedule,
        warmup_steps=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=cfg.seed,
        use_cpu=True,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    collator = DataCollatorForSeq2Seq(tok, padding="longest", label_pad_token_id=-100)
    trainer = Trainer(model=model, args=targs, train_dataset=rows, data_collator=collator)
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    trainer.train()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    model.save_pretrained(out / "adapter")
    steps = len(losses)
    padded = 0
    for batch in trainer.get_train_dataloader():
        padded += batch["input_ids"].numel()
    tokens = int(args.epochs * sum(len(r["input_ids"]) for r in rows))
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "tokens": tokens,
        "steps": steps,
        "losses": losses,
        "padding_frac": 1 - sum(len(r["input_ids"]) for r in rows) / padded,
        "adapter": str(out / "adapter"),
    }


def run_ours(args: argparse.Namespace, out: Path) -> dict:
    from training.trainer import train

    cfg = config(args)
    res = train(load_data(args), cfg, out / "run")
    m = res.metrics
    # the training loop only, as for the reference (model load and encoding excluded)
    wall, cpu = m["train_seconds"], m["train_cpu_seconds"]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "tokens": m["tokens"],
        "steps": m["steps"],
        "losses": m["losses"],
        "padding_frac": m["padding_frac"],
        "adapter": str(res.adapter_dir),
    }


def child(impl: str, args: argparse.Namespace, out: Path) -> None:
    import torch

    torch.manual_seed(0)
    result = (run_reference if impl == "reference" else run_ours)(args, out)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["load_avg_after"] = os.getloadavg()[0]
    (out / "result.json").write_text(json.dumps(result))


def heldout_nll(args: argparse.Namespace, adapters: dict[str, str]) -> dict[str, float]:
    import torch

    from training.data import read_jsonl
    from training.generate import active_adapter
    from training.metrics import reference_nll
    from training.model import attach_adapters, load_base

    items = (
        [it for it in read_jsonl(args.eval) if it.get("reference")][: args.n_eval] if Path(args.eval).exists() else []
    )
    if not items:
        return {}
    base, tok = load_base(config(args), dtype=torch.float32)
    model = attach_adapters(base, adapters)
    out = {}
    for name in ["base", *adapters]:
        with active_adapter(model, name):
            vals = reference_nll(model, tok, [i["messages"] for i in items], [i["reference"] for i in items])
        out[name] = sum(v for v, _ in vals) / len(vals)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data/demo/train.jsonl"))
    ap.add_argument("--eval", default=str(ROOT / "data/demo/eval.jsonl"))
    ap.add_argument("--n", type=int, default=320, help="conversations to train on")
    ap.add_argument("--n-eval", type=int, default=120, help="held-out prompts for the final NLL")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--impl", choices=["reference", "ours"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.impl:
        child(args.impl, args, Path(args.out))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_train-"))
    results = {}
    for impl in ("reference", "ours"):
        out = tmp / impl
        out.mkdir()
        cmd = [
            sys.executable,
            __file__,
            "--impl",
            impl,
            "--out",
            str(out),
            "--data",
            args.data,
            "--n",
            str(args.n),
            "--epochs",
            str(args.epochs),
            "--eval",
            args.eval,
        ]
        load_before = os.getloadavg()[0]
        wait_policy = os.environ.get("OMP_WAIT_POLICY") or (
            "PASSIVE" if load_before >= (os.cpu_count() or 1) else "ACTIVE"
        )
        # Same OpenMP wait policy for both, chosen as training/__init__ does: passive on a
        # busy box (spinning waits there cost an order of magnitude), active on an idle one.
        env = {**os.environ, "TQDM_DISABLE": "1", "OMP_WAIT_POLICY": wait_policy}
        subprocess.run(cmd, check=True, env=env)
        results[impl] = json.loads((out / "result.json").read_text()) | {
            "load_avg_before": load_before,
            "omp_wait_policy": wait_policy,
        }
    nll = heldout_nll(args, {k: v["adapter"] for k, v in results.items()})
    print(f"\nLoRA training, {args.n} conversations x {args.epochs} epoch(s), quick preset (r=16, all-linear, batch 8)")
    print(
        f"{'trainer':<10} {'tok/s wall':>10} {'tok/CPU-s':>10} {'peak MB':>8} {'padding':>8} {'steps':>6} "
        f"{'final loss':>10} {'held-out NLL':>12} {'load avg':>9}"
    )
    for impl, r in results.items():
        tail = r["losses"][-10:]
        print(
            f"{impl:<10} {r['tokens'] / r['wall_s']:>10.0f} {r['tokens'] / r['cpu_s']:>10.0f} {r['peak_rss_mb']:>8.0f} "
            f"{r['padding_frac']:>8.1%} {r['steps']:>6} {sum(tail) / len(tail):>10.4f} {nll.get(impl, float('nan')):>12.4f} "
            f"{r['load_avg_before']:>4.1f}/{r['load_avg_after']:<4.1f}"
        )
    if "base" in nll:
        print(f"{'base':<10} {'':>10} {'':>10} {'':>8} {'':>8} {'':>6} {'':>10} {nll['base']:>12.4f}")
    ref, ours = results["reference"], results["ours"]
    print(
        f"\nspeed-up (wall): {(ours['tokens'] / ours['wall_s']) / (ref['tokens'] / ref['wall_s']):.2f}x   "
        f"(CPU time): {(ours['tokens'] / ours['cpu_s']) / (ref['tokens'] / ref['cpu_s']):.2f}x"
    )
    print(
        "tokens = non-padding tokens (prompt + answer); wall time covers the training loop only "
        "(model load and tokenization excluded for both)."
    )
    (tmp / "bench.json").write_text(json.dumps({"results": results, "heldout_nll": nll}, indent=2))
    print(f"raw results: {tmp / 'bench.json'}")


if __name__ == "__main__":
    main()
