"""Named rules: every duplicate and contradiction finding names the rules that decided it, and
code never decides on how a reason sentence reads (rewording every template changes no finding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_detectors_support import SynonymEncoder, build

from curation.detectors import ScanContext
from curation.detectors import rules as rl
from curation.detectors.contradiction import Contradictions
from curation.detectors.duplicates import Duplicates
from curation.embeddings import Embedder
from curation.formats import read_examples

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "train.jsonl"


def scan(examples, **contra):
    ctx = ScanContext(examples=examples, embedder=Embedder(encoder=SynonymEncoder()))
    return Contradictions(**contra).detect(ctx) + Duplicates().detect(ctx)


@pytest.fixture(scope="module")
def demo_rows():
    """The demo's training set (1,293 rows with planted duplicates and conflicting facts)."""
    return list(read_examples(DEMO).examples)


def test_every_finding_of_a_full_demo_scan_names_registered_rules(demo_rows):
    from curation.scan import run_scan

    demo = DEMO.parent
    result = run_scan(
        demo_rows,
        reference=list(read_examples(demo / "reference.jsonl").examples),
        eval_set=list(read_examples(demo / "eval.jsonl").examples),
        embedder=SynonymEncoder(),
    )
    found = result.findings
    kinds = {f.kind for f in found}
    assert {"duplicate", "contradiction", "coverage_gap", "quality"} <= kinds
    prefixes = {
        "duplicate": ("dup",),
        "contradiction": ("contra",),
        "coverage_gap": ("coverage", "edge"),
        "quality": ("quality",),
        "leakage": ("leak",),
    }
    for f in found:
        ids = [e["id"] for e in f.evidence["rules"]]
        assert ids, f"{f.kind} {f.rows} names no rule"
        assert all(i in rl.RULES for i in ids), ids
        assert all(i.split(".")[0] in prefixes[f.kind] for i in ids), (f.kind, ids)
    fired = {e["id"] for f in found if f.kind == "contradiction" for e in f.evidence["rules"]}
    # the demo plants changed numbers, swapped yes/no and other facts: several rules fire
    assert {"contra.number_mismatch", "contra.verdict_flip"} <= fired


def test_rewording_every_rule_changes_no_finding(demo_rows, monkeypatch):
    """A reason is rendered from its rule; no code path compares reason strings, so the
    findings (kind, rows, score, rules) stay the same when every sentence is reworded."""
    before = scan(demo_rows)
    original = rl.Rule.hit

    def reworded(self, **detail):
        hit = original(self, **detail)
        return rl.Hit("REWORDED " + str(hit)[::-1], hit.rule, hit.detail)

    monkeypatch.setattr(rl.Rule, "hit", reworded)
    after = scan(demo_rows)

    def key(fs):
        return sorted((f.kind, f.rows, f.score, tuple(e["id"] for e in f.evidence["rules"])) for f in fs)

    assert key(after) == key(before)
    changed = [f for f in after if f.kind == "contradiction"]
    assert changed and all("REWORDED" in f.reason for f in changed)


def test_rule_ids_are_unique_stable_names_with_descriptions():
    assert len(rl.RULES) >= 30
    for rid, r in rl.RULES.items():
        prefix, _, name = rid.partition(".")
        assert prefix in {"contra", "dup", "quality", "edge", "coverage", "leak"}, rid
        assert name.replace("_", "").isalnum(), rid
        assert r.description and r.effect in ("fires", "clears")
    # a text check serves both detectors: it fires a contradiction, it keeps a duplicate apart
    for name in rl.TEXT_CHECKS:
        assert rl.RULES[f"contra.{name}"].effect == "fires" and rl.RULES[f"dup.{name}"].effect == "clears"


@pytest.mark.parametrize(
    "pair, rule_id",
    [
        ((("Is water wet?", "Yes."), ("Is water wet?", "No.")), "contra.verdict_flip"),
        (
            (
                ("How many legs does a spider have?", "A spider has 8 legs."),
                ("How many legs does a spider have?", "A spider has 6 legs."),
            ),
            "contra.number_mismatch",
        ),
        (
            (("What is the capital of France?", "Paris"), ("What is the capital of France?", "Lyon")),
            "contra.claim_words",
        ),
    ],
)
def test_a_conflict_names_its_rule_and_switching_it_off_clears_or_hands_over(pair, rule_id):
    found = scan(build(list(pair)))
    contra = [f for f in found if f.kind == "contradiction"]
    assert len(contra) == 1 and rule_id in [e["id"] for e in contra[0].evidence["rules"]]
    without = [f for f in scan(build(list(pair)), off=[rule_id]) if f.kind == "contradiction"]
    assert all(rule_id not in [e["id"] for e in f.evidence["rules"]] for f in without)


def test_hits_survive_the_pair_memo_pickle():
    import pickle

    from curation.detectors.matching import NUMBER_MISMATCH

    hit = NUMBER_MISMATCH.hit(numbers="6, 8")
    back = pickle.loads(pickle.dumps(hit))
    assert back == "numbers differ (6, 8)" and back.rule == "number_mismatch" and back.detail == {"numbers": "6, 8"}


def test_a_leaked_eval_prompt_names_its_match_rule():
    from curation.detectors.leakage import Leakage

    train = build([("How do I reset my password?", "Open Settings > Account."), ("What is Pro?", "A plan.")])
    evals = build([("How do I reset my password?", None)])
    ctx = ScanContext(examples=train, eval_set=evals, embedder=Embedder(encoder=SynonymEncoder()))
    (found,) = Leakage().detect(ctx)
    assert [e["id"] for e in found.evidence["rules"]] == ["leak.exact"]
