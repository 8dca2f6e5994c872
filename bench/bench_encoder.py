"""Embedding throughput per backend: sentence-transformers on torch (the peer) against our
ONNX Runtime encoder, fp32 and int8, on the same texts in one run.

    python bench/bench_encoder.py [--n 4000] [--source alpagasus_filtered/dolly_3k.json]

Texts are the requests and answers of a public set in ``../shared/data`` (the demo's rows
without it), deduplicated, in file order. Each backend encodes them cold (no vector cache)
once after a warm-up batch; printed: texts per second, seconds, and the lowest and mean
cosine of each text's vector with the torch one (1.0 = the same vector). The ONNX export
happens before the timing (once per model; a scan keeps it in the workspace cache).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def texts(source: Path, n: int) -> list[str]:
    from curation.formats import read_examples

    out: dict[str, None] = {}
    for ex in read_examples(source).examples:
        for t in ex.turns:
            if t.role != "system" and t.content.strip():
                out.setdefault(t.content, None)
        if len(out) >= n:
            break
    return list(out)[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--source", default="alpagasus_filtered/dolly_3k.json")
    ap.add_argument("--backends", default="torch,onnx,onnx-int8")
    args = ap.parse_args()
    shared = ROOT.parent / "shared" / "data" / args.source
    data = texts(shared if shared.exists() else ROOT / "data" / "demo" / "train.jsonl", args.n)
    from curation.embeddings import Embedder

    print(
        f"{len(data)} texts from {shared if shared.exists() else 'data/demo/train.jsonl'}, "
        f"mean {np.mean([len(t) for t in data]):.0f} characters; {os.cpu_count()} CPUs"
    )
    ref = None
    with tempfile.TemporaryDirectory() as onnx_dir:
        for backend in args.backends.split(","):
            emb = Embedder(backend=backend, max_seq_length=256, onnx_dir=onnx_dir)
            emb.encode(data[:64])  # load (and export) the model, warm up; no vector cache: all is encoded again
            t0 = time.perf_counter()
            vecs = emb.encode(data)
            took = time.perf_counter() - t0
            ref = vecs if ref is None else ref
            cos = np.sum(vecs * ref, axis=1)
            print(
                json.dumps(
                    {
                        "backend": backend,
                        "texts_per_s": round(len(data) / took, 1),
                        "seconds": round(took, 1),
                        "min_cosine_vs_first": round(float(cos.min()), 5),
                        "mean_cosine_vs_first": round(float(cos.mean()), 6),
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
