"""Reviewer clicks while a big import runs: how long each waits, and whether any fails.

A reviewer works on a small dataset while another process imports a large file into the same
workspace (SQLite, one writer at a time). The import writes in short staging transactions and
publishes in one short final one, so a click waits for at most one of them. Each click is
what the Example browser's "Drop this row" / "Restore" does: one decision recorded (with the
store's busy retries) and the ledger read back to redraw the page. The reference in the same
run is the same clicks with no import running.

Prints the click waits (median, 95th percentile, max), failures, and how many clicks landed
while the import was running; figures, not pass/fail (tests/test_ingest_clicks.py checks
that none fails). Usage: python bench/bench_ingest_clicks.py [--rows 300000] [--clicks 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from curation import review  # noqa: E402
from curation.store import Workspace  # noqa: E402
from curation.workbench import ingest_file  # noqa: E402

INGEST = """
import sys
from curation.store import Workspace
from curation.workbench import ingest_file
ws = Workspace(sys.argv[1])
print("start", flush=True)
ingest_file(ws, sys.argv[2])
print("done", flush=True)
"""


@dataclass(frozen=True)
class Click:
    wait: float  # seconds from the click to the page's data read back
    error: str  # empty when the decision was recorded
    during_ingest: bool


def write_rows(path: Path, n: int) -> Path:
    """``n`` alpaca rows of support tickets, all distinct."""
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "instruction": f"How do I export note {i} to PDF?",
                        "input": "",
                        "output": f"Open note {i}, click Share, then Export as PDF. Ticket {i}.",
                    }
                )
                + "\n"
            )
    return path


def click(ws: Workspace, dataset_id: int, i: int, running: bool) -> Click:
    action = "drop" if i % 2 == 0 else "keep"
    start = time.perf_counter()
    try:
        review.decide_rows(ws, dataset_id, action, [i % 20], {}, "ann", "annotator", reason=f"click {i}")
        ws.ledger(dataset_id).curated(ws.examples(dataset_id, [i % 20]))
    except Exception as err:  # noqa: BLE001 - a failed click is what we count
        return Click(time.perf_counter() - start, f"{type(err).__name__}: {err}", running)
    return Click(time.perf_counter() - start, "", running)


def clicks_during_ingest(root: Path, rows: int, n_clicks: int = 50, every: float = 0.2) -> tuple[list[Click], float]:
    """``n_clicks`` clicks, ``every`` seconds apart, on a small dataset while another process
    ingests ``rows`` rows into the same workspace; returns the clicks and the ingest's seconds."""
    ws_dir = root / "ws"
    ws = Workspace(ws_dir)
    small, _, _ = ingest_file(ws, write_rows(root / "small.jsonl", 20))
    big = root / f"big-{rows}.jsonl"
    if not big.exists():
        write_rows(big, rows)
    proc = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(ws_dir), str(big)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout.readline().strip() == "start"
    started = time.perf_counter()
    time.sleep(every)
    out = []
    for i in range(n_clicks):
        out.append(click(ws, small.id, i, proc.poll() is None))
        time.sleep(every)
    proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"the ingest failed (exit {proc.returncode})")
    return out, time.perf_counter() - started


def reference(root: Path, n_clicks: int = 50) -> list[Click]:
    """The same clicks with nothing else writing to the workspace."""
    ws = Workspace(root / "ref")
    small, _, _ = ingest_file(ws, write_rows(root / "small-ref.jsonl", 20))
    return [click(ws, small.id, i, False) for i in range(n_clicks)]


def _summary(name: str, clicks: list[Click]) -> str:
    waits = sorted(c.wait * 1000 for c in clicks)
    p95 = waits[min(len(waits) - 1, round(0.95 * (len(waits) - 1)))]
    return (
        f"{name:<28} {len(clicks):>6} {sum(c.during_ingest for c in clicks):>8} "
        f"{statistics.median(waits):>9.0f} {p95:>8.0f} {waits[-1]:>8.0f} {sum(bool(c.error) for c in clicks):>7}"
        f" {sum(c.wait > 1.0 for c in clicks):>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--clicks", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ref = reference(root, args.clicks)
        during, seconds = clicks_during_ingest(root, args.rows, args.clicks)
    print(
        f"{'clicks (ms)':<28} {'clicks':>6} {'in ingest':>8} {'median':>9} {'p95':>8} {'max':>8} {'failed':>7}"
        f" {'>1 s':>6}"
    )
    print(_summary("no ingest (reference)", ref))
    print(_summary(f"during a {args.rows:,}-row ingest", during))
    print(f"the ingest took {seconds:.1f} s")
    for c in during:
        if c.error:
            print("failed:", c.error)


if __name__ == "__main__":
    main()
