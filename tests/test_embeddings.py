"""Embedder: normalised float32 vectors, an on-disk cache that makes re-scans cheap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_detectors_support import SynonymEncoder

from curation.embeddings import Embedder, HashingEncoder


def test_vectors_are_unit_float32_in_input_order():
    e = Embedder(encoder=HashingEncoder())
    v = e.encode(["a cat", "a dog", "a cat"])
    assert v.dtype == np.float32 and v.shape == (3, 256)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v[0], v[2]) and e.n_encoded == 2  # duplicates encoded once


def test_cache_hits_skip_the_model_and_return_identical_vectors(tmp_path):
    texts = [f"example text {i}" for i in range(500)]
    first = Embedder(encoder=SynonymEncoder(), cache_dir=tmp_path).encode(texts)
    enc = SynonymEncoder()
    again = Embedder(encoder=enc, cache_dir=tmp_path)
    assert np.array_equal(again.encode(texts), first)
    assert enc.calls == 0 and again.n_encoded == 0
    again.encode(texts[:10] + ["something new"])
    assert again.n_encoded == 1


def test_cache_is_keyed_by_model(tmp_path):
    Embedder(encoder=HashingEncoder(64), cache_dir=tmp_path).encode(["x"])
    other = Embedder(encoder=HashingEncoder(128), cache_dir=tmp_path)
    assert other.encode(["x"]).shape == (1, 128) and other.n_encoded == 1
    short = Embedder(encoder=HashingEncoder(64), cache_dir=tmp_path, max_seq_length=16)
    short.encode(["x"])
    assert short.n_encoded == 1


def test_many_shards_are_compacted_without_losing_vectors(tmp_path):
    e = Embedder(encoder=HashingEncoder(), cache_dir=tmp_path)
    ref = {f"t{i}": e.encode([f"t{i}"])[0] for i in range(40)}
    assert len(list(tmp_path.rglob("*.keys.npy"))) <= 33
    fresh = Embedder(encoder=HashingEncoder(), cache_dir=tmp_path)
    got = fresh.encode(list(ref))
    assert fresh.n_encoded == 0 and np.array_equal(got, np.stack(list(ref.values())))


def test_cached_vectors_are_copied_out_and_no_shard_stays_mapped(tmp_path):
    """A kept mapping of a shard counts every page read in the scan's resident memory (a second
    copy of vectors the scan holds anyway): the cache maps a shard only while copying out of it.
    A shard merged away by another process after it was listed gives misses, not an error."""
    texts = [f"example text {i}" for i in range(300)]
    first = Embedder(encoder=HashingEncoder(), cache_dir=tmp_path, chunk_size=100).encode(texts)
    again = Embedder(encoder=HashingEncoder(), cache_dir=tmp_path, chunk_size=100)
    assert np.array_equal(again.encode(texts), first) and again.n_encoded == 0
    shards = sorted(str(p) for p in tmp_path.rglob("*.vecs.npy"))
    assert len(shards) == 3
    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    assert not [s for s in shards if s in maps]
    Path(shards[0]).unlink()  # gone after `again` listed it
    got = again.encode(texts)
    assert np.array_equal(got, first) and again.n_encoded == 100  # one shard's texts, embedded again


def test_progress_reports_embedding(tmp_path):
    seen = []
    Embedder(encoder=HashingEncoder(), chunk_size=10).encode(
        [str(i) for i in range(25)], progress=lambda *a: seen.append(a)
    )
    assert seen[0] == ("embed", 0, 25) and seen[-1] == ("embed", 25, 25) and len(seen) == 4


def test_empty_input():
    assert Embedder(encoder=HashingEncoder()).encode([]).shape[0] == 0


@pytest.mark.slow
def test_bundled_minilm_ranks_paraphrases_closer(tmp_path):
    e = Embedder(cache_dir=tmp_path)
    v = e.encode(
        ["How do I reset my password?", "I forgot my password, how can I change it?", "What is the capital of France?"]
    )
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert Embedder(cache_dir=tmp_path).encode(["What is the capital of France?"]).shape == (1, 384)


def test_a_shard_merge_writes_block_by_block_and_keeps_every_vector(tmp_path, monkeypatch):
    """Shards are merged a block of rows at a time (a merge holds one block, not every
    vector); with blocks smaller than the merge, every vector still comes back, bit for bit."""
    from curation import embeddings

    monkeypatch.setattr(embeddings, "_MERGE_ROWS", 7)
    e = Embedder(encoder=HashingEncoder(), cache_dir=tmp_path, chunk_size=3)
    texts = [f"text number {i}" for i in range(100)]
    first = e.encode(texts)
    loads, load = [], np.load
    monkeypatch.setattr(np, "load", lambda f, **kw: loads.append((str(f)[-8:], kw.get("mmap_mode"))) or load(f, **kw))
    e.cache.compact()
    monkeypatch.setattr(np, "load", load)
    assert {mode for name, mode in loads if name == "vecs.npy"} == {"r"}  # no shard's vectors read whole
    assert len(list(tmp_path.rglob("*.vecs.npy"))) == 1
    assert not list(tmp_path.rglob("*.tmp"))
    fresh = Embedder(encoder=HashingEncoder(), cache_dir=tmp_path)
    assert np.array_equal(fresh.encode(texts[::-1]), first[::-1]) and fresh.n_encoded == 0
