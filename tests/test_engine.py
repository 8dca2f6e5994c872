"""Engines: where the row-parallel stages run. The findings must not depend on it.

Ray itself is exercised by the slow test (``test_engine_ray_slow.py``); here a stand-in
engine returns chunks in reverse order from pickled copies of each task (what Ray does:
results arrive out of order, computed by another process's copy of the task), so the
assembly of vectors, signatures and findings is checked without starting Ray.
"""

from __future__ import annotations

import pickle
from collections import Counter

import numpy as np
import pytest
from test_detectors_support import MIXED, REFERENCE, SynonymEncoder

from curation.detectors.minhash import SignatureChunk
from curation.embeddings import Embedder, EncodeChunk, HashingEncoder
from curation.engine import POOL_MIN_CHUNKS, LocalEngine, _state_of, make_engine, run_chunks
from curation.scan import ScanSettings, run_scan


class ReversedEngine:
    """Runs each chunk on an unpickled copy of the task and yields the last chunk first."""

    name = "reversed"
    workers = 2

    def __init__(self) -> None:
        self.chunks_run = 0
        self.tasks: Counter = Counter()  # chunks run, by the task's class
        self._states: dict = {}

    def map_chunks(self, task, chunks):
        copy = pickle.loads(pickle.dumps(task))
        chunks = pickle.loads(pickle.dumps(list(chunks)))  # what a worker gets is a copy
        out = [(i, copy(c, _state_of(copy, self._states))) for i, c in enumerate(chunks)]
        self.chunks_run += len(chunks)
        self.tasks[type(task).__name__] += len(chunks)
        yield from reversed(out)

    def shuffle(self, task, chunks, partitions):
        copy = pickle.loads(pickle.dumps(task))
        maps = [copy.map(c) for c in pickle.loads(pickle.dumps(list(chunks)))]
        assert all(len(m) == partitions for m in maps)
        self.tasks[type(task).__name__] += len(maps)
        for p in reversed(range(partitions)):
            yield copy.reduce(pickle.loads(pickle.dumps([m[p] for m in maps])))

    def close(self) -> None:
        pass


TEXTS = [f"How many days does refund number {i} take to arrive, roughly?" for i in range(23)] + ["short", "x"]


def test_chunks_from_an_engine_land_in_their_rows_and_the_cache(tmp_path):
    here = Embedder(encoder=HashingEncoder(64), cache_dir=tmp_path / "a", chunk_size=4)
    there = Embedder(encoder=HashingEncoder(64), cache_dir=tmp_path / "b", chunk_size=4)
    there.engine = engine = ReversedEngine()
    seen = []
    want = here.encode(TEXTS + TEXTS[:3])
    got = there.encode(TEXTS + TEXTS[:3], progress=lambda s, d, t: seen.append((d, t)))
    np.testing.assert_array_equal(got, want)
    assert engine.chunks_run == 7  # 25 unique texts in chunks of 4
    assert there.n_encoded == 25 and seen[-1] == (25, 25)
    # every chunk was stored: a second embedder on the same cache embeds nothing
    again = Embedder(encoder=HashingEncoder(64), cache_dir=tmp_path / "b", chunk_size=4)
    np.testing.assert_array_equal(again.encode(TEXTS), want[: len(TEXTS)])
    assert again.n_encoded == 0


def test_an_encode_task_builds_its_encoder_once_per_worker():
    task = EncodeChunk(Embedder(encoder=HashingEncoder(32), batch_size=8))
    engine = LocalEngine()
    built = []
    real_build = task.build
    task.build = lambda: built.append(1) or real_build()
    out = dict(engine.map_chunks(task, [TEXTS[:5], TEXTS[5:9], TEXTS[9:]]))
    assert len(built) == 1
    want = Embedder(encoder=HashingEncoder(32), batch_size=8).encode(TEXTS)
    np.testing.assert_array_equal(np.concatenate([out[0], out[1], out[2]]), want)


def test_minhash_signatures_do_not_depend_on_chunks():
    task = SignatureChunk(5, 32)
    whole = task(TEXTS)
    parts = dict(ReversedEngine().map_chunks(task, [TEXTS[:10], TEXTS[10:]]))
    np.testing.assert_array_equal(np.concatenate([parts[0], parts[1]]), whole)


