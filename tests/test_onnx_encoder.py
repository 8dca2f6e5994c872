"""The ONNX Runtime encoder: the same token ids and vectors as sentence-transformers, faster.

The fast tests check the backend choice and the tokenisation shortcut (only a prefix of a
long text is tokenised) against the bundled tokenizer; the slow one exports the bundled
MiniLM and compares its vectors with the torch model's on the demo's texts.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from curation.embeddings import DEFAULT_MODEL, Embedder, default_model_path, resolve_backend
from curation.engine import native_bf16

ROOT = Path(__file__).resolve().parents[1]
HAS_ORT = importlib.util.find_spec("onnxruntime") is not None
needs_ort = pytest.mark.skipif(not HAS_ORT, reason="onnxruntime (the scale extra) is not installed")


def demo_texts(n: int) -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "data" / "demo" / "train.jsonl").read_text().splitlines()[:n]]
    return [m["content"] for r in rows for m in r["messages"] if m["role"] != "system"]


def test_backends_are_named_and_auto_picks_onnx_only_where_it_runs():
    with pytest.raises(ValueError, match="unknown embedding backend"):
        resolve_backend("tensorrt", DEFAULT_MODEL)
    assert resolve_backend("torch", DEFAULT_MODEL) == "torch"
    assert resolve_backend("auto", DEFAULT_MODEL, bf16=False) == ("onnx" if HAS_ORT else "torch")
    assert resolve_backend("auto", "/nowhere/model", bf16=False) == "torch"  # not exportable: torch says why later
    # a CPU with bfloat16 in hardware: the model's matrix products in bf16, whatever is installed
    assert resolve_backend("auto", DEFAULT_MODEL, bf16=True) == "torch-bf16"
    assert resolve_backend("auto", DEFAULT_MODEL) == (
        "torch-bf16" if native_bf16() else resolve_backend("auto", DEFAULT_MODEL, bf16=False)
    )
    assert resolve_backend("onnx", DEFAULT_MODEL, bf16=True) == "onnx"  # a named backend is kept


def test_bf16_is_read_from_the_cpu_flags_and_can_be_turned_off(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    for flags, expected in (
        ("fpu avx512f avx512_bf16 avx512_vnni", True),
        ("fpu sse4_2 avx2 avx512f", False),
        ("fpu amx_bf16 amx_tile", True),
    ):
        cpuinfo.write_text(f"processor\t: 0\nvendor_id\t: X\nflags\t\t: {flags}\n")
        assert native_bf16(cpuinfo) is expected, flags
        monkeypatch.setenv("CURATION_BF16", "0")
        assert native_bf16(cpuinfo) is False
        monkeypatch.delenv("CURATION_BF16")
    assert native_bf16(tmp_path / "absent") is False  # not Linux: no bf16 assumed


def test_each_backend_caches_its_vectors_apart(tmp_path):
    backends = ("torch", "torch-bf16", "onnx-int8")
    keys = {b: Embedder(cache_dir=tmp_path, backend=b, max_seq_length=256).model_key for b in backends}
    assert len(set(keys.values())) == 3 and "onnx-int8" in keys["onnx-int8"] and "bf16" in keys["torch-bf16"]


@needs_ort
def test_a_long_text_gets_the_token_ids_of_the_whole_text_from_a_prefix():
    from tokenizers import Tokenizer

    from curation.onnx_encoder import OnnxEncoder

    enc = OnnxEncoder.__new__(OnnxEncoder)
    enc.max_seq_length, enc.folder = 32, Path(default_model_path())
    enc.tokenizer = Tokenizer.from_file(str(enc.folder / "tokenizer.json"))
    enc.tokenizer.no_padding()
    enc.tokenizer.no_truncation()
    words = " ".join(demo_texts(40))
    texts = ["  short text  ", words, "x" * 5000, words[:300] + " " + "y" * 4000]
    full = enc.tokenizer.encode_batch([t.strip() for t in texts], add_special_tokens=False)
    cls, sep = enc.tokenizer.token_to_id("[CLS]"), enc.tokenizer.token_to_id("[SEP]")
    assert enc._token_ids(texts) == [[cls, *e.ids[:30], sep] for e in full]


@pytest.mark.slow
@needs_ort
def test_onnx_vectors_match_the_torch_model(tmp_path):
    texts = demo_texts(120)
    torch_vecs = Embedder(backend="torch", max_seq_length=256).encode(texts)
    onnx_vecs = Embedder(backend="onnx", max_seq_length=256, onnx_dir=tmp_path).encode(texts)
    int8_vecs = Embedder(backend="onnx-int8", max_seq_length=256, onnx_dir=tmp_path).encode(texts)
    bf16_vecs = Embedder(backend="torch-bf16", max_seq_length=256).encode(texts)
    assert onnx_vecs.shape == torch_vecs.shape == bf16_vecs.shape and bf16_vecs.dtype == np.float32
    assert np.min(np.sum(onnx_vecs * torch_vecs, axis=1)) > 0.9999
    bf16_cos = np.sum(bf16_vecs * torch_vecs, axis=1)  # bf16 products, fp32 sums: close, not equal
    assert bf16_cos.min() > 0.9995 and not np.array_equal(bf16_vecs, torch_vecs)
    int8_cos = np.sum(int8_vecs * torch_vecs, axis=1)  # int8 is lossy: opt-in only (README)
    assert int8_cos.mean() > 0.99 and int8_cos.min() > 0.9
    # what the detectors read: the nearest neighbour of each text is the same one
    sims_t, sims_o = torch_vecs @ torch_vecs.T, onnx_vecs @ onnx_vecs.T
    np.fill_diagonal(sims_t, -1)
    np.fill_diagonal(sims_o, -1)
    assert (sims_t.argmax(1) == sims_o.argmax(1)).mean() > 0.99
    # the graph that gave those vectors is the fused one: one Attention kernel per layer
    import onnx

    (export,) = [p.parent for p in tmp_path.rglob("model.onnx")]
    assert json.loads((export / "meta.json").read_text())["fused"] is True
    ops = [n.op_type for n in onnx.load(str(export / "model.onnx")).graph.node]
    assert ops.count("Attention") == 6 and "Softmax" not in ops


def test_batches_are_bounded_in_rows_and_padded_tokens():
    from curation.onnx_encoder import _batches

    rng = np.random.default_rng(3)
    lengths = sorted(rng.integers(3, 258, size=500).tolist()) + [9000]
    order = list(range(len(lengths)))
    batches = _batches(order, lengths, rows=64, tokens=8192)
    assert [k for b in batches for k in b] == order  # every row once, in order
    for b in batches:
        width = max(lengths[k] for k in b)
        assert len(b) <= 64
        assert len(b) * width <= 8192 or len(b) == 1  # a row longer than the budget goes alone
    # short texts still fill whole batches of rows; long ones get fewer rows
    assert len(batches[0]) == 64 and len(batches[-2]) < 64 and batches[-1] == [500]


def test_texts_the_tokenizer_reads_alike_are_one_model_input():
    from curation.onnx_encoder import distinct_inputs

    # "Paris?" / "PARIS?" / "paris ?" all tokenise alike under an uncased WordPiece model
    ids = [[101, 3000, 1029, 102], [101, 2054, 102], [101, 3000, 1029, 102], [101, 2054, 102], [101, 7, 102]]
    uniq, of_text = distinct_inputs(ids)
    assert uniq == [[101, 3000, 1029, 102], [101, 2054, 102], [101, 7, 102]]
    assert of_text.tolist() == [0, 1, 0, 1, 2]
    assert [uniq[k] for k in of_text] == ids


@pytest.mark.slow
@needs_ort
def test_a_recased_text_gets_the_vector_of_the_original(tmp_path):
    texts = demo_texts(30)
    variants = [t.upper() for t in texts[:10]] + [t.replace(" ", "   ") for t in texts[10:20]]
    emb = Embedder(backend="onnx", max_seq_length=256, onnx_dir=tmp_path)
    vecs = emb.encoder.encode(texts + variants)
    alone = emb.encoder.encode(texts)
    assert np.allclose(vecs[: len(texts)], alone, atol=1e-6)
    assert np.array_equal(vecs[len(texts) : len(texts) + 20], vecs[:20])


_MEMORY_PROBE = """
import json, sys
from pathlib import Path
import psutil
from curation.embeddings import Embedder

