"""One LoRA training run: seeded, resumable, observable.

- Reproducible: the adapter is created right after seeding; the batch order of each epoch is a
  pure function of (seed, epoch); dropout's RNG state is saved in every checkpoint. The same
  config on the same machine gives the same losses, with or without a kill in between.
- Resumable: every ``checkpoint_every`` steps the LoRA weights, optimizer, scheduler and RNG
  states are written to a temporary folder and renamed into place, so a ``kill -9`` leaves
  either the old or the new checkpoint, never half of one. Rerunning the same call resumes.
- Observable: a tqdm bar, an optional ``progress(dict)`` callback, and ``status.json`` in the
  run folder (the app polls it), all carrying the same fields.
- Fast on CPU: bf16 frozen weights where the CPU has them, length-grouped batches (little
  padding), and the output head applied only at labelled positions (see ``model.label_nll``).

Run folder: ``run.json`` (config + data hash), ``status.json``, ``train_log.jsonl``,
``checkpoints/step-NNNNNN/``, and at the end ``adapter/`` (PEFT format) and ``metrics.json``.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint, write_json
from training.config import RunConfig
from training.data import (
    Conversation,
    collate,
    conversations_hash,
    encode_all,
    length_grouped_batches,
)
from training.model import add_lora, label_nll, load_base, merge_and_save

Progress = Callable[[dict[str, Any]], None]
ModelLoader = Callable[[RunConfig], tuple[Any, Any]]


@dataclass
class TrainResult:
    adapter_dir: Path
    metrics: dict[str, Any]
    resumed_from: int | None = None
    cached: bool = False


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def lr_lambda(config: RunConfig, total: int) -> Callable[[int], float]:
    warm = math.ceil(config.warmup_ratio * total)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        frac = (step - warm) / max(1, total - warm)
        if config.lr_schedule == "cosine":
            return 0.5 * (1 + math.cos(math.pi * frac))
        return 1 - frac if config.lr_schedule == "linear" else 1.0

    return factor


def train(
    conversations: Sequence[Conversation],
    config: RunConfig,
    run_dir: str | Path,
    progress: Progress | None = None,
    model_loader: ModelLoader = load_base,
    name: str = "",
) -> TrainResult:
    """Train one LoRA adapter on ``conversations``; resumes from ``run_dir`` when possible."""
    import torch
    from peft.helpers import disable_input_dtype_casting
    from tqdm import tqdm

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    config = config.with_(data_hash=config.data_hash or conversations_hash(conversations))
    ident = {
        "training_key": config.training_key(),
        "data_hash": config.data_hash,
        "config": config.to_dict(),
    }
    _claim(run_dir, ident)
    adapter_dir = run_dir / "adapter"
    if (run_dir / "metrics.json").exists() and (adapter_dir / "adapter_model.safetensors").exists():
        return TrainResult(
            adapter_dir, json.loads((run_dir / "metrics.json").read_text()), cached=True
        )

    base, tok = model_loader(config)
    seed_everything(config.seed)
    model = add_lora(base, config)
    device = next(model.parameters()).device
    bf16 = next(base.parameters()).dtype == torch.bfloat16
    encoded, data_stats = encode_all(tok, conversations, config.max_seq_len)
    if not encoded:
        raise ValueError("no training conversation has an assistant answer within max_seq_len")
    lengths = [len(e.input_ids) for e in encoded]
    micro_per_epoch = math.ceil(len(encoded) / config.batch_size)
    steps_per_epoch = math.ceil(micro_per_epoch / config.grad_accum)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(config, total))
    state = {"step": 0, "losses": [], "tokens": 0, "padded": 0, "elapsed": 0.0, "cpu": 0.0}
    resumed_from = None
    ckpt = latest_checkpoint(run_dir)
    if ckpt is not None:
        state = load_checkpoint(ckpt, model, opt, sched)
        resumed_from = state["step"]

    epoch_batches: dict[int, list[list[int]]] = {}

    def micro_batches(step: int) -> list[list[int]]:
        out = []
        for j in range(config.grad_accum):
            epoch, k = divmod(step * config.grad_accum + j, micro_per_epoch)
            if epoch not in epoch_batches:
                epoch_batches[epoch] = length_grouped_batches(
                    lengths, config.batch_size, config.seed, epoch
                )
            out.append(epoch_batches[epoch][k])
        return out

    def report(status: str, **extra: Any) -> dict[str, Any]:
        done = state["step"]
        rate = state["tokens"] / state["elapsed"] if state["elapsed"] else 0.0
        eta = state["elapsed"] / done * (total - done) if done else None
        info = {
            "phase": "train",
            "name": name,
            "state": status,
            "step": done,
            "total_steps": total,
            "epoch": round(done / steps_per_epoch, 3),
            "loss": state["losses"][-1] if state["losses"] else None,
            "tokens_per_s": round(rate, 1),
            "elapsed_s": round(state["elapsed"], 1),
            "eta_s": None if eta is None else round(eta, 1),
            "updated": time.time(),
            **extra,
        }
        write_json(run_dir / "status.json", info)
        if progress is not None:
            progress(info)
        return info

    bar = tqdm(
        total=total,
        initial=state["step"],
        desc=f"train {name}".strip(),
        unit="step",
        mininterval=1.0,
    )
    log = (run_dir / "train_log.jsonl").open("a", encoding="utf-8")
    model.train()
    try:
        report("running")
        while state["step"] < total:
            t0, c0 = time.perf_counter(), time.process_time()
            batches = [
                collate([encoded[i] for i in b], tok.pad_token_id)
                for b in micro_batches(state["step"])
            ]
            n_labels = sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches)
            step_loss = 0.0
            for batch in batches:
                batch = {k: v.to(device) for k, v in batch.items()}
                # under autocast PEFT's own cast of the LoRA input to fp32 is a wasted copy
                with (
                    torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
                    disable_input_dtype_casting(model, active=bf16),
                ):
                    nll, _ = label_nll(model, batch)
                    loss = nll.sum() / n_labels
                loss.backward()
                step_loss += float(loss.detach())
                state["tokens"] += int(batch["attention_mask"].sum())
                state["padded"] += batch["attention_mask"].numel()
            if config.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            state["step"] += 1
            state["losses"].append(step_loss)
            state["elapsed"] += time.perf_counter() - t0
            state["cpu"] += time.process_time() - c0
            log.write(
                json.dumps({"step": state["step"], "loss": step_loss, "lr": sched.get_last_lr()[0]})
                + "\n"
            )
            log.flush()
            bar.update(1)
            bar.set_postfix(loss=f"{step_loss:.3f}")
            report("running")
            if state["step"] % config.checkpoint_every == 0 and state["step"] < total:
                save_checkpoint(run_dir, state, model, opt, sched)
    except BaseException as exc:
        report("failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        bar.close()
        log.close()

    tmp = Path(tempfile.mkdtemp(dir=run_dir, prefix=".adapter-"))
    model.save_pretrained(tmp)
    shutil.rmtree(adapter_dir, ignore_errors=True)
    os.replace(tmp, adapter_dir)
    tail = state["losses"][-max(1, min(10, len(state["losses"]) // 5)) :]
    metrics = {
        **data_stats,
        "steps": total,
        "steps_per_epoch": steps_per_epoch,
        "final_loss": sum(tail) / len(tail),
        "last_loss": state["losses"][-1],
        "losses": state["losses"],
        "tokens": state["tokens"],
        "padding_frac": 1 - state["tokens"] / max(1, state["padded"]),
        "train_seconds": state["elapsed"],
        "train_cpu_seconds": state.get("cpu", 0.0),
        "tokens_per_s": state["tokens"] / max(1e-9, state["elapsed"]),
        "resumed_from": resumed_from,
        "training_key": ident["training_key"],
        "data_hash": config.data_hash,
    }
    if config.merge_adapter:
        metrics["merged_dir"] = str(merge_and_save(config, adapter_dir, run_dir / "merged"))
    write_json(run_dir / "metrics.json", metrics)
    report("done", final_loss=metrics["final_loss"])
    shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
    return TrainResult(adapter_dir, metrics, resumed_from)


def _claim(run_dir: Path, ident: dict[str, Any]) -> None:
    path = run_dir / "run.json"
    if path.exists():
        old = json.loads(path.read_text())
        if old.get("training_key") != ident["training_key"]:
            raise ValueError(
                f"{run_dir} holds a different run ({old.get('training_key')}); use a new folder"
            )
        return
    write_json(path, ident)
