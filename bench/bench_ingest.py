"""Ingest throughput and peak memory on 1M rows (JSONL and Parquet), against Hugging Face
``datasets.load_dataset`` in the same run.

Builds, streaming, a 1M-row alpaca JSONL and CSV (rows from ../shared/data when present,
re-mixed; synthetic support tickets otherwise) and a 1M-row Parquet of OpenAI messages
(list<struct>) with an int32 id and a struct column, and the same at 100k rows. Then, each in a fresh
process (peak RSS from getrusage, time from after the imports):
  - curate ingest: read + validate + canonicalize + store (original bytes or Arrow values) in
    SQLite, one transaction; at 100k and at 1M rows, so a flat peak shows memory does not grow
  - datasets.load_dataset("json" / "parquet"): parse to Arrow + write its cache (the named peer)
Prints a table; figures, not pass/fail. Usage: python bench/bench_ingest.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "alpagasus_filtered" / "random_9k.json"
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
tool, path, scratch = sys.argv[1:4]
if tool == "curate":
    from curation.store import Workspace
    from curation.workbench import ingest_file
    start = time.perf_counter()
    ds, _, _ = ingest_file(Workspace(scratch), path)
    rows = ds.n_examples
else:
    from datasets import load_dataset
    from datasets.utils.logging import disable_progress_bar
    disable_progress_bar()
    start = time.perf_counter()
    kind = {"parquet": "parquet", "csv": "csv"}.get(path.rsplit(".", 1)[-1], "json")
    d = load_dataset(kind, data_files=path, cache_dir=scratch, split="train")
    rows = len(d)
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec() from the forking parent
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": hwm / 1024}))
"""


def base_rows() -> tuple[list[dict], str]:
    if SHARED.exists():  # rows with an empty instruction or answer would (rightly) be rejected
        rows = [r for r in json.loads(SHARED.read_text()) if r["instruction"].strip() and r["output"].strip()]
        return rows, f"{SHARED.name} (re-mixed, {len(rows):,} rows with text in both fields)"
    rows = [
        {
            "instruction": f"How do I fix error E{i} in the desktop app?",
            "input": "",
            "output": f"Error E{i} means the sync token expired; sign out and back in.",
        }
        for i in range(500)
    ]
    return rows, "synthetic"


def build_jsonl(path: Path, n: int, base: list[dict], seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            rec = dict(rng.choice(base))
            rec["instruction"] = f"{rec['instruction']} #{i}"
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def build_csv(path: Path, n: int, base: list[dict], seed: int = 0) -> None:
    import csv

    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["instruction", "input", "output"])
        for i in range(n):
            rec = rng.choice(base)
            writer.writerow([f"{rec['instruction']} #{i}", rec.get("input", ""), rec["output"]])


def build_parquet(path: Path, n: int, base: list[dict], seed: int = 0, batch: int = 50_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    msg = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    meta = pa.struct([("lang", pa.string()), ("quality", pa.float32())])
    schema = pa.schema([("id", pa.int32()), ("messages", msg), ("meta", meta)])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n, batch):
            ids, msgs, metas = [], [], []
            for i in range(start, min(n, start + batch)):
                rec = rng.choice(base)
                user = f"{rec['instruction']} #{i}" + (f"\n\n{rec['input']}" if rec.get("input") else "")
                ids.append(i)
                msgs.append([{"role": "user", "content": user}, {"role": "assistant", "content": rec["output"]}])
                metas.append({"lang": "en", "quality": rng.random()})
            writer.write_table(
                pa.table([pa.array(ids, pa.int32()), pa.array(msgs, msg), pa.array(metas, meta)], schema=schema)
            )


def run(tool: str, path: Path, scratch: Path) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, tool, str(path), str(scratch)], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise SystemExit(f"{tool} on {path.name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000, help="the smaller run that shows memory stays flat")
    ap.add_argument("--dir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = ap.parse_args()
    base, source = base_rows()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        files = []
        for n in (args.small, args.n):
            files += [
                (f"JSONL {n:,}", tmp / f"alpaca-{n}.jsonl", n),
                (f"Parquet {n:,}", tmp / f"messages-{n}.parquet", n),
                (f"CSV {n:,}", tmp / f"alpaca-{n}.csv", n),
            ]
        builders = {".jsonl": build_jsonl, ".parquet": build_parquet, ".csv": build_csv}
        for _, path, n in files:
            builders[path.suffix](path, n, base)
        print(
            f"rows from {source}; files: " + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for _, p, _ in files)
        )
        print(f"{'input':<18} {'method':<44} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9}")
        for label, path, n in files:
            for tool, name in (
                ("curate", "curate ingest (validate + store, 1 tx)"),
                ("datasets", "datasets.load_dataset (parse + Arrow cache)"),
            ):
                scratch = tmp / f"scratch-{tool}-{path.name}"
                r = run(tool, path, scratch)
                assert r["rows"] == n, r
                extra = ""
                if tool == "curate":
                    extra = f"  (workspace.db {(scratch / 'workspace.db').stat().st_size / 1e6:,.0f} MB)"
                print(
                    f"{label:<18} {name:<44} {r['seconds']:8.1f} {n / r['seconds']:9,.0f} "
                    f"{r['peak_mib']:7,.0f} MiB{extra}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
