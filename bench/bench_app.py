"""Benchmark: the review workbench on 50,000 examples with ~5,000 findings.

Builds a synthetic but realistic workspace (support-assistant rows over many products and
topics, duplicate groups, contradictions, coverage gaps, quality and leakage findings, and
2,000 decisions already recorded by four reviewers), then times what a queue page does:
opening the queue (status-aware query + one page of findings and examples), recording a
decision, undoing it, and one page of the example browser. The reference in the same run
is the naive way to build the same page: load every finding and every decision, derive
the statuses (``workbench.finding_status``), filter and slice. Prints figures, asserts
nothing. Goal: < 0.5 s per step on 2 cores.

    python bench/bench_app.py [--n 50000] [--findings 5000] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.lib import browse
from curation import review
from curation.schema import Decision, Finding
from curation.store import Workspace
from curation.workbench import finding_status, ingest_file

PRODUCTS = ["Notable", "Parcelly", "BudgetBee", "TripNest", "FitLoop", "DocuMint", "ChatDesk", "PhotoVault"]
TOPICS = [
    ("reset my password", "Open Settings > Account > Reset password; a link arrives by email."),
    ("change my plan", "Go to Billing > Plan and pick a new plan; the change applies next cycle."),
    ("export my data", "Use Settings > Data > Export; you get a ZIP file within an hour."),
    ("delete my account", "Settings > Account > Delete account removes everything after 30 days."),
    ("enable two-factor login", "Open Security, choose Two-factor, and scan the QR code."),
    ("sync on a new phone", "Install the app, sign in, and wait for the first sync to finish."),
    ("get a refund", "Refunds are possible within 14 days from Billing > Invoices > Refund."),
    ("contact support", "Write to support from Help > Contact; we answer within one business day."),
]
STYLES = [
    "How do I {t} in {p}?",
    "In {p}, how can I {t}?",
    "What are the steps to {t} ({p})?",
    "{p}: I need to {t}. What should I do?",
    "Could you explain how to {t} with {p}?",
]


def build(root: Path, n: int, n_findings: int) -> tuple[Workspace, int]:
    rng = random.Random(0)
    path = root / "train.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            p, (t, a) = PRODUCTS[i % len(PRODUCTS)], TOPICS[(i // 8) % len(TOPICS)]
            q = STYLES[rng.randrange(len(STYLES))].format(t=t, p=p) + f" (ticket {i})"
            fh.write(
                json.dumps(
                    {
                        "instruction": q,
                        "input": "",
                        "output": f"{a} In {p} this takes {i % 7 + 1} minutes.",
                        "category": t.split()[0],
                        "source": rng.choice(["tickets", "docs", "forum"]),
                    }
                )
                + "\n"
            )
    ws = Workspace(root / "ws")
    ds, _, _ = ingest_file(ws, path)
    findings, used = [], set()
    kinds = [("duplicate", 0.4), ("contradiction", 0.3), ("quality", 0.2), ("leakage", 0.06), ("coverage_gap", 0.04)]
    for kind, share in kinds:
        for _ in range(int(n_findings * share)):
            size = {"duplicate": rng.randint(2, 4), "contradiction": 2, "coverage_gap": 3}.get(kind, 1)
            rows = tuple(sorted(rng.sample(range(n), size)))
            if rows in used:
                continue
            used.add(rows)
            evidence = {"representative": rows[0]} if kind == "duplicate" else {"label": f"topic {len(findings)}"}
            findings.append(
                Finding(
                    kind,
                    "bench",
                    rows,
                    round(rng.random(), 4),
                    f"synthetic {kind} finding",
                    evidence,
                    reference_rows=(1, 2) if kind == "coverage_gap" else (),
                )
            )
    ws.add_scan(ds.id, findings, {"bench": True}, {"total": 0.0})
    people = ["ann", "bob", "cy", "dee"]
    ws.record(
        ds.id,
        [
            Decision(
                0, ds.id, action, rng.choice(people), f.rows if action != "skip" else (), f.finding_id, {}, "", 0.0
            )
            for f in rng.sample(findings, min(2000, len(findings)))
            if (action := rng.choice(["keep", "drop", "skip"]))
        ],
    )
    return ws, ds.id


def timed(fn, repeat: int = 7) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def naive_page(ws: Workspace, ds_id: int, kind: str) -> list:
    status = finding_status(ws, ws.dataset(ds_id))
    todo = [f for f in ws.findings(ds_id, kind=kind) if status.get(f.finding_id, "open") in ("open", "skipped")]
    page = todo[:10]
    rows = sorted({r for f in page for r in f.rows})
    return [page, ws.examples(ds_id, rows)]


def page_rerun(ws: Workspace) -> float:
    """A full rerun of the Duplicates page script in streamlit's AppTest (no browser)."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ.update(CURATE_WORKSPACE=str(ws.root), USER="ann")
    os.environ.pop("CURATE_TEAM_MODE", None)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page("views/duplicates.py").run()
    return timed(lambda: at.run(), repeat=5)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--findings", type=int, default=5_000)
    ap.add_argument("--workspace", type=Path, default=None)
    args = ap.parse_args()
    root = args.workspace or Path(tempfile.mkdtemp(prefix="bench-app-"))
    start = time.perf_counter()
    ws, ds = build(root, args.n, args.findings)
    print(
        f"built {args.n:,} examples, {ws.count_findings(ds):,} findings, 2,000 decisions in "
        f"{time.perf_counter() - start:.1f}s ({root})"
    )

    rows = []
    t_queue, _ = timed(lambda: review.queue(ws, ds, "duplicate", "ann", page_size=10))
    rows.append(("open the Duplicates queue (page 1 of to-do, 10 groups + examples)", t_queue))
    rows.append(("  same, page 50", timed(lambda: review.queue(ws, ds, "duplicate", "ann", page=50))[0]))
    rows.append(
        ("  same, searching example text", timed(lambda: review.queue(ws, ds, "duplicate", "ann", search="refund"))[0])
    )
    rows.append(
        (
            "  reference: naive (all findings + finding_status + slice)",
            timed(lambda: naive_page(ws, ds, "duplicate"))[0],
        )
    )
    items = iter(review.queue(ws, ds, "contradiction", "ann", page_size=30).items)

    def decide_one() -> None:
        item = next(items)
        review.decide(
            ws,
            ds,
            item.finding.finding_id,
            item.state.version,
            "pick",
            item.finding.rows,
            {"keep_row": item.finding.rows[0]},
            "ann",
            "annotator",
        )

    rows.append(("record a decision (with the version check)", timed(decide_one, repeat=15)[0]))
    rows.append(("undo the last decision", timed(lambda: review.undo_last(ws, ds, "ann"), repeat=5)[0]))
    rows.append(
        (
            "example browser page (filter: status dropped)",
            timed(lambda: browse.browse(ws, ds, status="dropped"), repeat=3)[0],
        )
    )
    rows.append(("whole Duplicates page rerun (AppTest: script + widgets)", page_rerun(ws)))
    width = max(len(r[0]) for r in rows)
    for label, secs in rows:
        print(f"{label:<{width}}  {secs * 1000:8.1f} ms")
    print(
        f"goal < 500 ms: queue {'met' if t_queue < 0.5 else 'MISSED'}, decision "
        f"{'met' if rows[4][1] < 0.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
