"""A scan killed midway resumes: the embedding chunks it stored are not embedded again, and
the re-run ends with exactly the findings of an uninterrupted scan.

Slow (the bundled MiniLM embeds the demo twice, ~1-2 minutes). The scan embeds in chunks of
200 texts (``embedding_chunk_size``); each finished chunk is an atomic cache shard.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "train.jsonl"
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def shards(ws: Path) -> list[Path]:
    return sorted((ws / "cache" / "embeddings").rglob("*.keys.npy"))


def cached_vectors(ws: Path) -> int:
    return sum(len(np.load(p)) for p in shards(ws))


def scan(ws: Path, out: Path, config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "scan",
            str(DEMO),
            "--findings-out",
            str(out),
            "-w",
            str(ws),
            "--config",
            str(config),
        ],
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def findings(path: Path) -> list[tuple]:
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    return sorted((f["finding_id"], f["kind"], tuple(f["rows"]), f["score"]) for f in rows)


@pytest.mark.slow
def test_a_killed_scan_resumes_from_its_last_stored_chunk(tmp_path):
    config = tmp_path / "scan.json"
    config.write_text(json.dumps({"embedding_chunk_size": 200}))
    clean = scan(tmp_path / "clean", tmp_path / "clean.jsonl", config)
    assert clean.wait(timeout=900) == 0, clean.stderr.read()[-2000:]
    total = cached_vectors(tmp_path / "clean")

    ws = tmp_path / "ws"
    proc = scan(ws, tmp_path / "killed.jsonl", config)
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None and cached_vectors(ws) < 3 * 200:
        time.sleep(0.2)
    assert proc.poll() is None, "the scan ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before, shards_before = cached_vectors(ws), len(shards(ws))
    assert 0 < done_before < total

    again = scan(ws, tmp_path / "resumed.jsonl", config)
    assert again.wait(timeout=900) == 0, again.stderr.read()[-2000:]
    # only the texts the killed run had not stored were embedded: a text embedded twice would
    # be stored twice (shards are merged, and duplicates dropped, only past 32 of them)
    assert len(shards(ws)) <= 32 and cached_vectors(ws) == total
    assert len(shards(ws)) - shards_before < len(shards(tmp_path / "clean"))
    assert findings(tmp_path / "resumed.jsonl") == findings(tmp_path / "clean.jsonl")
