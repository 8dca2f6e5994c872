"""Read-and-import throughput for 100k examples, against pandas and Hugging Face datasets.

Builds a 100k-row alpaca JSONL (rows from ../shared/data when present, re-mixed; synthetic
support tickets otherwise), then times in one run:
  - curation.formats.read_examples (validate + canonicalize) and Workspace.ingest (SQLite)
  - pandas.read_json(lines=True) (parse only, no validation): a named peer
  - datasets.load_dataset("json") (parse + Arrow cache): a named peer
Prints examples/s for each. Usage: python bench/bench_ingest.py [--n 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "alpagasus_filtered" / "random_9k.json"


def build(path: Path, n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    if SHARED.exists():
        base = json.loads(SHARED.read_text())
        source = f"{SHARED.name} (re-mixed)"
    else:
        base = [{"instruction": f"How do I fix error E{i} in the desktop app?", "input": "",
                 "output": f"Error E{i} means the sync token expired; sign out and back in."} for i in range(500)]
        source = "synthetic"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            rec = dict(rng.choice(base))
            rec["instruction"] = f"{rec['instruction']} #{i}"
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return source


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    from curation.formats import read_examples
    from curation.store import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        source = build(path, args.n)
        mb = path.stat().st_size / 1e6
        print(f"{args.n} examples, {mb:.1f} MB, rows from {source}")
        t_read, result = timed(lambda: read_examples(path))
        ws = Workspace(Path(tmp) / "ws")
        t_ingest, _ = timed(lambda: ws.ingest(result, path))
        t_again, _ = timed(lambda: ws.ingest(result, path))
        import pandas as pd

        t_pd, _ = timed(lambda: pd.read_json(path, lines=True))
        rows = [("curate read (validate+canonical)", t_read), ("curate ingest (SQLite, 1 tx)", t_ingest),
                ("curate read+ingest", t_read + t_ingest), ("curate re-ingest same file (no-op)", t_again),
                ("pandas.read_json(lines=True)", t_pd)]
        try:
            from datasets import load_dataset

            t_hf, _ = timed(lambda: load_dataset("json", data_files=str(path), cache_dir=str(Path(tmp) / "hf")))
            rows.append(("datasets.load_dataset('json')", t_hf))
        except ImportError:
            print("datasets not installed: skipping that peer")
        print(f"{'step':<38} {'seconds':>8} {'examples/s':>12}")
        for name, t in rows:
            print(f"{name:<38} {t:8.2f} {args.n / t if t else float('inf'):12,.0f}")


if __name__ == "__main__":
    main()
