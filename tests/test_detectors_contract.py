"""One contract, run over every registered detector: deterministic, empty input gives
nothing, input unchanged, scores in 0..1, stable finding ids, declared kinds only."""

from __future__ import annotations

import copy

import pytest
from test_detectors_support import MIXED, REFERENCE, SynonymEncoder

from curation.detectors import REGISTRY, ScanContext
from curation.embeddings import Embedder


def _ctx(examples, reference=None) -> ScanContext:
    return ScanContext(examples=examples, reference=reference, embedder=Embedder(encoder=SynonymEncoder()))


def _run(name, examples=MIXED, reference=REFERENCE):
    return REGISTRY[name]().detect(_ctx(examples, reference))


@pytest.mark.parametrize("name", sorted(REGISTRY))
class TestDetectorContract:
    def test_deterministic_with_stable_ids(self, name):
        first, second = _run(name), _run(name)
        assert [f.to_json() for f in first] == [f.to_json() for f in second]
        assert len({f.finding_id for f in first}) == len(first)

    def test_empty_input_gives_nothing(self, name):
        assert REGISTRY[name]().detect(_ctx([], [])) == []
        assert REGISTRY[name]().detect(_ctx([], None)) == []

    def test_input_unchanged(self, name):
        examples, reference = copy.deepcopy(MIXED), copy.deepcopy(REFERENCE)
        _run(name, examples, reference)
        assert examples == MIXED and reference == REFERENCE
        assert [e.record for e in examples] == [e.record for e in MIXED]

    def test_findings_are_well_formed(self, name):
        cls = REGISTRY[name]
        rows = {e.row for e in MIXED}
        for f in _run(name):
            assert 0.0 <= f.score <= 1.0
            assert f.kind in cls.kinds
            assert f.detector.split(".")[0] in {name, "exact", "minhash", "semantic"}
            assert set(f.rows) <= rows and f.reason
            assert f.to_json()["finding_id"] == f.finding_id
            if f.kind in ("duplicate", "contradiction"):  # findings contract: the deciding rules
                from curation.detectors.rules import RULES

                assert f.evidence["rules"] and all(r["id"] in RULES for r in f.evidence["rules"])

    def test_settings_round_trip(self, name):
        det = REGISTRY[name]()
        assert REGISTRY[name](**det.settings()) == det
        assert det.key() == name
