"""The Overview's example map and length statistics, computed once per dataset and cached.

The map places every example in 2-D and gives it a cluster. Vectors are the request
embeddings the latest scan cached (``curation.scan.make_embedder``: same model and cache
key, looked up without loading a model) when every request is cached; otherwise TF-IDF +
truncated SVD, which takes about 10 s on 50,000 rows. The result is one ``.npz`` per dataset content hash under the
workspace cache, written atomically by a background job (see ``app.lib.jobs``), so a page
rerun only reads a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from curation.schema import Example
from curation.store import Dataset, Workspace

VERSION = 1
MAX_CLUSTERS = 12


def map_path(ws: Workspace, dataset: Dataset) -> Path:
    folder = ws.cache_dir / "maps"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{dataset.content_hash[:16]}-v{VERSION}.npz"


def load(ws: Workspace, dataset: Dataset) -> dict[str, np.ndarray] | None:
    """The cached map of a dataset, or None when it has not been computed yet."""
    path = map_path(ws, dataset)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def texts_of(examples: list[Example]) -> list[str]:
    return [f"{ex.user_request}\n\n{ex.answer}".strip() for ex in examples]


def _cached_embeddings(ws: Workspace, dataset: Dataset, examples: list[Example]) -> np.ndarray | None:
    """The request embeddings the latest scan cached (same model, same cache key), when every
    request is in the cache; None otherwise (no model is ever loaded here)."""
    try:
        from curation.scan import latest_settings, make_embedder
    except ImportError:
        return None
    embedder = make_embedder(latest_settings(ws, dataset.id), ws.cache_dir)
    texts = [ex.request for ex in examples]  # what the scan embeds (curation.detectors.features)
    if embedder.cache is None or not texts:
        return None
    hit, vecs = embedder.cache.lookup(np.unique(embedder.keys(texts)))
    return embedder.encode(texts) if vecs is not None and bool(hit.all()) else None


def _tfidf(texts: list[str]) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(max_features=20000, sublinear_tf=True, min_df=1).fit_transform(texts)
    dims = max(1, min(50, matrix.shape[0] - 1, matrix.shape[1] - 1))
    vecs = TruncatedSVD(n_components=dims, random_state=0).fit_transform(matrix)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.maximum(norms, 1e-12)).astype(np.float32)


def compute(ws: Workspace, dataset: Dataset, progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Compute and cache the map and lengths of ``dataset``; returns a short summary."""
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import PCA

    report = progress or (lambda *_: None)
    report("load", 0, 4)
    examples = ws.examples(dataset.id)
    n = len(examples)
    report("vectors", 1, 4)
    vecs = _cached_embeddings(ws, dataset, examples)
    method = "embeddings" if vecs is not None else "tfidf-svd"
    if vecs is None:
        vecs = _tfidf(texts_of(examples)) if n >= 3 else np.zeros((n, 2), dtype=np.float32)
    report("cluster", 2, 4)
    k = int(min(MAX_CLUSTERS, max(1, n // 25 or 1), n))
    if n >= 2 and k >= 2:
        model = (
            KMeans(n_clusters=k, random_state=0, n_init=1)
            if n <= 20000
            else MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3, batch_size=2048)
        )
        clusters = model.fit_predict(vecs)
    else:
        clusters = np.zeros(n, dtype=int)
    report("project", 3, 4)
    xy = PCA(n_components=2, random_state=0).fit_transform(vecs) if n >= 3 and vecs.shape[1] >= 2 else np.zeros((n, 2))
    out = map_path(ws, dataset)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.npz")
    np.savez(
        tmp,
        rows=np.array([ex.row for ex in examples], dtype=np.int64),
        x=xy[:, 0].astype(np.float32),
        y=xy[:, 1].astype(np.float32),
        cluster=np.asarray(clusters, dtype=np.int32),
        request_len=np.array([len(ex.user_request) for ex in examples], dtype=np.int32),
        answer_len=np.array([len(ex.answer) for ex in examples], dtype=np.int32),
        n_turns=np.array([len(ex.turns) for ex in examples], dtype=np.int16),
        method=np.array(method),
    )
    os.replace(tmp, out)
    report("done", 4, 4)
    return {"method": method, "n": n, "clusters": k, "path": str(out)}
