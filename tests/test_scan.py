"""run_scan: the facade the CLI and the app call."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_detectors_support import MIXED, REFERENCE, SynonymEncoder, build, qa

from curation.detectors.semantic import SemanticDuplicates
from curation.scan import DEFAULT_DETECTORS, ScanSettings, run_scan
from curation.schema import Finding


def scan(**kw):
    return run_scan(MIXED, REFERENCE, embedder=SynonymEncoder(), **kw)


def test_findings_sorted_stable_and_serialisable(tmp_path):
    a, b = scan(cache_dir=tmp_path), scan(cache_dir=tmp_path)
    assert [f.to_json() for f in a.findings] == [f.to_json() for f in b.findings]
    kinds = [f.kind for f in a.findings]
    assert kinds == sorted(kinds, key=["duplicate", "contradiction", "coverage_gap", "leakage", "quality"].index)
    for f in a.findings:
        assert Finding.from_json(json.loads(json.dumps(f.to_json()))).finding_id == f.finding_id
    assert {"duplicate", "contradiction", "quality"} <= set(a.counts)


def test_rescan_embeds_nothing_new(tmp_path):
    first, second = scan(cache_dir=tmp_path), scan(cache_dir=tmp_path)
    assert first.texts_embedded > 0 and second.texts_embedded == 0


PROMPTS = build(
    [
        (q, None)
        for q in (
            "How do I reset my password?",
            "How do I reset my password??",
            "how do i reset my PASSWORD",
            "How can I improve my shower's water pressure?",
            "How can I boost my shower's water pressure?",
            "What is the capital of France?",
        )
    ]
)


@pytest.mark.parametrize("data", [MIXED, PROMPTS], ids=["with answers", "prompt-only"])
def test_rescan_reuses_signatures_and_pair_judgements(tmp_path, monkeypatch, data):
    """A re-scan of unchanged data judges no pair again and loads MinHash signatures; the
    findings are the same. A changed row is judged afresh; a corrupt memo is a cache miss."""
    import curation.detectors.features as features
    import curation.detectors.minhash as minhash

    calls = {"judge": 0, "shingle": 0}

    def counting(fn, name):
        def wrapped(*a, **kw):
            calls[name] += 1
            return fn(*a, **kw)

        return wrapped

    monkeypatch.setattr(features, "judge_pair", counting(features.judge_pair, "judge"))  # every scan judgement
    monkeypatch.setattr(minhash, "shingle_hashes", counting(minhash.shingle_hashes, "shingle"))
    settings = ScanSettings(detectors=["duplicates"])
    first = run_scan(data, settings=settings, embedder=SynonymEncoder(), cache_dir=tmp_path)
    assert calls["judge"] > 0 and calls["shingle"] == 1
    assert first.findings
    calls.update(judge=0, shingle=0)
    second = run_scan(data, settings=settings, embedder=SynonymEncoder(), cache_dir=tmp_path)
    assert calls == {"judge": 0, "shingle": 0}
    assert [f.to_json() for f in first.findings] == [f.to_json() for f in second.findings]

    changed = list(data)
    changed[2] = qa(2, "How do I reset my own password?", data[0].answer or None)  # new wording
    third = run_scan(changed, settings=settings, embedder=SynonymEncoder(), cache_dir=tmp_path)
    assert calls["judge"] > 0 and calls["shingle"] == 1
    assert any({0, 1, 2} <= set(f.rows) for f in third.findings)

    for p in (tmp_path / "memo").iterdir():
        p.write_bytes(b"not a memo")
    calls.update(judge=0, shingle=0)
    fourth = run_scan(data, settings=settings, embedder=SynonymEncoder(), cache_dir=tmp_path)
    assert calls["judge"] > 0 and calls["shingle"] == 1
    assert [f.to_json() for f in fourth.findings] == [f.to_json() for f in first.findings]


def test_rescan_after_cold_scan_reuses_judgements_when_the_model_loads_lazily(tmp_path, monkeypatch):
    """As with the real CLI: the cold scan loads the model (cache misses), the warm re-scan
    never does. Both must key their pair judgements the same way."""
    import curation.detectors.features as features
    import curation.embeddings as embeddings
    from curation.embeddings import Embedder

    loads, judged = [], []
    monkeypatch.setattr(embeddings, "load_sentence_transformer", lambda *a, **kw: loads.append(a) or SynonymEncoder())
    real = features.judge_pair
    monkeypatch.setattr(features, "judge_pair", lambda *a, **kw: judged.append(a) or real(*a, **kw))
    settings = ScanSettings(detectors=["duplicates"])
    cold = run_scan(
        MIXED, settings=settings, cache_dir=tmp_path, embedder=Embedder("some/model", cache_dir=tmp_path / "emb")
    )
    assert loads and judged
    loads.clear(), judged.clear()
    warm = run_scan(
        MIXED, settings=settings, cache_dir=tmp_path, embedder=Embedder("some/model", cache_dir=tmp_path / "emb")
    )
    assert loads == [] and judged == []
    assert [f.to_json() for f in warm.findings] == [f.to_json() for f in cold.findings]


class TableEncoder:
    """Vectors picked by hand, so that cosines sit where the test needs them."""

    model_key = "test-table-encoder"

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts]).astype(np.float32)


def test_warm_rescan_equals_cold_scan_when_wrappers_change_the_cosine(tmp_path):
    """Rows 1 and 2 ask the same core question, row 2 with a greeting that moves its cosine
    to row 0 below the request threshold. Keyed on the cores alone, one memoised judgement
    served both pairs and the warm re-scan grouped other rows than the cold scan."""
    basis = np.eye(8)
    a, b, b_hi = (
        "Which city is the capital of Japan?",
        "Tell me Japan's seat of government.",
        "Hi! Tell me Japan's seat of government.",
    )
    table = {
        a: basis[0],
        b: 0.95 * basis[0] + np.sqrt(1 - 0.95**2) * basis[1],
        b_hi: 0.85 * basis[0] + np.sqrt(1 - 0.85**2) * basis[2],
        "Tokyo": basis[3],
    }
    rows = build([(a, "Tokyo"), (b, "Tokyo"), (b_hi, "Tokyo")])
    settings = ScanSettings(detectors=["duplicates", "contradiction"])
    cold = run_scan(rows, settings=settings, embedder=TableEncoder(table), cache_dir=tmp_path)
    warm = run_scan(rows, settings=settings, embedder=TableEncoder(table), cache_dir=tmp_path)
    assert [f.to_json() for f in warm.findings] == [f.to_json() for f in cold.findings]
    assert [f.rows for f in cold.findings if f.kind == "duplicate"] == [(0, 1, 2)]


def test_datasets_sharing_a_workspace_keep_their_own_memo(tmp_path, monkeypatch):
    """Scanning another dataset in between leaves a dataset's re-scan warm; without scopes
    the shared memo held only the last scan's judgements and the re-scan judged afresh."""
    import curation.detectors.features as features
    import curation.detectors.memo as memo

    judged = []
    real = features.judge_pair
    monkeypatch.setattr(features, "judge_pair", lambda *a, **kw: judged.append(a) or real(*a, **kw))
    settings = ScanSettings(detectors=["duplicates"])

    def scan_of(data, scope):
        judged.clear()
        run_scan(data, settings=settings, embedder=SynonymEncoder(), cache_dir=tmp_path, memo_scope=scope)
        return len(judged)

    assert scan_of(MIXED, "train") > 0
    assert scan_of(PROMPTS, "prompts") > 0
    assert scan_of(MIXED, "train") == 0
    assert scan_of(MIXED, None) > 0  # the unscoped memo is a separate one

    monkeypatch.setattr(memo, "MAX_SCOPES", 2)
    scan_of(PROMPTS, "eval")  # third scope: the least recently used one ("prompts") goes
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "memo").iterdir() if p.is_dir()) == ["eval", "train"]