def test_pair_judgements_from_an_engine_come_back_in_order(monkeypatch):
    import curation.detectors.features as features
    from curation.detectors.base import ScanContext
    from curation.detectors.matching import judge_pair

    f = features.fields(ScanContext(examples=MIXED))
    pairs = [(i, j) for i in range(len(MIXED)) for j in range(i + 1, len(MIXED))]
    items = [(f.pair(i, j), 0.91 if (i + j) % 2 else None, 0.95 if (i + j) % 3 else None) for i, j in pairs]
    thr = {"request_semantic": 0.9, "answer_semantic": 0.92}
    want = [judge_pair(*texts, req_cos=rc, ans_cos=ac, **thr) for texts, rc, ac in items]
    assert len({(jd.duplicate, jd.conflict_candidate) for jd in want}) > 1  # the pairs are judged differently
    monkeypatch.setattr(features, "PAIR_CHUNK", 5)
    engine, seen = ReversedEngine(), []
    ctx = ScanContext(examples=MIXED, engine=engine, progress=lambda s, d, t: seen.append((s, d, t)))
    assert features.judge_pairs(ctx, items, thr) == want
    assert engine.tasks["JudgeChunk"] == -(-len(items) // 5)
    assert seen[-1] == ("judge pairs", len(items), len(items))
    # one chunk is judged here: shipping it to one worker would only add the transfer
    engine.tasks.clear()
    assert features.judge_pairs(ctx, items[:5], thr) == want[:5] and not engine.tasks


def test_a_scan_on_another_engine_gives_the_same_findings(tmp_path, monkeypatch):
    import curation.detectors.edge_cases as edge_cases
    import curation.detectors.features as features
    import curation.detectors.minhash as minhash

    monkeypatch.setattr(minhash, "_CHUNK", 7)  # several signature chunks even on a small set
    monkeypatch.setattr(features, "PAIR_CHUNK", 3)  # and several chunks of pairs to judge
    monkeypatch.setattr(edge_cases, "_CHUNK", 5)  # and of examples to sort into edge cases
    # several embedding chunks too, and the LSH buckets as a shuffle of several blocks
    settings = ScanSettings(embedding_chunk_size=4, shuffle_rows=6)
    local = run_scan(MIXED, REFERENCE, settings, embedder=SynonymEncoder(), cache_dir=tmp_path / "local")
    engine = ReversedEngine()
    other = run_scan(MIXED, REFERENCE, settings, embedder=SynonymEncoder(), cache_dir=tmp_path / "other", engine=engine)
    assert engine.chunks_run > len(MIXED) // 4 + len(MIXED) // 7  # the engine did the work
    assert engine.tasks["JudgeChunk"] >= 2 and engine.tasks["SignatureChunk"] >= 2
    assert engine.tasks["MembershipChunk"] >= 2 and engine.tasks["LshShuffle"] >= 2
    assert [f.to_json() for f in other.findings] == [f.to_json() for f in local.findings]
    assert {"duplicate", "contradiction"} <= set(local.counts)


def test_the_local_engine_runs_the_text_stages_on_worker_processes_with_the_same_findings(tmp_path, monkeypatch):
    import curation.detectors.edge_cases as edge_cases
    import curation.detectors.features as features
    import curation.detectors.minhash as minhash

    monkeypatch.setattr(minhash, "_CHUNK", 4)  # chunk sizes are cut here; the workers only compute
    monkeypatch.setattr(features, "PAIR_CHUNK", 3)
    monkeypatch.setattr(edge_cases, "_CHUNK", 4)
    settings = ScanSettings(embedding_chunk_size=4)
    scans = {}
    for processes in (1, 2):
        with LocalEngine(processes=processes) as engine:
            scans[processes] = run_scan(
                MIXED,
                REFERENCE,
                settings,
                embedder=SynonymEncoder(),
                cache_dir=tmp_path / str(processes),
                engine=engine,
            )
            pooled = engine.pooled_chunks
        assert (pooled > 0) == (processes > 1)
    assert [f.to_json() for f in scans[2].findings] == [f.to_json() for f in scans[1].findings]
    assert {"duplicate", "contradiction"} <= set(scans[1].counts)


def test_a_stage_with_few_chunks_stays_in_this_process():
    engine = LocalEngine(processes=2)
    assert not engine.pooled(POOL_MIN_CHUNKS - 1) and engine.pooled(POOL_MIN_CHUNKS)
    assert not LocalEngine(processes=1).pooled(100)
    out = dict(run_chunks(engine, SignatureChunk(5, 32), [TEXTS[:5], TEXTS[5:]]))
    assert engine.pooled_chunks == 0
    np.testing.assert_array_equal(np.concatenate([out[0], out[1]]), SignatureChunk(5, 32)(TEXTS))


def test_engine_names_are_checked():
    assert make_engine("local").name == "local"
    assert make_engine("local", workers=1).processes == 1  # `curate scan --workers 1`: this process only
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        make_engine("spark")
    with pytest.raises(ValueError, match="--ray-address needs --engine ray"):
        make_engine("local", address="auto")


def test_cli_says_what_is_wrong_with_the_engine_options(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    data = tmp_path / "d.jsonl"
    data.write_text('{"instruction": "Say hi", "output": "Hi"}\n')
    runner = CliRunner()
    args = ["scan", str(data), "--findings-out", str(tmp_path / "f.jsonl"), "--workspace", str(tmp_path / "ws")]
    res = runner.invoke(app, [*args, "--engine", "spark"])
    assert res.exit_code == 2 and "choose local or ray" in res.output
    res = runner.invoke(app, [*args, "--ray-address", "auto"])
    assert res.exit_code == 2 and "--ray-address needs --engine ray" in res.output
    assert not (tmp_path / "ws").exists()  # checked before anything is opened or ingested


def test_the_python_api_takes_an_engine(tmp_path):
    import curation

    ws = curation.Workspace(tmp_path / "ws")
    rows = [{"instruction": q, "output": a} for (q, a) in [(r.turns[0].content, r.turns[-1].content) for r in MIXED]]
    ds = curation.ingest(rows, workspace=ws, name="mixed")
    settings = {"embedding_model": "hashing", "embedding_chunk_size": 4}
    engine = ReversedEngine()
    local = curation.scan(ds, workspace=ws, settings=settings)
    ws2 = curation.Workspace(tmp_path / "ws2")  # its own vector cache: the engine embeds everything
    ds2 = curation.ingest(rows, workspace=ws2, name="mixed")
    other = curation.scan(ds2, workspace=ws2, settings=settings, engine=engine)
    assert engine.chunks_run > 0
    assert [f.to_json() for f in other] == [f.to_json() for f in local]


def test_curate_demo_scans_on_the_local_engine(tmp_path, monkeypatch):
    """`curate demo` calls the scan command as a function: every option must be given."""
    from typer.testing import CliRunner

    import curation.workbench as workbench
    from cli.main import app

    seen = {}

    def fake_scan(ws, dataset, reference=None, settings=None, progress=None, eval_set=None, engine=None):
        seen.update(dataset=dataset.name, engine=engine)
        return 1, [], {}

    monkeypatch.setattr(workbench, "scan_dataset", fake_scan)
    res = CliRunner().invoke(app, ["demo", "--workspace", str(tmp_path / "ws")])
    assert res.exit_code == 0, res.output
    assert seen["dataset"] == "train" and seen["engine"].name == "local"


def test_lazy_chunks_are_made_one_at_a_time_as_they_are_handed_out(tmp_path):
    """A stage's chunks built by ``Lazy`` exist only while in flight: at 200,000 rows the pair
    judgement's items, built all at once, were ~340 MB. A resumed stage takes the finished
    chunks from the journal and makes only the others."""
    from curation.detectors.memo import ChunkJournal
    from curation.engine import Lazy, cut_lazily

    log: list = []

    def make(k: int) -> list[int]:
        log.append(("made", k))
        return [k] * 3

    class Sum:
        journal_key = "sum"

        def __call__(self, chunk, state=None):
            log.append(("ran", chunk[0]))
            return sum(chunk)

    chunks = Lazy(4, make)
    assert len(chunks) == 4 and chunks[-1] == [3, 3, 3] and chunks[1:3] == [[1, 1, 1], [2, 2, 2]]
    with pytest.raises(IndexError):
        chunks[4]
    log.clear()
    assert dict(run_chunks(LocalEngine(processes=1), Sum(), chunks)) == {0: 0, 1: 3, 2: 6, 3: 9}
    assert log == [(step, k) for k in range(4) for step in ("made", "ran")]

    killed = ChunkJournal(tmp_path)
    killed.add(killed.key(Sum(), [1, 1, 1]), 3)  # chunk 1 finished by a killed run
    log.clear()
    assert dict(run_chunks(LocalEngine(processes=1), Sum(), chunks, ChunkJournal(tmp_path))) == {0: 0, 1: 3, 2: 6, 3: 9}
    ran = [k for step, k in log if step == "ran"]
    assert ran == [0, 2, 3]  # the journal's chunk is not judged again
    assert cut_lazily(list(range(7)), 3)[2] == [6] and len(cut_lazily(list(range(7)), 3)) == 3


def test_lsh_buckets_as_a_shuffle_give_the_pairs_of_the_drivers_buckets():
    """The Ray engine buckets LSH bands as a map/shuffle/reduce: every (band, key) goes to one
    partition, so a reducer sees each bucket whole and finds the driver's pairs, including
    the star-and-chain of a bucket over ``max_bucket`` rows; rows with no shingle are in none."""
    import json
    import random
    from pathlib import Path

    from curation.detectors.minhash import candidate_pairs

    demo = Path(__file__).resolve().parents[1] / "data" / "demo" / "train.jsonl"
    texts = []
    for line in demo.read_text(encoding="utf-8").splitlines():
        msgs = json.loads(line)["messages"]
        texts.append(" ".join(m["content"] for m in msgs if m["role"] != "system")[:600])
    rng = random.Random(3)
    for t in rng.sample(texts, 150):  # typo copies
        k = rng.randrange(len(t))
        texts.append(t[:k] + t[k + 1 :])
    many = texts[0]
    texts += [many] * 60 + [""] * 5  # one bucket over max_bucket; texts with no shingle
    rng.shuffle(texts)
    sig = SignatureChunk(5, 32)(texts)
    here = candidate_pairs(sig, 8, max_bucket=40)
    engine = ReversedEngine()
    there = candidate_pairs(sig, 8, max_bucket=40, engine=engine, block_rows=97)
    assert engine.tasks["LshShuffle"] == -(-(len(texts) - 5) // 97)
    assert there == here and len(here) > 1000
    empty = {i for i, t in enumerate(texts) if not t}
    assert not any(i in empty or j in empty for i, j in here)
    big = sorted(i for i, t in enumerate(texts) if t == many)
    assert {(big[0], j) for j in big[1:]} <= here and (big[1], big[3]) not in here  # a star, not all pairs
