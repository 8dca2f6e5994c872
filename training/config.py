"""RunConfig: everything that determines a LoRA run and its evaluation, as one flat dataclass.

A config round-trips to JSON or TOML (chosen by file suffix). Fields are flat scalars so the
TOML writer below stays trivial and the CLI can expose each field as an option. Two presets:
``quick`` (a comparison on the demo data within ~20 minutes on a 2-core CPU) and ``full``.

Not handled: nested tables, lists, or None in TOML (None fields are omitted on write and come
back as their default on read).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

BUNDLED_MODEL = "bundled:smollm2-135m-instruct"

# Fields that change what a trained adapter is; everything else (evaluation, device, I/O
# cadence) can change without retraining.
TRAINING_FIELDS = (
    "base_model",
    "gguf_file",
    "data_hash",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "learning_rate",
    "lr_schedule",
    "warmup_ratio",
    "epochs",
    "max_steps",
    "batch_size",
    "grad_accum",
    "max_seq_len",
    "weight_decay",
    "max_grad_norm",
    "seed",
    "precision",
)
# Training fields added later: in the key only when set to something else than their default,
# so adapters trained before they existed keep their keys (and their cached runs).
OPTIONAL_TRAINING_FIELDS = {"backend": "ours", "packing": False}


def _help(text: str, default: Any) -> Any:
    return field(default=default, metadata={"help": text})


@dataclass
class RunConfig:
    """One LoRA run (and the evaluation settings of a comparison). See ``help_text()``."""

    base_model: str = _help("HF id, local folder, .gguf file, or the bundled SmolLM2", BUNDLED_MODEL)
    gguf_file: str | None = _help("GGUF file name inside base_model's folder, if any", None)
    data_path: str = _help("training data export (JSONL of {'messages': [...]})", "")
    data_hash: str = _help("content hash of the training data (filled in per arm)", "")
    lora_r: int = _help("LoRA rank", 16)
    lora_alpha: int = _help("LoRA alpha (scaling = alpha / r)", 32)
    lora_dropout: float = _help("dropout on the LoRA input", 0.0)
    target_modules: str = _help("'attention', 'all-linear', or comma-separated module names", "all-linear")
    learning_rate: float = _help("peak learning rate (AdamW)", 3e-4)
    lr_schedule: str = _help("'cosine', 'linear' or 'constant' after warmup", "cosine")
    warmup_ratio: float = _help("fraction of steps spent warming up linearly", 0.05)
    epochs: float = _help("passes over the data (fractional allowed)", 2.0)
    max_steps: int = _help("if > 0, train exactly this many optimizer steps instead", 0)
    batch_size: int = _help("conversations per batch (an optimizer step sees batch x grad_accum)", 8)
    grad_accum: int = _help("batches per optimizer step", 1)
    micro_batch_size: int = _help(
        "conversations per forward pass: 0 = auto (the whole batch on CPU; on CUDA as many as"
        " free memory holds). Splitting a batch does not change what is learned",
        0,
    )
    max_seq_len: int = _help("tokens per conversation; longer ones are cut at the end", 384)
    weight_decay: float = _help("AdamW weight decay", 0.0)
    max_grad_norm: float = _help("gradient clipping norm (0 = off)", 1.0)
    seed: int = _help("seeds adapter init, data order, dropout and the random control", 0)
    device: str = _help("'auto' (CUDA when present), 'cpu', 'cuda', 'cuda:1'...", "auto")
    precision: str = _help(
        "'auto' (bf16 where the hardware has it, fp16 on CUDA without bf16), 'bf16', 'fp16' or 'fp32'",
        "auto",
    )
    backend: str = _help(
        "'ours' (default: length-grouped batches, head on labels only) or 'trl' (TRL SFTTrainer)",
        "ours",
    )
    packing: bool = _help("pack conversations into full rows (backend 'trl' only)", False)
    report_to: str = _help("experiment tracking: 'none', 'mlflow' or 'wandb'", "none")
    checkpoint_every: int = _help("save a resumable checkpoint every N steps", 25)
    merge_adapter: bool = _help("also save base + adapter merged into one model", False)
    primary_metric: str = _help(
        "metric the verdict is based on, named before running: 'auto' (check_pass when most eval"
        " prompts have answer checks or a short reference, else ref_nll; training.design) or a"
        " metric name",
        "auto",
    )
    match: str = _help(
        "'steps': every arm of a comparison trains the same number of optimizer steps (the"
        " baseline's epochs x size, or max_steps); 'epochs': every arm trains `epochs` passes",
        "steps",
    )
    seeds: int = _help("training seeds per arm in a comparison (seed, seed+1, ...)", 1)
    max_new_tokens: int = _help("generation length for evaluation answers", 64)
    gen_batch_size: int = _help("prompts per generation batch (left padding)", 16)
    eval_batch_size: int = _help("conversations per batch when scoring references", 16)
    max_eval_items: int = _help("if > 0, evaluate on at most this many prompts", 0)
    max_general_items: int = _help("if > 0, use at most this many general prompts", 0)
    n_bootstrap: int = _help("paired-bootstrap resamples", 10000)
    leakage_jaccard: float = _help("char-5-gram Jaccard at or above which a prompt leaked", 0.8)
    preset: str = _help("name of the preset this config started from", "custom")

    # ---- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown RunConfig field(s): {', '.join(unknown)}")
        cfg = cls(**data)
        cfg.validate()
        return cfg

    def save(self, path: str | Path) -> Path:
        """Write as TOML (``.toml``) or JSON (anything else)."""
        path = Path(path)
        if path.suffix == ".toml":
            text = "".join(f"{k} = {_toml_value(v)}\n" for k, v in self.to_dict().items() if v is not None)
        else:
            text = json.dumps(self.to_dict(), indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
        base = PRESETS[data["preset"]] if data.get("preset") in PRESETS else cls()
        return cls.from_dict({**base.to_dict(), **data})

    # ---- identity --------------------------------------------------------------------------
    def training_key(self) -> str:
        """Hash of the fields that determine a trained adapter (data hash included)."""
        fields_ = {k: getattr(self, k) for k in TRAINING_FIELDS}
        fields_.update({k: getattr(self, k) for k, d in OPTIONAL_TRAINING_FIELDS.items() if getattr(self, k) != d})
        payload = json.dumps(fields_, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def with_(self, **changes: Any) -> RunConfig:
        cfg = replace(self, **changes)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.lr_schedule not in ("cosine", "linear", "constant"):
            raise ValueError(f"lr_schedule must be cosine, linear or constant, not {self.lr_schedule!r}")
        if self.precision not in ("auto", "bf16", "fp16", "fp32"):
            raise ValueError(f"precision must be auto, bf16, fp16 or fp32, not {self.precision!r}")
        if self.backend not in ("ours", "trl"):
            raise ValueError(f"backend must be ours or trl, not {self.backend!r}")
        if self.packing and self.backend != "trl":
            raise ValueError("packing needs backend 'trl' (ours keeps one conversation per row)")
        if self.report_to not in ("none", "mlflow", "wandb"):
            raise ValueError(f"report_to must be none, mlflow or wandb, not {self.report_to!r}")
        if self.micro_batch_size < 0:
            raise ValueError("micro_batch_size must be >= 0 (0 = auto)")
        if self.lora_r < 1 or self.batch_size < 1 or self.grad_accum < 1 or self.max_seq_len < 8:
            raise ValueError("lora_r, batch_size and grad_accum must be >= 1 and max_seq_len >= 8")
        if self.match not in ("steps", "epochs"):
            raise ValueError(f"match must be steps or epochs, not {self.match!r}")
        if self.seeds < 1:
            raise ValueError("seeds must be >= 1")
        if self.epochs <= 0 and self.max_steps <= 0:
            raise ValueError("set epochs > 0 or max_steps > 0")

    @classmethod
    def help_text(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(cls)}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string


PRESETS: dict[str, RunConfig] = {
    # Sized for the demo on 2 CPU cores (~230k training tokens for three arms per epoch):
    # one epoch at a higher learning rate, rank 16 on all linear layers (learns facts fast),
    # short answers (max_new_tokens 48) so four generation passes stay cheap.
    "quick": RunConfig(
        preset="quick",
        lora_r=16,
        lora_alpha=32,
        target_modules="all-linear",
        learning_rate=5e-4,
        epochs=1.0,
        batch_size=8,
        max_seq_len=256,
        max_new_tokens=48,
        gen_batch_size=64,
        max_general_items=50,
        n_bootstrap=5000,
        checkpoint_every=25,
    ),
    "full": RunConfig(
        preset="full",
        lora_r=32,
        lora_alpha=64,
        target_modules="all-linear",
        learning_rate=2e-4,
        epochs=3.0,
        batch_size=8,
        max_seq_len=512,
        max_new_tokens=128,
        gen_batch_size=16,
        n_bootstrap=10000,
        checkpoint_every=50,
    ),
}


def preset(name: str, **overrides: Any) -> RunConfig:
    """A copy of a named preset, with overrides applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name].with_(**overrides)
