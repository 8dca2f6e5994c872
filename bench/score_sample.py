"""Score ``run_scan`` on the four public sample tasks with the contract's score.py.

usage: python bench/score_sample.py [--shared ../shared] [--workspace DIR] [TASK ...]

Reads ``shared/contract/sample`` (absent in a fresh clone: then it says so and exits 0),
scans each task's file with the default settings (bundled MiniLM, embeddings cached in the
workspace), writes the findings JSONL and prints score.py's metrics line per task.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = {
    "dups": ("dups.jsonl", None),
    "paraphrase": ("paraphrase.jsonl", None),
    "contra": ("contra.jsonl", None),
    "coverage": ("coverage_train.jsonl", "coverage_ref.jsonl"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tasks", nargs="*", help=f"tasks to score (default: all of {', '.join(TASKS)})")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--workspace", default=str(ROOT / ".workspace" / "bench"))
    args = ap.parse_args()
    unknown = set(args.tasks) - set(TASKS)
    if unknown:
        ap.error(f"unknown task(s) {', '.join(sorted(unknown))}")
    sample = Path(args.shared) / "contract" / "sample"
    if not (sample / "truth.json").exists():
        print(f"no sample set at {sample}: nothing to score (it ships with ../shared, not the repo)")
        return 0
    from curation.formats import read_examples
    from curation.scan import run_scan

    out_dir = Path(args.workspace)
    out_dir.mkdir(parents=True, exist_ok=True)
    for task in args.tasks or list(TASKS):
        data, ref = TASKS[task]
        examples = read_examples(sample / data).examples
        reference = read_examples(sample / ref).examples if ref else None
        t0 = time.perf_counter()
        result = run_scan(examples, reference, cache_dir=out_dir)
        took = time.perf_counter() - t0
        path = out_dir / f"{task}.findings.jsonl"
        path.write_text("".join(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in result.findings))
        score = subprocess.run(
            [sys.executable, str(sample.parent / "score.py"), str(sample / "truth.json"), task, str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"{task:10s} {took:7.1f}s  embedded {result.texts_embedded:6d}  {score}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
