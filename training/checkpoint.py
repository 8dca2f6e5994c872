"""Resumable checkpoints and atomic files for a training run.

A checkpoint is a folder ``checkpoints/step-NNNNNN/`` holding the LoRA weights
(``adapter.safetensors``) and ``state.pt`` (optimizer, scheduler, RNG states, loop counters).
It is written to a temporary folder and renamed into place, so a ``kill -9`` at any moment
leaves either the previous checkpoint or the new one, never a half-written one. The two most
recent checkpoints are kept.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

KEEP = 2


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write: readers never see a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def rng_state() -> dict[str, Any]:
    import numpy as np
    import torch

    out = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()  # dropout on the GPU draws from these
    return out


def set_rng_state(rng: dict[str, Any]) -> None:
    import numpy as np
    import torch

    torch.set_rng_state(rng["torch"])
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


def save_checkpoint(run_dir: Path, state: dict[str, Any], model: Any, opt: Any, sched: Any, scaler: Any = None) -> Path:
    """Write the LoRA weights, optimizer, scheduler, RNG and ``state`` of step ``state['step']``."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    root = run_dir / "checkpoints"
    root.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    # embeddings are never trained here; False also skips PEFT's Hub lookup of the base config
    lora = get_peft_model_state_dict(model, save_embedding_layers=False)
    save_file(
        {k: v.detach().contiguous().cpu() for k, v in lora.items()},
        str(tmp / "adapter.safetensors"),
    )
    payload = {
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "rng": rng_state(),
        "state": state,
    }
    if scaler is not None:  # fp16 loss scale: resuming without it would skip steps anew
        payload["scaler"] = scaler.state_dict()
    torch.save(payload, tmp / "state.pt")
    final = root / f"step-{state['step']:06d}"
    os.replace(tmp, final)
    for old in sorted(root.glob("step-*"))[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run_dir: Path) -> Path | None:
    done = [p for p in sorted((run_dir / "checkpoints").glob("step-*")) if (p / "state.pt").exists()]
    return done[-1] if done else None


def load_checkpoint(ckpt: Path, model: Any, opt: Any, sched: Any, scaler: Any = None) -> dict[str, Any]:
    """Restore weights, optimizer, scheduler and RNG from ``ckpt``; returns the saved ``state``."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(str(ckpt / "adapter.safetensors")))
    saved = torch.load(ckpt / "state.pt", weights_only=False)  # our own file: RNG tuples inside
    opt.load_state_dict(saved["optimizer"])
    sched.load_state_dict(saved["scheduler"])
    set_rng_state(saved["rng"])
    if scaler is not None and "scaler" in saved:
        scaler.load_state_dict(saved["scaler"])
    return saved["state"]
