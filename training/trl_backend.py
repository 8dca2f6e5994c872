"""The optional TRL backend: the same LoRA, rows and labels, trained by TRL's ``SFTTrainer``.

For users who want TRL's features: packing, and multi-GPU through ``accelerate launch``.
It takes the model with the adapter ``training.model.add_lora`` made and the rows
``training.data.encode_all`` labelled (assistant answers + end of turn), passed to TRL already
tokenised with a ``labels`` column, so both backends learn from exactly the same tokens. The
schedule (steps, warmup, decay shape), optimizer settings, clipping and seed come from the same
``RunConfig``; progress, the loss log, tracking, checkpoints-and-resume and the final report go
through the same ``Monitor``, so the run folder and metrics look the same as ours.

What differs (and why ours stays the default, 2.38x faster on CPU): TRL shuffles rows randomly
instead of grouping them by length (more padding), computes the output head over every
position, and uses its own checkpoint format (``checkpoints/checkpoint-N``). Warmup counts
steps from 0 rather than 1. With ``packing`` TRL concatenates rows into full-length ones; on
eager/SDPA attention those rows attend across example boundaries (TRL warns), so packing is
meant for flash-attention GPUs.

Not handled: DeepSpeed/FSDP configs (pass them through ``accelerate launch`` yourself).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from training.config import RunConfig
from training.data import Encoded

SCHEDULES = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}


def fit_trl(
    model: Any,
    tok: Any,
    encoded: list[Encoded],
    config: RunConfig,
    run_dir: Path,
    total: int,
    monitor: Any,
) -> dict[str, Any]:
    """Train ``model`` (a PeftModel) in place with TRL; returns the trainer's state in our
    format (step, losses, tokens, padded, elapsed)."""
    import torch
    from datasets import Dataset
    from transformers import PrinterCallback, TrainerCallback
    from trl import SFTConfig, SFTTrainer
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    frozen = next(model.get_base_model().parameters()).dtype
    device = next(model.parameters()).device
    data = Dataset.from_dict({"input_ids": [e.input_ids for e in encoded], "labels": [e.labels for e in encoded]})
    ckpt_dir = run_dir / "checkpoints"
    args = SFTConfig(
        output_dir=str(ckpt_dir),
        per_device_train_batch_size=config.micro_batch_size or config.batch_size,
        gradient_accumulation_steps=config.grad_accum
        * math.ceil(config.batch_size / (config.micro_batch_size or config.batch_size)),
        learning_rate=config.learning_rate,
        lr_scheduler_type=SCHEDULES[config.lr_schedule],
        warmup_steps=math.ceil(config.warmup_ratio * total),
        max_steps=total,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm if config.max_grad_norm > 0 else 0.0,
        seed=config.seed,
        data_seed=config.seed,
        max_length=config.max_seq_len,
        packing=config.packing,
        bf16=frozen == torch.bfloat16,
        fp16=frozen == torch.float16,
        use_cpu=device.type == "cpu",
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.checkpoint_every,
        save_total_limit=2,
        report_to="none",  # our tracker logs the same metrics for both backends
        disable_tqdm=True,
        dataloader_num_workers=0,
        remove_unused_columns=False,
    )
    # tokens / padded count what the collator built (a prefetched batch or two may be counted
    # before it is trained on); a resumed run counts only what it trained itself
    state: dict[str, Any] = {"step": 0, "losses": [], "tokens": 0, "padded": 0, "elapsed": 0.0}
    started = time.perf_counter()

    class Report(TrainerCallback):
        def on_log(self, args, trainer_state, control, logs=None, **kwargs):  # noqa: ANN001
            if not logs or "loss" not in logs or trainer_state.global_step <= state["step"]:
                return
            state["step"] = trainer_state.global_step
            state["losses"].append(float(logs["loss"]))
            state["elapsed"] = time.perf_counter() - started
            monitor.step(state, float(logs["loss"]), float(logs.get("learning_rate", 0.0)))

    pad = DataCollatorForLanguageModeling(pad_token_id=tok.pad_token_id, padding_free=config.packing)

    def collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
        batch = pad(rows)
        state["tokens"] += sum(len(r["input_ids"]) for r in rows)
        state["padded"] += batch["input_ids"].numel()
        return batch

    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=data,
        processing_class=tok,
        data_collator=collate,
        callbacks=[Report()],
    )
    trainer.remove_callback(PrinterCallback)  # the Monitor prints progress for both backends
    resume = any(ckpt_dir.glob("checkpoint-*"))
    if resume:
        state["resumed_from"] = max(int(p.name.split("-")[1]) for p in ckpt_dir.glob("checkpoint-*"))
    monitor.report(state, "running")
    trainer.train(resume_from_checkpoint=True if resume else None)
    state["elapsed"] = time.perf_counter() - started
    state["micro_batch_size"] = args.per_device_train_batch_size
    return state
