"""Embedding on a GPU: the device choice and the batch size from free memory (CPU, always
run), and, marked ``cuda`` and skipped where torch sees no GPU, the bundled MiniLM on
``cuda`` giving the vectors it gives on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import curation.embeddings as embeddings
from curation.embeddings import DEFAULT_MODEL, Embedder, resolve_backend, resolve_device
from curation.onnx_encoder import gpu_batch_size

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_batch_size_grows_with_free_memory_within_bounds():
    sizes = [gpu_batch_size(gib * 1024**3, 256) for gib in (0, 1, 8, 40, 140)]
    assert sizes == sorted(sizes)
    assert sizes[0] == 16 and sizes[-1] == 4096
    assert 16 < sizes[2] < 4096
    # longer inputs take more memory per row: fewer rows per batch
    assert gpu_batch_size(8 * 1024**3, 512) < gpu_batch_size(8 * 1024**3, 128)


def test_auto_device_follows_what_the_backend_sees(monkeypatch):
    assert resolve_device("cpu") == "cpu" and resolve_device("cuda") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto", "torch") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto", "torch") == "cpu"
    ort = pytest.importorskip("onnxruntime")
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert resolve_device("auto", "onnx") == "cuda"
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert resolve_device("auto", "onnx-int8") == "cpu"


def test_auto_backend_embeds_on_the_gpu_torch_sees(monkeypatch):
    """A GPU machine with the usual CPU-only onnxruntime: "auto" must not pick ONNX on the CPU
    and leave the GPU idle; with ONNX Runtime's CUDA provider, ONNX stays the choice."""
    ort = pytest.importorskip("onnxruntime")
    monkeypatch.setattr(embeddings, "native_bf16", lambda: True)  # bf16 is for CPUs: the GPU still gets torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert resolve_backend("auto", DEFAULT_MODEL, "auto") == "torch"
    assert resolve_backend("auto", DEFAULT_MODEL, "cpu") == "torch-bf16"
    monkeypatch.setattr(embeddings, "native_bf16", lambda: False)
    assert resolve_backend("auto", DEFAULT_MODEL, "cuda:0") == "torch"
    assert resolve_backend("auto", DEFAULT_MODEL, "cpu") == "onnx"  # the GPU is not asked for
    assert resolve_backend("onnx", DEFAULT_MODEL, "auto") == "onnx"  # a named backend is kept
    assert Embedder(backend="auto", device="auto").backend == "torch"
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert resolve_backend("auto", DEFAULT_MODEL, "auto") == "onnx"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert resolve_backend("auto", DEFAULT_MODEL, "auto") == "onnx"  # no GPU: ONNX on the CPU


def test_ray_gpu_workers_embed_with_torch_whatever_the_driver_sees(monkeypatch, tmp_path):
    """The backend is chosen on the driver for every worker: GPU actors get torch (CUDA),
    not ONNX Runtime on their CPUs, even from a driver without a GPU."""
    from types import SimpleNamespace

    from curation.scan import ScanSettings, make_embedder

    ort = pytest.importorskip("onnxruntime")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the driver has no GPU
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    settings = ScanSettings()
    monkeypatch.setattr(embeddings, "native_bf16", lambda: True)  # the driver's CPU has bf16
    assert make_embedder(settings, tmp_path, engine=SimpleNamespace(use_gpu=True)).backend == "torch"
    assert make_embedder(settings, tmp_path).backend == "torch-bf16"  # embedded here
    # a cluster joined by address: its CPUs are not this one's, bf16 may be emulated there
    cluster = SimpleNamespace(use_gpu=False, address="auto")
    assert make_embedder(settings, tmp_path, engine=cluster).backend == "onnx"
    monkeypatch.setattr(embeddings, "native_bf16", lambda: False)
    assert make_embedder(settings, tmp_path, engine=SimpleNamespace(use_gpu=False)).backend == "onnx"
    assert make_embedder(settings, tmp_path).backend == "onnx"
    named = settings.model_copy(update={"embedding_backend": "onnx"})  # a named backend is kept
    assert make_embedder(named, tmp_path, engine=SimpleNamespace(use_gpu=True)).backend == "onnx"


def test_pair_judges_follow_the_scans_embedding_device(monkeypatch):
    """The opt-in judge models (NLI, paraphrase cross-encoders) run where the embedding runs:
    on the GPU torch sees under "auto", on the CPU when the scan says so."""
    from types import SimpleNamespace

    import curation.detectors.judges as judges
    from curation.detectors.base import ScanContext
    from curation.detectors.contradiction import Contradictions
    from curation.detectors.semantic import SemanticDuplicates

    seen = []
    model = SimpleNamespace(config=SimpleNamespace(id2label={0: "entailment", 1: "contradiction"}))
    monkeypatch.setattr(
        judges, "_pair_classifier", lambda what, name, device: seen.append((what, device)) or (0, model)
    )
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(SemanticDuplicates, "_judges", {})  # loaded judges are kept across scans
    monkeypatch.setattr(Contradictions, "_memo", {})
    judges.load_judge("nli", "org/nli-model", "auto")
    judges.ParaphraseJudge("org/paraphrase-model", "auto")
    assert seen == [("nli", "cuda"), ("paraphrase", "cuda")]
    seen.clear()
    monkeypatch.setattr(judges.ParaphraseJudge, "probabilities", lambda self, pairs: [0.5] * len(pairs))
    for device in ("cpu", "auto"):
        ctx = ScanContext(examples=[], embedder=SimpleNamespace(device=device))
        Contradictions(judge="nli", judge_model="org/nli-model")._judge_model(ctx)
        SemanticDuplicates(paraphrase_judge_model="org/paraphrase-model")._judge_probabilities(ctx, [("a", "b")])
    assert seen == [("nli", "cpu"), ("paraphrase", "cpu"), ("nli", "cuda"), ("paraphrase", "cuda")]


def test_an_encoder_loaded_on_cuda_takes_its_batch_size_from_free_memory(monkeypatch):
    """The load path on a GPU, with the model load and the memory query stubbed (CPU)."""
    loaded = []
    monkeypatch.setattr(embeddings, "resolve_device", lambda device, backend="torch": "cuda")
    monkeypatch.setattr(
        embeddings, "load_sentence_transformer", lambda model, device, seq: loaded.append(device) or object()
    )
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda: (20 * 1024**3, 80 * 1024**3))
    emb = Embedder(backend="torch", device="auto", batch_size=64, max_seq_length=256)
    emb.encoder  # noqa: B018  loads
    assert loaded == ["cuda"]
    assert emb.batch_size == gpu_batch_size(20 * 1024**3, 256) > 64


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_minilm_on_cuda_gives_the_cpu_vectors(tmp_path, backend):
    if backend == "onnx":
        ort = pytest.importorskip("onnxruntime")
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            pytest.skip("onnxruntime has no CUDA provider here")
    texts = [f"How long does refund number {i} take?" for i in range(50)] + ["A much longer text " * 40]
    cpu = Embedder(backend=backend, device="cpu", onnx_dir=tmp_path).encode(texts)
    gpu_emb = Embedder(backend=backend, device="auto", onnx_dir=tmp_path)
    gpu = gpu_emb.encode(texts)
    assert gpu_emb.batch_size >= 64
    cos = (cpu * gpu).sum(axis=1)
    assert cos.min() > 0.9999, cos.min()
    np.testing.assert_allclose(np.linalg.norm(gpu, axis=1), 1.0, atol=1e-5)