texts = json.loads(Path(sys.argv[1]).read_text())
emb = Embedder(backend=sys.argv[3], max_seq_length=256, onnx_dir=sys.argv[2])
emb.encode(texts[:2])
loaded = psutil.Process().memory_info().rss
emb.encode(texts)
print(json.dumps({"loaded": loaded, "after": psutil.Process().memory_info().rss}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx", "torch-bf16"])
def test_the_encoder_hands_back_its_activation_memory_after_each_call(tmp_path, backend):
    # ONNX Runtime's arena kept the largest batch's activations for the rest of the scan
    # (~400 MB for batches of long texts), and malloc kept torch's: held while every later
    # stage ran
    if backend == "onnx" and not HAS_ORT:
        pytest.skip("onnxruntime (the scale extra) is not installed")
    import subprocess
    import sys

    words = " ".join(demo_texts(400)).split()
    texts = [" ".join(words[i : i + 200]) for i in range(0, 200 * 300, 200)]  # 300 texts of ~250 tokens
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(tmp_path / "texts.json"), str(tmp_path / "onnx"), backend],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rss = json.loads(out.stdout.strip().splitlines()[-1])
    assert rss["after"] - rss["loaded"] < 60 * 2**20, rss  # kept: ~90-290 MB; handed back: 1-20 MB


_SHAPES = """
import gc, os, sys
import psutil
from curation.embeddings import Embedder, trim_heap
emb = Embedder(backend="torch-bf16", batch_size=4)
words = "the refund policy says customers may return items within thirty days of purchase".split()
def text(n, k):
    return " ".join(words[(i + k) % len(words)] for i in range(n))
me = psutil.Process()
emb.encode([text(n, 0) for n in range(1, 9)])
gc.collect(); trim_heap(); before = me.memory_info().rss
for n in range(2, 162, 2):  # 80 batch shapes the caches have not seen
    emb.encode([text(n, k) for k in range(4)])
gc.collect(); trim_heap()
print((me.memory_info().rss - before) / 2**20)
"""


@pytest.mark.slow
@pytest.mark.skipif(not native_bf16(), reason="bf16 products in hardware only: elsewhere auto never picks torch-bf16")
def test_a_bf16_encoder_does_not_grow_with_every_new_text_length():
    """oneDNN caches compiled products per input shape (1,024 entries by default in PyTorch),
    and on bf16 each kept ~1.7 MB: over a 200k-row scan, whose batches take every length up
    to 256 tokens, the encoder grew by 2.4 GiB. The encoder bounds the caches; a user's own
    setting still wins, which is how the unbounded run is made here."""
    import os
    import subprocess
    import sys

    def growth(**env: str) -> float:
        clean = {
            k: v for k, v in os.environ.items() if k not in ("LRU_CACHE_CAPACITY", "ONEDNN_PRIMITIVE_CACHE_CAPACITY")
        }
        out = subprocess.run(
            [sys.executable, "-c", _SHAPES],
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=600,
            cwd=Path(__file__).resolve().parents[1],
            check=True,
        )
        return float(out.stdout.split()[-1])

    bounded = growth()
    unbounded = growth(LRU_CACHE_CAPACITY="1024", ONEDNN_PRIMITIVE_CACHE_CAPACITY="1024")
    assert unbounded > 60 and bounded < unbounded / 2, (bounded, unbounded)
