"""``--engine ray`` gives the findings of the single-process engine: on the demo and on a
5,000-row set with planted duplicates and contradictions.

Slow: starts a local Ray with 2 CPUs and embeds every text twice with the bundled MiniLM
(once per engine, each into an empty cache), about 6-8 minutes on 2 cores. The embedding
chunks are small (``embedding_chunk_size`` 256, the same for both engines), so both Ray
workers embed and the chunks come back out of order. The LSH buckets are a shuffle on the
Ray actors (blocks of 1,000 signatures), checked on its own too.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"

pytestmark = pytest.mark.slow


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    k = rng.randrange(len(words))
    w = words[k]
    if len(w) > 3:
        i = rng.randrange(1, len(w) - 1)
        words[k] = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    return " ".join(words)


def planted_5k(out: Path) -> tuple[int, int]:
    """5,000 single-turn rows: the demo's request/answer pairs, then planted near-duplicates
    (a typo, a wrapper) and contradictions (a number in the answer changed) of them.
    Returns (planted duplicates, planted contradictions)."""
    rng = random.Random(5)
    base = []
    for r in _rows(DEMO / "train.jsonl"):
        msgs = [m for m in r["messages"] if m["role"] != "system"]
        for q, a in zip(msgs[::2], msgs[1::2]):
            if q["role"] == "user" and a["role"] == "assistant":
                base.append((q["content"], a["content"]))
    base = list(dict.fromkeys(base))
    rows = list(base)
    dups = contras = 0
    while len(rows) < 5000:
        q, a = rng.choice(base)
        pick = rng.random()
        if pick < 0.4:
            rows.append((_typo(q, rng), a))
            dups += 1
        elif pick < 0.7:
            rows.append((f"Quick question: {q}", f"Sure! {a}"))
            dups += 1
        elif re.search(r"\d+", a):
            n = re.search(r"\d+", a)
            rows.append((q, a[: n.start()] + str(int(n.group()) + 7) + a[n.end() :]))
            contras += 1
    lines = [
        json.dumps({"id": f"r{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
        for i, (q, a) in enumerate(rows[:5000])
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dups, contras


def scan(data: Path, ws: Path, config: Path, *engine: str) -> list[dict]:
    out = ws / "findings.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "scan", str(data), "--findings-out", str(out), "--workspace", str(ws)]
        + ["--config", str(config), *engine],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return _rows(out)


@pytest.mark.parametrize("which", ["demo", "planted_5k"])
def test_ray_engine_gives_the_single_process_findings(tmp_path: Path, which: str) -> None:
    config = tmp_path / "scan.json"
    # the Ray scan buckets the LSH bands as a shuffle of 1,000-signature blocks (local: on the driver)
    config.write_text(json.dumps({"embedding_chunk_size": 256, "shuffle_rows": 1000}))
    if which == "demo":
        data = DEMO / "train.jsonl"
    else:
        data = tmp_path / "planted.jsonl"
        dups, contras = planted_5k(data)
        assert dups > 2000 and contras > 300
    local = scan(data, tmp_path / "local", config)
    ray = scan(data, tmp_path / "ray", config, "--engine", "ray", "--ray-workers", "2")
    kinds = {f["kind"] for f in local}
    assert {"duplicate", "contradiction"} <= kinds
    assert len(local) > (100 if which == "demo" else 1000)
    # same findings: ids, kinds, rows, scores, reasons and evidence, in the same order
    assert ray == local
    # the Ray run embedded every text itself (its cache was empty): it did not reuse the local one
    shards = list((tmp_path / "ray" / "cache" / "embeddings").rglob("*.keys.npy"))
    assert len(shards) > 2


def test_lsh_shuffle_on_ray_finds_the_drivers_candidate_pairs(tmp_path: Path) -> None:
    from curation.detectors.minhash import SignatureChunk, candidate_pairs
    from curation.engine import RayEngine

    data = tmp_path / "planted.jsonl"
    planted_5k(data)
    texts = [" ".join(m["content"] for m in r["messages"])[:600] for r in _rows(data)]
    sig = SignatureChunk(5, 32)(texts)
    here = candidate_pairs(sig, 8)
    engine = RayEngine(workers=2)
    try:
        there = candidate_pairs(sig, 8, engine=engine, block_rows=700)
    finally:
        engine.close()
    assert there == here and len(here) > 2000