def test_a_rescan_of_fewer_detectors_keeps_the_others_judgements(tmp_path, monkeypatch):
    """A duplicates-only re-scan between two full scans used to save only its own
    judgements: the next full scan assessed every contradiction candidate again."""
    from curation.detectors.contradiction import Contradictions

    assessed = []
    real = Contradictions.assess
    monkeypatch.setattr(Contradictions, "assess", lambda self, *a, **kw: assessed.append(a) or real(self, *a, **kw))

    def scan_with(detectors):
        assessed.clear()
        run_scan(MIXED, settings=ScanSettings(detectors=detectors), embedder=SynonymEncoder(), cache_dir=tmp_path)
        return len(assessed)

    assert scan_with(["duplicates", "contradiction"]) > 0
    changed = list(MIXED) + [qa(len(MIXED), "How do I reset my password, please?", MIXED[0].answer)]
    run_scan(changed, settings=ScanSettings(detectors=["duplicates"]), embedder=SynonymEncoder(), cache_dir=tmp_path)
    assert scan_with(["duplicates", "contradiction"]) == 0


def test_pair_memo_drops_judgements_unused_for_a_few_writes(tmp_path):
    from curation.detectors.memo import PairMemo

    def write(used: dict[int, str]) -> PairMemo:
        memo = PairMemo(tmp_path)
        for k, v in used.items():
            assert memo.get(k) in (None, v)
            memo.put(k, v)
        memo.save()
        return PairMemo(tmp_path)

    write({1: "a", 2: "b"})
    for n in range(PairMemo.KEEP_WRITES):
        kept = write({1: "a", 10 + n: "new"})  # row 2 edited away: its judgement is unused
        assert kept.get(2) == "b"
    assert write({1: "a", 99: "new"}).get(2) is None and PairMemo(tmp_path).get(1) == "a"


