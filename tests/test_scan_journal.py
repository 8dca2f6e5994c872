"""A scan stopped midway resumes from its last finished chunk of every chunked stage (MinHash
signatures, edge-case membership, pair judgement), not only of embedding: finished chunks
are appended to a journal in the memo folder, read back by the next run of the same scan,
and deleted once a scan completes. (Killing a real CLI scan during embedding is
``test_scan_resume_slow.py``.)"""

from __future__ import annotations

import pytest
from test_detectors_support import MIXED, REFERENCE, SynonymEncoder

import curation.detectors.edge_cases as edge_cases
import curation.detectors.features as features
import curation.detectors.minhash as minhash
from curation.detectors.features import JudgeChunk
from curation.detectors.memo import ChunkJournal
from curation.detectors.minhash import SignatureChunk
from curation.engine import LocalEngine
from curation.scan import ScanSettings, run_scan


class Stop(Exception):
    """Stands in for the process dying (Ctrl-C, a lost node)."""


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(minhash, "_CHUNK", 7)
    monkeypatch.setattr(features, "PAIR_CHUNK", 3)
    monkeypatch.setattr(edge_cases, "_CHUNK", 5)
    judged = []
    real = features.judge_pair
    monkeypatch.setattr(features, "judge_pair", lambda *a, **kw: judged.append(a) or real(*a, **kw))
    return judged


def scan(cache, progress=None):
    # one process: the counters these tests patch in live here, not in worker processes
    with LocalEngine(processes=1) as engine:
        return run_scan(
            MIXED,
            REFERENCE,
            ScanSettings(),
            embedder=SynonymEncoder(),
            cache_dir=cache,
            progress=progress,
            engine=engine,
        )


def stop_after_judging(judged: list, n: int):
    """A progress callback that stops the scan once it has judged ``n`` pairs itself."""

    def progress(stage, done, total):
        if stage == "judge pairs" and len(judged) >= n:
            raise Stop(len(judged))

    return progress


def findings(res):
    return [f.to_json() for f in res.findings]


@pytest.mark.parametrize("torn", [False, True], ids=["stopped between chunks", "killed while appending"])
def test_a_stopped_scan_judges_only_the_pairs_it_had_not_finished(tmp_path, small_chunks, torn):
    judged = small_chunks
    clean = scan(tmp_path / "clean")
    cold = len(judged)
    assert cold > 12  # several chunks of 3 pairs
    assert not (tmp_path / "clean" / "memo" / ChunkJournal.NAME).exists()  # a completed scan leaves none

    journal = tmp_path / "ws" / "memo" / ChunkJournal.NAME
    judged.clear()
    with pytest.raises(Stop) as stopped:
        scan(tmp_path / "ws", stop_after_judging(judged, 9))
    finished = stopped.value.args[0]  # pairs of the chunks finished before the stop
    assert finished == 9
    assert not (tmp_path / "ws" / "memo" / "pairs.pkl").exists()  # the memo is written only at the end
    if torn:  # half of a frame, as a kill during the append leaves it
        with journal.open("ab") as f:
            f.write(journal.read_bytes()[:40])

    judged.clear()  # stopped again: the journal keeps what both runs finished
    with pytest.raises(Stop) as stopped:
        scan(tmp_path / "ws", stop_after_judging(judged, 6))
    assert stopped.value.args[0] == 6

    judged.clear()
    again = scan(tmp_path / "ws")
    assert len(judged) == cold - finished - 6  # the finished chunks came from the journal
    assert findings(again) == findings(clean)
    assert not journal.exists()
    judged.clear()
    assert findings(scan(tmp_path / "ws")) == findings(clean) and not judged  # and the memo holds all


def test_signatures_and_edge_cases_resume_too(tmp_path, small_chunks, monkeypatch):
    calls = {"sig": 0, "member": 0}
    sig_call, member_call = SignatureChunk.__call__, edge_cases.MembershipChunk.__call__

    def sig(self, chunk, state=None):
        calls["sig"] += 1
        return sig_call(self, chunk, state)

    def member(self, chunk, state=None):
        calls["member"] += 1
        return member_call(self, chunk, state)

    monkeypatch.setattr(SignatureChunk, "__call__", sig)
    monkeypatch.setattr(edge_cases.MembershipChunk, "__call__", member)
    clean = scan(tmp_path / "clean")
    cold = dict(calls)
    assert cold["sig"] >= 2 and cold["member"] >= 2

    # stop in the last detector (quality), after every chunked stage but before the memos are written
    def stop_in_quality(stage, done, total):
        if stage == "detector quality":
            raise Stop()

    calls.update(sig=0, member=0)
    with pytest.raises(Stop):
        scan(tmp_path / "ws", stop_in_quality)
    (tmp_path / "ws" / "memo" / "pairs.pkl").unlink(missing_ok=True)
    for p in (tmp_path / "ws" / "memo").glob("*.npy"):
        p.unlink()  # the signature memos are written mid-scan; only the journal is left
    calls.update(sig=0, member=0)
    small_chunks.clear()
    again = scan(tmp_path / "ws")
    assert calls == {"sig": 0, "member": 0} and not small_chunks
    assert findings(again) == findings(clean)


def test_a_journal_reuses_only_the_same_task_on_the_same_chunk(tmp_path):
    journal = ChunkJournal(tmp_path)
    a, b = JudgeChunk({"answer_semantic": 0.9}), JudgeChunk({"answer_semantic": 0.8})
    chunk = [(("q", "q"), ("q", "q"), ("a", "b"), ("a", "b")), 0.95, None]
    journal.add(journal.key(a, chunk), ["done"])
    again = ChunkJournal(tmp_path)  # what the next process reads
    assert again.get(again.key(b, chunk)) is None  # other thresholds
    assert again.get(again.key(a, chunk[:1])) is None  # another chunk
    assert again.get(again.key(SignatureChunk(5, 32), chunk)) is None  # another task
    assert again.get(again.key(a, chunk)) == ["done"] and again.reused == 1
    again.clear()
    assert not (tmp_path / ChunkJournal.NAME).exists()
