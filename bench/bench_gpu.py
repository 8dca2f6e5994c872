"""The scan on a CUDA GPU: the same findings as on the CPU, and how fast it embeds.

    python bench/bench_gpu.py [--set DIR] [--out DIR] [--budget 420]

Needs a GPU torch sees (it says so and exits 0 without one). In one run, printed as it goes:

1. device: the GPU, its free memory, what ``embedding_backend="auto"`` picks there (torch on
   the GPU unless ONNX Runtime has its CUDA provider), the encoder's batch size;
2. vectors: the bundled MiniLM on ``cuda`` and on ``cpu`` over the demo's texts: the lowest
   cosine between a text's two vectors, and texts/s on each;
3. demo scan: ``run_scan`` on the demo (train, reference, eval set) with the embedding on
   ``cuda`` and on ``cpu``, the rest alike: the same finding ids, kinds and rows? how many
   differ elsewhere (a score's or a similarity's last rounded digit, a reason's wording)?
4. with ``--set`` (a folder ``bench_scan.py --write-set`` made: data.jsonl, planted.json): a
   cold scan with the default settings, which embed on the GPU here: seconds per detector,
   texts embedded, precision and recall on the planted duplicates (``bench_scan.score``), the
   findings' hash, the GPU's peak memory; then the embedding alone, every distinct text once,
   uncached, after a warm-up; the findings go to ``--out`` (xz) for a comparison elsewhere;
5. the same cold scan with the embedding on the CPU, when ``--budget`` seconds leave room
   (a scan's CPU stages take the machine's cores): same findings hash or not.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
T0 = time.perf_counter()


def say(what: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f} s] {what}", flush=True)


def demo_sets():
    from curation.formats import read_examples

    demo = ROOT / "data" / "demo"
    return {k: read_examples(demo / f"{k}.jsonl").examples for k in ("train", "reference", "eval")}


def vectors(texts: list[str]) -> None:
    import torch

    from curation.embeddings import Embedder

    got = {}
    for device in ("cuda", "cpu"):
        emb = Embedder(backend="torch", device=device)
        emb.encode(texts[:64])  # load and warm up (kernel choice, the allocator)
        emb.n_encoded = 0
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        got[device] = emb.encode(texts)
        took = time.perf_counter() - t
        say(
            f"vectors on {device}: {len(texts)} texts in {took:.2f} s ({len(texts) / took:,.0f}/s), batch {emb.batch_size}"
        )
    cos = (got["cuda"] * got["cpu"]).sum(axis=1)
    say(f"vectors: lowest cosine between a text's cuda and cpu vectors {cos.min():.6f} (mean {cos.mean():.6f})")


def scan(examples, device: str, backend: str = "auto", **sets):
    from curation.scan import ScanSettings, run_scan

    settings = ScanSettings(embedding_device=device, embedding_backend=backend)
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        res = run_scan(examples, settings=settings, cache_dir=cache, **sets)
        return res, time.perf_counter() - t


def demo_scan() -> None:
    sets = demo_sets()
    kw = {"reference": sets["reference"], "eval_set": sets["eval"]}
    gpu, tg = scan(sets["train"], "cuda", "torch", **kw)
    cpu, tc = scan(sets["train"], "cpu", "torch", **kw)
    say(
        f"demo scan: {len(gpu.findings)} findings on cuda ({tg:.1f} s), {len(cpu.findings)} on cpu ({tc:.1f} s); "
        f"{agreement(gpu.findings, cpu.findings)}; counts {gpu.counts}"
    )


def agreement(a, b) -> str:
    """Same finding ids, kinds and rows (what a scan promises); how many differ elsewhere (the
    rounding of a score or of a similarity in the evidence, a reason's wording)."""
    ka = {(f.finding_id, f.kind, f.rows): json.dumps(f.to_json(), sort_keys=True) for f in a}
    kb = {(f.finding_id, f.kind, f.rows): json.dumps(f.to_json(), sort_keys=True) for f in b}
    other = sum(ka[k] != kb[k] for k in ka.keys() & kb.keys())
    return f"same ids, kinds and rows: {ka.keys() == kb.keys()}; {other} of those differ in a score, evidence or reason"


def big_scan(folder: Path, out: Path, budget: float) -> None:
    import torch

    from bench_scan import findings_sha, score
    from curation.embeddings import Embedder
    from curation.schema import Example, Turn

    rows = [json.loads(line) for line in (folder / "data.jsonl").open()]
    planted = json.loads((folder / "planted.json").read_text())
    ex = [
        Example(row=i, turns=(Turn("user", r["request"]), Turn("assistant", r["answer"]))) for i, r in enumerate(rows)
    ]
    torch.cuda.reset_peak_memory_stats()
    res, took = scan(ex, "auto")
    p, r = score([f.rows for f in res.findings if f.kind == "duplicate"], planted)
    h = findings_sha(res.findings)
    say(
        f"{len(ex):,}-row cold scan, defaults (embedding on the GPU): {took:.1f} s, {res.texts_embedded:,} texts "
        f"embedded, precision {p:.3f} recall {r:.3f}, findings {h}, GPU peak "
        f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB; per detector {json.dumps(res.timings)}"
    )
    with lzma.open(out / "findings_gpu.jsonl.xz", "wt") as fh:
        fh.writelines(json.dumps(f.to_json()) + "\n" for f in res.findings)
    texts = sorted({t for r in rows for t in (r["request"], r["answer"])})
    emb = Embedder(backend="torch", device="cuda", max_seq_length=256)
    emb.encode(texts[:256])
    torch.cuda.synchronize()
    t = time.perf_counter()
    emb.encode(texts)
    torch.cuda.synchronize()
    e = time.perf_counter() - t
    say(
        f"embedding alone on the GPU: {len(texts):,} distinct texts in {e:.1f} s ({len(texts) / e:,.0f}/s), batch {emb.batch_size}"
    )
    left = budget - (time.perf_counter() - T0)
    if left < 3 * took + 60:
        say(f"cpu scan skipped: {left:.0f} s of the budget left")
        return
    res_cpu, took_cpu = scan(ex, "cpu", "torch")
    say(
        f"same scan, embedding on the CPU (torch, {torch.get_num_threads()} threads): {took_cpu:.1f} s, "
        f"findings {findings_sha(res_cpu.findings)}; against the GPU's: {agreement(res.findings, res_cpu.findings)}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, help="a folder bench_scan.py --write-set made")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--budget", type=float, default=420.0, help="seconds; the CPU scan runs only if they leave room")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("torch sees no CUDA GPU here: nothing to measure")
        return 0
    from curation.embeddings import DEFAULT_MODEL, resolve_backend, resolve_device

    free, total = torch.cuda.mem_get_info()
    say(
        f"device: {torch.cuda.get_device_name()} ({free / 2**30:.0f} of {total / 2**30:.0f} GiB free), torch "
        f"{torch.__version__}, {os.cpu_count()} CPUs; auto picks backend "
        f"{resolve_backend('auto', DEFAULT_MODEL, 'auto')} on {resolve_device('auto', 'torch')}"
    )
    sets = demo_sets()
    texts = [t.content for e in sets["train"] for t in e.turns]
    vectors(texts)
    demo_scan()
    if args.set:
        args.out.mkdir(parents=True, exist_ok=True)
        big_scan(args.set, args.out, args.budget)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
