"""Score ``run_scan`` on the four public sample tasks with the contract's score.py.

usage: python bench/score_sample.py [--shared ../shared] [--workspace DIR] [--backend B,...] [TASK ...]

Reads ``shared/contract/sample`` (absent in a fresh clone: then it says so and exits 0),
scans each task's file with the default settings (bundled MiniLM, embeddings cached in the
workspace), writes the findings JSONL and prints score.py's metrics line per task.

``--backend torch,onnx,onnx-int8`` scans every task with each embedding backend and ends
with each backend's largest F1 difference from the first one's over all tasks: a backend
may be the default only where that stays within 0.005 (issue 17).
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
    ap.add_argument(
        "--backend",
        default="",
        help="comma-separated embedding backends to compare (torch, onnx, onnx-int8; default: the scan's default)",
    )
    args = ap.parse_args()
    unknown = set(args.tasks) - set(TASKS)
    if unknown:
        ap.error(f"unknown task(s) {', '.join(sorted(unknown))}")
    sample = Path(args.shared) / "contract" / "sample"
    if not (sample / "truth.json").exists():
        print(f"no sample set at {sample}: nothing to score (it ships with ../shared, not the repo)")
        return 0
    from curation.formats import read_examples
    from curation.scan import ScanSettings, run_scan

    out_dir = Path(args.workspace)
    out_dir.mkdir(parents=True, exist_ok=True)
    backends = [b for b in args.backend.split(",") if b] or [None]
    f1: dict[str | None, dict[str, float]] = {}
    for backend in backends:
        settings = ScanSettings(embedding_backend=backend) if backend else ScanSettings()
        for task in args.tasks or list(TASKS):
            data, ref = TASKS[task]
            examples = read_examples(sample / data).examples
            reference = read_examples(sample / ref).examples if ref else None
            t0 = time.perf_counter()
            result = run_scan(examples, reference, settings=settings, cache_dir=out_dir)
            took = time.perf_counter() - t0
            path = out_dir / f"{task}.{backend or 'default'}.findings.jsonl"
            path.write_text("".join(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in result.findings))
            score = subprocess.run(
                [sys.executable, str(sample.parent / "score.py"), str(sample / "truth.json"), task, str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            f1.setdefault(backend, {})[task] = _f1(score)
            label = f"{backend or 'default':9s} " if backend else ""
            print(f"{label}{task:10s} {took:7.1f}s  embedded {result.texts_embedded:6d}  {score}", flush=True)
    if len(backends) > 1:
        first = backends[0]
        for backend in backends[1:]:
            diffs = {t: round(f1[backend][t] - f1[first][t], 4) for t in f1[first]}
            worst = max(abs(d) for d in diffs.values())
            print(
                f"{backend} vs {first}: F1 differences {diffs}; largest {worst:.4f} "
                f"({'within' if worst <= 0.005 else 'NOT within'} 0.005)",
                flush=True,
            )
    return 0


def _f1(score_line: str) -> float:
    """The F1 in score.py's metrics line (JSON with an "f1" key, or "f1=0.993" text)."""
    try:
        return float(json.loads(score_line)["f1"])
    except (ValueError, KeyError, TypeError):
        import re

        m = re.search(r"f1\W+([0-9.]+)", score_line, re.IGNORECASE)
        return float(m.group(1)) if m else float("nan")


if __name__ == "__main__":
    raise SystemExit(main())
