"""The demo reviewed as a reviewer would, through the review API (bench/bench_review.py):
one review item per disagreement (at most 40 for the 31 planted outdated facts, none mixing
two facts), and at most 1.3 reviewer actions per planted defect. Slow: scans the demo with
the bundled MiniLM (1-3 minutes on 2 cores)."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _bench():
    spec = importlib.util.spec_from_file_location("bench_review", ROOT / "bench" / "bench_review.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_takes_one_item_per_disagreement_and_few_actions(tmp_path):
    from curation import review

    bench = _bench()
    ws, ds = bench.build(tmp_path / "ws")
    truth = json.loads((ROOT / "data" / "demo" / "truth.json").read_text())
    fact_of = {r: g["fact"] for g in truth["contradictions"] for r in g["rows"]}
    items = review.queue(ws, ds, "contradiction", "expert", page_size=1000).items
    assert len(items) <= 40, len(items)
    facts_per_item = [{fact_of[r] for r in i.group.rows if r in fact_of} for i in items]
    assert all(len(f) <= 1 for f in facts_per_item), facts_per_item  # no item mixes two facts
    assert len({next(iter(f)) for f in facts_per_item if f}) == 31  # every planted fact has its item
    actions: Counter = bench.scripted_review(ws, ds)
    assert sum(actions.values()) / (86 + 31 + 113 + 8) <= 1.3, actions
    compared = bench.compare_with_expert(ws, ds)
    assert compared["rows that differ"] <= 60, compared
