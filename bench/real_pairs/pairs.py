"""The real-data pairs benchmark: candidate pairs drawn from public sets as the scan draws them.

``candidates(source)`` are the pairs the contradiction detector assesses (request-equivalent
rows whose answers are not identical after normalisation), in a seeded order; ``flagged``
are the pairs a scan reports as contradictions (what a reviewer sees). Labels live in
``labels.jsonl`` as references (source, rows, label, note), never as copied text; see
GUIDELINE.md. The public files live in ``../shared/data`` (not in a fresh clone).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
SOURCES = {
    "dolly_3k": "alpagasus_filtered/dolly_3k.json",
    "alpaca_9k": "alpagasus_filtered/random_9k.json",
    "dolly_open_qa": "dolly_open_qa_chinkara/dolly_open_qa.jsonl",
    "alpaca_gpt4_demo": "llamafactory_demo/alpaca_en_demo.json",
    # two models' responses to the same 252 expert-written tasks, one file after the other
    # (rows 0-251: text-davinci-003, 252-503: text-davinci-002)
    "self_instruct_003_002": (
        "self_instruct_user_oriented/predictions/text-davinci-003_predictions.jsonl",
        "self_instruct_user_oriented/predictions/text-davinci-002_predictions.jsonl",
    ),
}
LABELS = ("conflict", "compatible", "agree", "different")


def context(source: str, workspace: Path):
    """A ScanContext over the source file with the default embedder (vectors cached)."""
    from curation.detectors.base import ScanContext
    from curation.scan import ScanSettings, make_embedder

    emb = make_embedder(ScanSettings(), workspace, None)
    return ScanContext(examples=examples(source), embedder=emb)


def examples(source: str) -> list:
    """The source's rows as Examples (several files: concatenated, rows numbered through)."""
    import json

    from curation.formats import read_examples, to_turns
    from curation.schema import Example

    path = SOURCES[source]
    if isinstance(path, str):
        return list(read_examples(DATA / path).examples)
    records = [json.loads(line) for p in path for line in (DATA / p).read_text().splitlines() if line.strip()]
    records = [{"instruction": r["instruction"], "input": r["input"], "output": r["response"]} for r in records]
    return [
        Example(row=k, turns=to_turns(r, "alpaca"), record=r, source_format="alpaca") for k, r in enumerate(records)
    ]


def candidates(ctx, limit: int | None = None, seed: int = 15) -> list[tuple[int, int]]:
    """Request-equivalent pairs (rows) with different answers, shuffled with ``seed``."""
    from curation.detectors.contradiction import Contradictions
    from curation.detectors.features import fields

    f = fields(ctx)
    pairs = sorted(
        (f.rows[i], f.rows[j])
        for i, j in Contradictions().candidates(ctx)
        if f.answer_core_norm[i] != f.answer_core_norm[j]
    )
    random.Random(seed).shuffle(pairs)
    return pairs[:limit] if limit else pairs


def flagged(ctx, detector=None) -> set[tuple[int, int]]:
    """Row pairs the contradiction detector (default settings unless given) judges
    conflicting: each is reported, or stands behind a reported pair of the same two answer
    classes."""
    from curation.detectors.contradiction import Contradictions

    from curation.detectors.features import fields

    ctx.cache.pop("conflict_pairs", None)
    (detector or Contradictions()).detect(ctx)
    rows = fields(ctx).rows
    return {tuple(sorted((rows[i], rows[j]))) for i, j in ctx.cache.get("conflict_pairs", ())}
