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
- GPU: bf16 autocast (fp16 with a loss scaler where the GPU lacks bf16); each batch runs in
  micro-batches as large as free memory holds (measured on the longest row), so the optimizer
  step, and what is learned, is the same on any device.
- Tracked: ``report_to`` sends the config, the loss curve and the adapter to MLflow or W&B
  (``training.tracking``).
- Portable: the adapter names its base by Hub id and revision, and carries ``provenance.json``
  and a model card (``training.card``); ``merge_adapter`` adds a plain transformers folder.

``backend = "trl"`` trains the same LoRA on the same labelled rows with TRL's ``SFTTrainer``
instead (``training.trl_backend``), with the same run folder, metrics and card.

Run folder: ``run.json`` (config + data hash), ``status.json``, ``train_log.jsonl``,
``checkpoints/``, ``tracking.json``, and at the end ``adapter/`` (PEFT format + card),
``metrics.json`` and, with ``merge_adapter``, ``merged/``.
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

from training import tracking
from training.card import data_record, write_provenance
from training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint, write_json
from training.config import RunConfig
from training.data import (
    Conversation,
    Encoded,
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
        return TrainResult(adapter_dir, json.loads((run_dir / "metrics.json").read_text()), cached=True)

    base, tok = model_loader(config)
    seed_everything(config.seed)
    model = add_lora(base, config)
    encoded, data_stats = encode_all(tok, conversations, config.max_seq_len)
    if not encoded:
        raise ValueError("no training conversation has an assistant answer within max_seq_len")
    micro_per_epoch = math.ceil(len(encoded) / config.batch_size)
    steps_per_epoch = math.ceil(micro_per_epoch / config.grad_accum)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    tracker = _tracker(config, run_dir, name, ident)
    monitor = Monitor(run_dir, name, total, steps_per_epoch, progress, tracker)
    try:
        if config.backend == "trl":
            from training.trl_backend import fit_trl

            state = fit_trl(model, tok, encoded, config, run_dir, total, monitor)
        else:
            state = _fit(model, tok, encoded, config, run_dir, total, micro_per_epoch, monitor)
    except BaseException as exc:
        tracker.finish("failed")  # first: the progress callback below may raise again
        monitor.report(monitor.state, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        monitor.close()

    tmp = Path(tempfile.mkdtemp(dir=run_dir, prefix=".adapter-"))
    # embeddings are never trained here; False also skips PEFT's Hub lookup of the base config,
    # which retries for a minute on a machine without network and without HF_HUB_OFFLINE
    model.save_pretrained(tmp, save_embedding_layers=False)
    shutil.rmtree(adapter_dir, ignore_errors=True)
    os.replace(tmp, adapter_dir)
    losses = state["losses"]
    tail = losses[-max(1, min(10, len(losses) // 5)) :]
    param = next(model.parameters())
    metrics = {
        **data_stats,
        "steps": total,
        "steps_per_epoch": steps_per_epoch,
        "final_loss": sum(tail) / len(tail),
        "last_loss": losses[-1],
        "losses": losses,
        "tokens": state["tokens"],
        "padding_frac": 1 - state["tokens"] / max(1, state["padded"]),
        "train_seconds": state["elapsed"],
        "train_cpu_seconds": state.get("cpu", 0.0),
        "tokens_per_s": state["tokens"] / max(1e-9, state["elapsed"]),
        "resumed_from": state.get("resumed_from"),
        "training_key": ident["training_key"],
        "data_hash": config.data_hash,
        "backend": config.backend,
        "device": str(param.device),
        "dtype": str(next(base.parameters()).dtype).removeprefix("torch."),
        "micro_batch_size": state.get("micro_batch_size"),
    }
    brief = {k: v for k, v in metrics.items() if k != "losses"}
    record = {
        "kind": "adapter",
        "name": name or run_dir.name,
        "base": _base_record(base),
        "data": data_record(config.data_path or None, config.data_hash, len(conversations)),
        "config": config.to_dict(),
        "metrics": brief,
    }
    write_provenance(adapter_dir, record)
    if config.merge_adapter:
        merged = merge_and_save(config, adapter_dir, run_dir / "merged")
        write_provenance(merged, {**record, "kind": "merged"})
        metrics["merged_dir"] = str(merged)
    write_json(run_dir / "metrics.json", metrics)
    monitor.report(state, "done", final_loss=metrics["final_loss"])
    tracker.log_metrics(
        {f"final/{k}": v for k, v in brief.items() if k in ("final_loss", "tokens_per_s", "train_seconds", "tokens")},
        total,
    )
    tracker.log_artifacts(adapter_dir, "adapter")
    tracker.finish("done")
    shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
    return TrainResult(adapter_dir, metrics, state.get("resumed_from"))


class Monitor:
    """One place per step for the tqdm bar, ``status.json``, the progress callback, the
    ``train_log.jsonl`` line and the tracker; both backends report through it."""

    def __init__(
        self,
        run_dir: Path,
        name: str,
        total: int,
        steps_per_epoch: int,
        progress: Progress | None,
        tracker: tracking.Run,
    ) -> None:
        from tqdm import tqdm

        self.run_dir, self.name, self.total = run_dir, name, total
        self.steps_per_epoch, self.progress, self.tracker = steps_per_epoch, progress, tracker
        self.bar = tqdm(total=total, desc=f"train {name}".strip(), unit="step", mininterval=1.0)
        self.log = (run_dir / "train_log.jsonl").open("a", encoding="utf-8")
        self.state: dict[str, Any] = {}  # the last state reported, for a failure report

    def report(self, state: dict[str, Any], status: str, **extra: Any) -> dict[str, Any]:
        self.state = state
        done = state.get("step", 0)
        elapsed = state.get("elapsed", 0.0)
        rate = state.get("tokens", 0) / elapsed if elapsed else 0.0
        eta = elapsed / done * (self.total - done) if done else None
        losses = state.get("losses") or []
        info = {
            "phase": "train",
            "name": self.name,
            "state": status,
            "step": done,
            "total_steps": self.total,
            "epoch": round(done / self.steps_per_epoch, 3),
            "loss": losses[-1] if losses else None,
            "tokens_per_s": round(rate, 1),
            "elapsed_s": round(elapsed, 1),
            "eta_s": None if eta is None else round(eta, 1),
            "updated": time.time(),
            **extra,
        }
        write_json(self.run_dir / "status.json", info)
        if self.progress is not None:
            self.progress(info)
        return info

    def step(self, state: dict[str, Any], loss: float, lr: float) -> None:
        """After optimizer step ``state['step']``: log it everywhere."""
        step = state["step"]
        self.log.write(json.dumps({"step": step, "loss": loss, "lr": lr}) + "\n")
        self.log.flush()
        self.bar.n = step
        self.bar.set_postfix(loss=f"{loss:.3f}")
        info = self.report(state, "running")
        self.tracker.log_metrics({"train/loss": loss, "train/lr": lr, "train/tokens_per_s": info["tokens_per_s"]}, step)

    def close(self) -> None:
        self.bar.close()
        self.log.close()


def _fit(
    model: Any,
    tok: Any,
    encoded: list[Encoded],
    config: RunConfig,
    run_dir: Path,
    total: int,
    micro_per_epoch: int,
    monitor: Monitor,
) -> dict[str, Any]:
    """Our loop: length-grouped batches, head on labels only, bf16/fp16 autocast."""
    import torch
    from peft.helpers import disable_input_dtype_casting

    device = next(model.parameters()).device
    frozen = next(model.get_base_model().parameters()).dtype
    amp = frozen if frozen in (torch.bfloat16, torch.float16) else None
    scaler = torch.amp.GradScaler(device.type, enabled=True) if amp == torch.float16 else None
    lengths = [len(e.input_ids) for e in encoded]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(config, total))
    state = {"step": 0, "losses": [], "tokens": 0, "padded": 0, "elapsed": 0.0, "cpu": 0.0}
    ckpt = latest_checkpoint(run_dir)
    if ckpt is not None:
        state = load_checkpoint(ckpt, model, opt, sched, scaler)
        state["resumed_from"] = state["step"]
    micro = config.micro_batch_size or auto_micro_batch(model, encoded, config, tok.pad_token_id)
    state["micro_batch_size"] = micro

    epoch_batches: dict[int, list[list[int]]] = {}

    def step_rows(step: int) -> list[list[int]]:
        """The rows of optimizer step ``step``, cut into micro-batches of at most ``micro``."""
        out = []
        for j in range(config.grad_accum):
            epoch, k = divmod(step * config.grad_accum + j, micro_per_epoch)
            if epoch not in epoch_batches:
                epoch_batches[epoch] = length_grouped_batches(lengths, config.batch_size, config.seed, epoch)
            batch = epoch_batches[epoch][k]
            out += [batch[i : i + micro] for i in range(0, len(batch), micro)]
        return out

    monitor.bar.n = state["step"]
    model.train()
    monitor.report(state, "running")
    while state["step"] < total:
        t0, c0 = time.perf_counter(), time.process_time()
        batches = [collate([encoded[i] for i in b], tok.pad_token_id) for b in step_rows(state["step"])]
        n_labels = sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches)
        step_loss = 0.0
        for batch in batches:
            batch = {k: v.to(device) for k, v in batch.items()}
            # under autocast PEFT's own cast of the LoRA input to fp32 is a wasted copy
            with (
                torch.autocast(device.type, dtype=amp or torch.bfloat16, enabled=amp is not None),
                disable_input_dtype_casting(model, active=amp is not None),
            ):
                nll, _ = label_nll(model, batch)
                loss = nll.sum() / n_labels
            (scaler.scale(loss) if scaler is not None else loss).backward()
            step_loss += float(loss.detach())
            state["tokens"] += int(batch["attention_mask"].sum())
            state["padded"] += batch["attention_mask"].numel()
        if scaler is not None:
            scaler.unscale_(opt)
        if config.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
        if scaler is not None:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        state["step"] += 1
        state["losses"].append(step_loss)
        state["elapsed"] += time.perf_counter() - t0
        state["cpu"] += time.process_time() - c0
        monitor.step(state, step_loss, sched.get_last_lr()[0])
        if state["step"] % config.checkpoint_every == 0 and state["step"] < total:
            save_checkpoint(run_dir, state, model, opt, sched, scaler)
    return state


def auto_micro_batch(model: Any, encoded: list[Encoded], config: RunConfig, pad_id: int) -> int:
    """Rows per forward pass: the whole batch on CPU; on CUDA as many as free memory holds,
    measured with one forward and backward pass of the longest row (RNG states restored, so
    the probe changes nothing that follows)."""
    import torch

    device = next(model.parameters()).device
    if device.type != "cuda":
        return config.batch_size
    longest = max(encoded, key=lambda e: len(e.input_ids))
    batch = {k: v.to(device) for k, v in collate([longest], pad_id).items()}
    frozen = next(model.get_base_model().parameters()).dtype
    amp = frozen in (torch.bfloat16, torch.float16)
    rng = torch.get_rng_state(), torch.cuda.get_rng_state(device)
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    with torch.autocast("cuda", dtype=frozen if amp else torch.bfloat16, enabled=amp):
        nll, _ = label_nll(model, batch)
    nll.sum().backward()
    torch.cuda.synchronize(device)
    per_row = torch.cuda.max_memory_allocated(device) - before
    model.zero_grad(set_to_none=True)
    del nll
    torch.set_rng_state(rng[0])
    torch.cuda.set_rng_state(rng[1], device)
    free, _ = torch.cuda.mem_get_info(device)
    free += torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return micro_batch_for(free, per_row, config.batch_size)


def micro_batch_for(free_bytes: int, per_row_bytes: int, batch_size: int, headroom: float = 0.7) -> int:
    """The largest micro-batch (at most ``batch_size``) whose activations fit in ``headroom``
    of the free memory, at least 1 (the optimizer states and allocator slack need the rest)."""
    if per_row_bytes <= 0:
        return batch_size
    return max(1, min(batch_size, int(free_bytes * headroom // per_row_bytes)))


def _tracker(config: RunConfig, run_dir: Path, name: str, ident: dict[str, Any]) -> tracking.Run:
    """The tracker run for this training, the same one again when it resumes."""
    path = run_dir / "tracking.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    run = tracking.start(
        config.report_to,
        name or run_dir.name,
        config.to_dict(),
        {"training_key": ident["training_key"], "data_hash": config.data_hash, "arm": name or "train"},
        run_id=old.get("run_id") if old.get("report_to") == config.report_to else None,
    )
    if run.kind != "none":
        write_json(path, {"report_to": run.kind, "run_id": run.id})
    return run


def _base_record(base: Any) -> dict[str, Any]:
    ref = getattr(base, "curation_base", None)
    if ref is not None:
        return ref.record()
    return {
        "hub_id": None,
        "revision": None,
        "note": "",
        "source": {"path": getattr(base, "name_or_path", "") or "in-memory model"},
    }


def _claim(run_dir: Path, ident: dict[str, Any]) -> None:
    path = run_dir / "run.json"
    if path.exists():
        old = json.loads(path.read_text())
        if old.get("training_key") != ident["training_key"]:
            raise ValueError(f"{run_dir} holds a different run ({old.get('training_key')}); use a new folder")
        return
    write_json(path, ident)
