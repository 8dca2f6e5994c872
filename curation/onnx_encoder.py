"""A sentence-transformers model run on ONNX Runtime: the same vectors, faster on a CPU.

``OnnxEncoder`` exports a local sentence-transformers model (by default the bundled MiniLM)
once into ``<folder>/<model key>/``: the transformer with its pooling and normalisation as
one ONNX graph (``model.onnx``; for BERT-family models with attention, GELU and layer norms
fused into ONNX Runtime's own kernels, checked against the plain graph when exported),
optionally an int8 copy (``model-int8.onnx``, ONNX Runtime
dynamic quantisation), and the tokenizer (``tokenizer.json``). Later scans load only
ONNX Runtime and the tokenizer: no torch, nothing from a hub.

It embeds only what must be embedded: each text is stripped (as sentence-transformers
does) and tokenised from a prefix long enough to hold every token the model reads (the
rest of a long text is never tokenised; see ``_token_ids``), and batches are cut from
texts sorted by token count, so a batch pads little.

Not handled: models whose pooling is neither mean nor CLS, models with prompts or extra
modules (a Dense layer), and tokenizers without a ``tokenizer.json``: those stay on the
torch backend (``supported`` says so before anything is exported).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

FORMAT = 2  # bump when the exported graph changes: old exports are then ignored (2: fused)


def cpu_threads() -> int:
    """Cores this process may use (``CURATION_ENCODER_THREADS`` overrides: a Ray worker
    given one CPU runs one thread)."""
    if os.environ.get("CURATION_ENCODER_THREADS"):
        return max(1, int(os.environ["CURATION_ENCODER_THREADS"]))
    from curation.engine import cpu_count

    return cpu_count()


def onnx_available() -> bool:
    """True when onnxruntime imports (the ``scale`` extra)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def model_fingerprint(path: Path) -> str:
    """A short key of a model folder: its files' names, sizes and modification times."""
    h = hashlib.sha1(f"format={FORMAT}".encode())
    for p in sorted(path.rglob("*")):
        if p.is_file() and ".git" not in p.parts:
            st = p.stat()
            h.update(f"{p.relative_to(path)}|{st.st_size}|{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def gpu_batch_size(
    free_bytes: int,
    max_seq_length: int,
    hidden: int = 384,
    heads: int = 12,
    budget: float = 0.5,
    lo: int = 16,
    hi: int = 4096,
) -> int:
    """Rows per batch that fit ``budget`` of a GPU's free memory: per row, the activations
    one layer keeps (hidden states x ~12 for the feed-forward block and attention outputs,
    plus the attention matrix per head) in fp32, times two for what the allocator holds."""
    per_row = 4 * (max_seq_length * hidden * 12 + heads * max_seq_length**2) * 2
    return int(min(hi, max(lo, budget * free_bytes // max(1, per_row))))


def _pooling_mode(folder: Path) -> str | None:
    """The pooling a sentence-transformers folder declares: "mean", "cls" or None (other)."""
    modules = folder / "modules.json"
    if not modules.is_file():
        return None
    kinds = [m.get("type", "") for m in json.loads(modules.read_text())]
    if any(k.endswith(("Dense", "Asym", "CNN", "LSTM", "WordWeights")) for k in kinds):
        return None
    for m in json.loads(modules.read_text()):
        if m.get("type", "").endswith("Pooling"):
            cfg = json.loads((folder / m["path"] / "config.json").read_text())
            if cfg.get("pooling_mode_mean_tokens"):
                return "mean"
            if cfg.get("pooling_mode_cls_token"):
                return "cls"
    return None


def supported(folder: str | Path) -> bool:
    """True when the folder is a sentence-transformers model this backend can export."""
    folder = Path(folder)
    return folder.is_dir() and (folder / "tokenizer.json").is_file() and _pooling_mode(folder) is not None


def export(folder: Path, out: Path, max_seq_length: int) -> None:
    """Export the transformer + pooling + L2 normalisation of ``folder`` to ``out/model.onnx``
    (written to a temporary folder first, then renamed: two scans exporting at once leave
    one complete export)."""
    import torch
    from transformers import AutoModel

    mode = _pooling_mode(folder)
    try:  # eager attention exports the matmul-softmax pattern ONNX Runtime's fusion recognises
        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    except (TypeError, ValueError):
        model = AutoModel.from_pretrained(str(folder)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if mode == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        ids = torch.ones((2, 8), dtype=torch.long)
        # the tracer warns about shape-dependent Python branches in the model code; the graph
        # is checked against the torch model by the tests, so the warnings only alarm a user
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled(),
                (ids, ids, torch.zeros_like(ids)),
                str(tmp / "model.onnx"),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "token_type_ids": {0: "batch", 1: "seq"},
                    "embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        fused = _fuse(tmp / "model.onnx", model.config)
        shutil.copy(folder / "tokenizer.json", tmp / "tokenizer.json")
        (tmp / "meta.json").write_text(
            json.dumps(
                {
                    "source": str(folder),
                    "pooling": mode,
                    "max_seq_length": max_seq_length,
                    "format": FORMAT,
                    "fused": fused,
                }
            )
        )
        with contextlib.suppress(OSError):  # another process finished first: keep its export
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fuse(path: Path, config: object, tolerance: float = 1e-4) -> bool:
    """Replace the graph at ``path`` by ONNX Runtime's transformer fusion of it (one Attention
    kernel per layer, embedding + layer norm, skip layer norms, bias + GELU): the same
    arithmetic, ~20% faster on a CPU (``bench/bench_encoder.py``). Only BERT-family models
    are fused, and only when the fused graph's vectors match the plain graph's on a probe
    batch with padding within ``tolerance``; otherwise the plain graph stays. True if fused."""
    if getattr(config, "model_type", None) != "bert":
        return False
    try:
        import onnxruntime as ort
        from onnxruntime.transformers.optimizer import optimize_model

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fused = optimize_model(
                str(path),
                model_type="bert",
                num_heads=int(config.num_attention_heads),
                hidden_size=int(config.hidden_size),
            )
        if not fused.get_fused_operator_statistics().get("Attention"):
            return False
        candidate = path.with_name("model-fused.onnx")
        fused.save_model_to_file(str(candidate))
        rng = np.random.default_rng(0)
        ids = rng.integers(1000, min(int(config.vocab_size), 20000), size=(3, 24)).astype(np.int64)
        mask = np.ones_like(ids)
        mask[1, 10:] = 0  # right padding, as the encoder batches
        mask[2, 3:] = 0
        feed = {"input_ids": ids * mask, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        plain, new = (
            ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(["embedding"], feed)[0]
            for p in (path, candidate)
        )
        if float(np.abs(plain - new).max()) > tolerance:
            candidate.unlink()
            return False
        os.replace(candidate, path)
        return True
    except Exception:  # noqa: BLE001 - any failure of the optional fusion keeps the plain graph
        path.with_name("model-fused.onnx").unlink(missing_ok=True)
        return False


def exported(folder: str | Path, cache: str | Path, max_seq_length: int) -> Path:
    """The export folder of a model (``<cache>/<fingerprint>-<max_seq>/``), exported first
    when it is not there yet."""
    out = Path(cache) / f"{model_fingerprint(Path(folder))}-{max_seq_length}"
    if not (out / "model.onnx").is_file():
        export(Path(folder), out, max_seq_length)
    return out


def quantize(out: Path) -> Path:
    """``model-int8.onnx`` next to ``model.onnx``: int8 weights, activations quantised per
    batch at run time (ONNX Runtime dynamic quantisation); written once."""
    target = out / "model-int8.onnx"
    if not target.is_file():
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out / f".model-int8.{os.getpid()}.onnx"
        quantize_dynamic(
            str(out / "model.onnx"),
            str(tmp),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # a fused graph's contrib-op outputs carry no inferred type: they are float32
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
        os.replace(tmp, target)
    return target


class OnnxEncoder:
    """``.encode(texts)`` with ONNX Runtime; vectors are L2-normalised float32.

    ``folder``: a local sentence-transformers model folder (see ``supported``).
    ``cache``: where exports are kept (``<cache>/<fingerprint>-<max_seq>/``).
    ``int8``: run the dynamically quantised copy.
    ``device``: "cpu" or "cuda" (CUDAExecutionProvider when ONNX Runtime has it).
    """

    def __init__(
        self,
        folder: str | Path,
        cache: str | Path,
        *,
        max_seq_length: int = 256,
        int8: bool = False,
        device: str = "cpu",
        batch_size: int = 64,
        max_batch_tokens: int = 8192,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        # rows x padded width per batch: bounds the activations (and ONNX Runtime's arena,
        # which keeps its peak) whatever the text lengths; short texts still batch by rows
        self.max_batch_tokens = max_batch_tokens
        out = exported(self.folder, cache, max_seq_length)
        self.path = quantize(out) if int8 else out / "model.onnx"
        self.tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or cpu_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.providers = providers
        self.session = ort.InferenceSession(str(self.path), opts, providers=providers)
        # ONNX Runtime's arena keeps the largest batch's activations after a run (~400 MB for
        # batches of long texts), for the rest of the scan; the last run of each ``encode``
        # hands them back, so a scan's later stages do not hold them (the next call regrows
        # the arena in its first batch, at no measurable cost). Not tried on CUDA: left as is.
        self._release: ort.RunOptions | None = None
        if providers[0] == "CPUExecutionProvider":
            self._release = ort.RunOptions()
            self._release.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.model_key = f"onnx{'-int8' if int8 else ''}:{self.folder.name}"

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids per text as sentence-transformers gives them (stripped, [CLS] ... [SEP],
        truncated to ``max_seq_length``), tokenising only a prefix of long texts.

        A prefix of ``8 x max_seq_length`` characters is tokenised first; its ids are the
        full text's whenever the last token kept ends before a word boundary inside the
        prefix (the cut can only change the word it falls in). Otherwise (a text of very
        long words or runs of spaces) the whole text is tokenised."""
        keep = self.max_seq_length - 2
        cut = 8 * self.max_seq_length
        stripped = [t.strip() for t in texts]
        heads = [t[:cut] for t in stripped]
        encs = self.tokenizer.encode_batch(heads, add_special_tokens=False)
        cls_id, sep_id = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        redo = []
        for k, (t, enc) in enumerate(zip(stripped, encs)):
            if len(t) <= cut:
                continue
            if len(enc.ids) <= keep or not any(c.isspace() for c in t[enc.offsets[keep - 1][1] : cut]):
                redo.append(k)
        if redo:
            for k, enc in zip(redo, self.tokenizer.encode_batch([stripped[k] for k in redo], add_special_tokens=False)):
                encs[k] = enc
        if cls_id is None or sep_id is None:
            raise ValueError(f"{self.folder}: the ONNX backend knows BERT-style [CLS]/[SEP] tokenizers only")
        return [[cls_id, *enc.ids[:keep], sep_id] for enc in encs]

    def encode(self, texts: list[str], batch_size: int | None = None, **_: object) -> np.ndarray:
        """L2-normalised embeddings of ``texts`` (one row each, in order)."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        # texts the tokenizer reads alike (the model is uncased; runs of spaces, a tail past
        # max_seq_length) are one model input: run each distinct input once
        ids, of_text = distinct_inputs(self._token_ids(list(texts)))
        order = sorted(range(len(ids)), key=lambda k: (len(ids[k]), k))
        size = batch_size or self.batch_size
        out: np.ndarray | None = None
        batches = _batches(order, [len(x) for x in ids], size, self.max_batch_tokens)
        for b, part in enumerate(batches):
            width = max(len(ids[k]) for k in part)
            inp = np.zeros((len(part), width), np.int64)
            mask = np.zeros((len(part), width), np.int64)
            for r, k in enumerate(part):
                inp[r, : len(ids[k])] = ids[k]
                mask[r, : len(ids[k])] = 1
            vec = self.session.run(
                ["embedding"],
                {"input_ids": inp, "attention_mask": mask, "token_type_ids": np.zeros_like(inp)},
                self._release if b == len(batches) - 1 else None,
            )[0]
            if out is None:
                out = np.empty((len(ids), vec.shape[1]), np.float32)
            out[part] = vec
        return out[of_text]


def distinct_inputs(ids: list[list[int]]) -> tuple[list[list[int]], np.ndarray]:
    """The distinct token-id lists of ``ids`` (first occurrences, in order) and, per text,
    the index of its list among them."""
    first: dict[tuple[int, ...], int] = {}
    of_text = np.fromiter((first.setdefault(tuple(x), len(first)) for x in ids), np.int64, count=len(ids))
    return [list(x) for x in first], of_text


def _batches(order: list[int], lengths: list[int], rows: int, tokens: int) -> list[list[int]]:
    """Cut ``order`` (sorted by length, shortest first) into batches of at most ``rows`` rows
    and at most ``tokens`` padded tokens (rows x the longest row's length); a row longer than
    ``tokens`` goes alone."""
    out: list[list[int]] = []
    cur: list[int] = []
    for k in order:
        if cur and (len(cur) >= rows or (len(cur) + 1) * max(lengths[k], lengths[cur[-1]]) > tokens):
            out.append(cur)
            cur = []
        cur.append(k)
    if cur:
        out.append(cur)
    return out
