"""Benchmark: finding every pair of vectors above a cosine threshold, ours vs ANN libraries.

    python bench/bench_neighbors.py [--n 100000 300000 1000000] [--threshold 0.9]
        [--peers faiss-ivf faiss-hnsw usearch] [--peer-max 300000] [--out FILE]

The semantic duplicate detector asks for all pairs of request vectors with cosine at least
a threshold (0.9 by default, ``similar_pairs`` in ``curation/detectors/neighbors.py``):
exact blocks up to 12,000 rows, a numpy inverted file (spherical k-means cells, each row in
its two nearest) above that. Issue 17 asked whether an ANN library should take over past
about 1M vectors. This runs each method in its own process on the same vectors and prints
wall time, the peak memory above the vectors themselves, the pairs found, and recall:

- ``recall``: of the exact pairs above the threshold that touch 2,000 sampled rows
  (brute force for those rows), the share a method found;
- ``planted``: of the planted near-duplicate pairs at or above the threshold, the share found.

Vectors: synthetic unit vectors, 384 dimensions like MiniLM's, in clusters of about 50
(topics) with noise, and 10% of the rows planted as near copies of another row (cosine
about 0.98). Synthetic because the public sets hold 55,274 distinct rows and embedding 1M
texts takes hours on 2 cores; the search cost depends on n, dimension and cluster structure,
not on where the vectors came from.

Peers (each skipped when not installed, and above ``--peer-max`` rows for the HNSW ones,
which are an order of magnitude slower here):
- ``faiss-ivf``: faiss ``IndexIVFFlat`` (inner product), trained by faiss's k-means on the
  same number of lists, ``nprobe`` 2, ``range_search`` at the threshold;
- ``faiss-hnsw``: faiss ``IndexHNSWFlat`` (M 16, efConstruction 64, efSearch 32), the 16
  nearest of each row kept when above the threshold (as SemHash does with its index);
- ``usearch``: usearch HNSW (connectivity 16, expansion 64/32, SemHash's default backend),
  16 nearest, thresholded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DIM, K_NEAREST, SAMPLE = 384, 16, 2000


def vectors(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(unit vectors n x 384 float32, planted pairs m x 2)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 50), DIM)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)]
    x += 0.9 * rng.standard_normal((n, DIM)).astype(np.float32)
    m = n // 10
    src = rng.choice(n, m, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), m, replace=False)
    x[dst] = x[src] + 0.15 * rng.standard_normal((m, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.sort(np.stack([src, dst], axis=1), axis=1)


def _ours(x: np.ndarray, thr: float):
    from curation.detectors.neighbors import similar_pairs

    i, j, _ = similar_pairs(x, thr)
    return i, j


def _faiss_ivf(x: np.ndarray, thr: float):
    import faiss

    nlist = max(8, int(np.sqrt(len(x)) * 1.5))  # as many cells as ours
    quantizer = faiss.IndexFlatIP(DIM)
    index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(x[np.random.default_rng(0).choice(len(x), min(len(x), 50 * nlist), replace=False)])
    index.add(x)
    index.nprobe = 2
    out_i, out_j = [], []
    for s in range(0, len(x), 8192):
        lims, _, found = index.range_search(x[s : s + 8192], thr)
        q = np.repeat(np.arange(s, s + len(lims) - 1), np.diff(lims).astype(np.int64))
        keep = q < found
        out_i.append(q[keep]), out_j.append(found[keep])
    return np.concatenate(out_i), np.concatenate(out_j)


def _thresholded(x: np.ndarray, thr: float, sims: np.ndarray, found: np.ndarray):
    q = np.repeat(np.arange(len(x)), found.shape[1])
    found, sims = found.ravel().astype(np.int64), sims.ravel()
    keep = (sims >= thr) & (found >= 0)
    a, b = np.minimum(q[keep], found[keep]), np.maximum(q[keep], found[keep])
    keep = a < b
    return a[keep], b[keep]


def _faiss_hnsw(x: np.ndarray, thr: float):
    import faiss

    index = faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    index.add(x)
    index.hnsw.efSearch = 32
    sims, found = index.search(x, K_NEAREST + 1)
    return _thresholded(x, thr, sims, found)


def _usearch(x: np.ndarray, thr: float):
    from usearch.index import Index

    index = Index(ndim=DIM, metric="ip", dtype="f32", connectivity=16, expansion_add=64, expansion_search=32)
    index.add(np.arange(len(x)), x, threads=2)
    m = index.search(x, K_NEAREST + 1, threads=2)
    return _thresholded(x, thr, 1.0 - m.distances, m.keys)


METHODS = {"ours": _ours, "faiss-ivf": _faiss_ivf, "faiss-hnsw": _faiss_hnsw, "usearch": _usearch}
MODULES = {"faiss-ivf": "faiss", "faiss-hnsw": "faiss", "usearch": "usearch"}


def run_method(method: str, n: int, thr: float) -> dict:
    """In this process: build the vectors, run one method, score it against brute force."""
    x, planted = vectors(n)
    if method.startswith("faiss"):
        import faiss

        faiss.omp_set_num_threads(2)
    import gc

    import psutil
    from bench_scan import PeakMemory

    gc.collect()
    before = psutil.Process().memory_info().rss
    memory = PeakMemory(every=0.05)
    t0 = time.perf_counter()
    i, j = METHODS[method](x, thr)
    seconds = time.perf_counter() - t0
    peak = memory.stop()
    found = set(zip(i.tolist(), j.tolist()))
    rows = np.random.default_rng(1).choice(n, min(SAMPLE, n), replace=False)
    truth = set()
    for s in range(0, len(rows), 256):
        blk = rows[s : s + 256]
        r, c = np.nonzero(x[blk] @ x.T >= thr)
        a, b = blk[r], c
        truth |= {(min(p, q), max(p, q)) for p, q in zip(a.tolist(), b.tolist()) if p != q}
    psims = np.einsum("ij,ij->i", x[planted[:, 0]], x[planted[:, 1]])
    plant = {tuple(p) for p in planted[psims >= thr].tolist()}
    return {
        "method": method,
        "n": n,
        "seconds": round(seconds, 1),
        "extra_gib": round(max(0, peak - before) / 1024**3, 2),
        "vectors_gib": round(x.nbytes / 1024**3, 2),
        "pairs": len(found),
        "recall": round(len(truth & found) / max(1, len(truth)), 4),
        "planted": round(len(plant & found) / max(1, len(plant)), 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--peers", nargs="*", default=["faiss-ivf", "faiss-hnsw", "usearch"])
    ap.add_argument("--peer-max", type=int, default=300_000, help="largest n for the HNSW peers")
    ap.add_argument("--out", default=None, help="also write the table here")
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_method(args.one[0], int(args.one[1]), args.threshold)))
        return 0
    import importlib.util

    lines = [
        f"all pairs with cosine >= {args.threshold}, {DIM}-d synthetic vectors, 2 threads; "
        "extra = peak memory above the vectors' build",
        f"{'n':>9} {'method':11} {'seconds':>8} {'extra GiB':>9} {'pairs':>8} {'recall':>7} {'planted':>7}",
    ]
    print("\n".join(lines), flush=True)
    for n in args.n:
        for method in ["ours", *args.peers]:
            if method in MODULES and importlib.util.find_spec(MODULES[method]) is None:
                row = f"{n:>9} {method:11} not installed"
            elif method in ("faiss-hnsw", "usearch") and n > args.peer_max:
                row = f"{n:>9} {method:11} skipped (n > --peer-max)"
            else:
                cmd = [sys.executable, __file__, "--one", method, str(n), "--threshold", str(args.threshold)]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                row = (
                    f"{n:>9} {method:11} {r['seconds']:>8.1f} {r['extra_gib']:>9.2f} {r['pairs']:>8d} "
                    f"{r['recall']:>7.4f} {r['planted']:>7.4f}"
                )
            print(row, flush=True)
            lines.append(row)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