def test_pair_memo_is_written_in_frames_and_read_back_whole(tmp_path, monkeypatch):
    """The memo file holds frames of a few entries each (one pickle of every judgement at
    once held an entry per object in the pickler's memo: gigabytes at 200,000 rows). Every
    entry and its last-used write come back; the old one-pickle layout is a cache miss."""
    import pickle

    from curation.detectors.matching import PairJudgement, Relation
    from curation.detectors.memo import FORMAT, PairMemo

    monkeypatch.setattr(PairMemo, "FRAME", 3)
    judged = {k: PairJudgement(Relation(k % 2 == 0, "near", k / 10, (f"reason {k}",)), None) for k in range(10)}
    memo = PairMemo(tmp_path)
    for k, jd in judged.items():
        memo.put(k, jd)
    memo.save()
    with (tmp_path / "pairs.pkl").open("rb") as f:
        head = pickle.load(f)
        frames = [pickle.load(f) for _ in range(head[3])]
    assert head[3] == 4 and [len(values) for values, _ in frames] == [3, 3, 3, 1]
    back = PairMemo(tmp_path)
    assert {k: back.get(k) for k in judged} == judged and back.hits == 10
    back.put(99, judged[1])
    back.save()  # a second write: unused entries keep their generation, the new one gets 2
    again = PairMemo(tmp_path)
    assert again._generation == 2 and again._written[99] == 2 and again._written[0] == 2
    (tmp_path / "pairs.pkl").write_bytes(pickle.dumps((FORMAT, dict(judged), {}, 1)))
    assert PairMemo(tmp_path).get(1) is None


def test_pair_memo_loads_with_the_cyclic_collector_paused_and_restores_it(tmp_path, monkeypatch):
    """The collector walked every unpickled judgement again and again (13 s against 4.8 s
    for 800,000): it is off while the memo loads and back on after, even when loading fails."""
    import gc
    import pickle

    from curation.detectors import memo as memo_mod

    memo = memo_mod.PairMemo(tmp_path)
    memo.put(1, "a")
    memo.save()
    seen, real_load = [], pickle.load
    monkeypatch.setattr(memo_mod.pickle, "load", lambda f: seen.append(gc.isenabled()) or real_load(f))
    assert memo_mod.PairMemo(tmp_path).get(1) == "a"
    assert seen and not any(seen) and gc.isenabled()
    (tmp_path / "pairs.pkl").write_bytes(b"not a pickle")
    assert memo_mod.PairMemo(tmp_path).get(1) is None and gc.isenabled()


def test_duplicates_and_contradictions_never_share_a_pair():
    res = scan()

    def pairs(kind):
        return {(a, b) for f in res.findings if f.kind == kind for a in f.rows for b in f.rows if a < b}

    assert pairs("duplicate") and pairs("contradiction")
    assert not pairs("duplicate") & pairs("contradiction")


def test_timings_and_settings_dump_round_trip():
    res = scan()
    assert set(DEFAULT_DETECTORS) <= set(res.timings)
    assert ScanSettings(**res.settings) == ScanSettings()
    assert res.n_examples == len(MIXED) and res.n_reference == len(REFERENCE)


def test_detector_selection_and_nested_settings():
    st = ScanSettings(detectors=["quality", "exact"])
    res = scan(settings=st)
    assert {f.kind for f in res.findings} <= {"quality", "duplicate"}
    st2 = ScanSettings(detectors=["duplicates"])
    st2.duplicates.__class__(semantic=SemanticDuplicates(request_threshold=0.95))
    assert scan(settings=st2).findings


def test_unknown_detector_is_an_error():
    with pytest.raises(ValueError, match="unknown detector"):
        scan(settings=ScanSettings(detectors=["nope"]))


def test_progress_callback_sees_every_detector():
    seen = set()
    scan(progress=lambda stage, done, total: seen.add(stage))
    assert {f"detector {d}" for d in DEFAULT_DETECTORS} <= seen


@pytest.mark.slow
def test_real_minilm_scan_finds_reworded_conflicts_and_spares_agreement(tmp_path):
    from test_detectors_support import build

    rows = build(
        [
            ("Name the capital city of Kenya.", "Nairobi"),
            ("Kenya: what is its capital?", "The capital of Kenya is Nairobi."),
            ("What is the capital of Kenya?", "Mombasa"),
            ("What is the capital of Peru?", "Lima"),
            ("How do I reset my password?", "Open Settings > Account > Reset password."),
            ("how do i reset my password", "Open settings > account > reset password"),
        ]
    )
    res = run_scan(rows, settings=ScanSettings(detectors=["contradiction", "duplicates"]), cache_dir=tmp_path)
    con = {f.rows for f in res.findings if f.kind == "contradiction"}
    dup = {f.rows for f in res.findings if f.kind == "duplicate"}
    assert con and all(2 in r and 3 not in r for r in con)
    assert (0, 1) not in con and (4, 5) in dup
