"""The demo dataset (data/demo) and its generator: determinism, schemas, ground truth.

Fast and model-free: the generator is stdlib only and runs in well under a second.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "data" / "generate_demo.py"
DEMO = ROOT / "data" / "demo"
FILES = (
    "train.jsonl",
    "truth.json",
    "facts.json",
    "reference.jsonl",
    "eval.jsonl",
    "resolutions.jsonl",
    "general.jsonl",
)
CHECK_TYPES = {"contains_any", "contains_none", "asks_clarification", "declines", "max_words", "language"}
GAPS = ("clarify", "refuse", "conflict", "language", "injection")
DUP_KINDS = {"exact", "format", "typo", "wrapper", "truncated", "paraphrase"}
DECLINE_MARKERS = ("sorry", "can't", "cannot", "unable", "outside", "not something i can")
STOPWORDS = {
    "es": {"el", "la", "de", "los", "las", "por", "para", "en", "y", "tu", "puedes", "está", "del", "al"},
    "de": {"der", "die", "das", "und", "für", "du", "dein", "deiner", "ist", "mit", "bis", "pro", "von", "nach"},
    "en": {"the", "and", "is", "you", "your", "to", "of", "for", "on"},
}


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_demo", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _passes(check: dict, answer: str) -> bool:
    """A reference implementation of the check types, strict enough for reference answers."""
    low = answer.lower()
    kind = check["type"]
    if kind == "contains_any":
        return any(v.lower() in low for v in check["values"])
    if kind == "contains_none":
        return not any(v.lower() in low for v in check["values"])
    if kind == "max_words":
        return len(answer.split()) <= check["value"]
    if kind == "asks_clarification":
        return "?" in answer
    if kind == "declines":
        return any(m in low for m in DECLINE_MARKERS)
    if kind == "language":
        words = set(re.findall(r"\w+", low))
        scores = {lang: len(words & sw) for lang, sw in STOPWORDS.items()}
        return max(scores, key=scores.get) == check["value"]
    raise AssertionError(f"unknown check type {kind}")


@pytest.fixture(scope="module")
def demo() -> dict:
    return {
        "train": _jsonl(DEMO / "train.jsonl"),
        "truth": json.loads((DEMO / "truth.json").read_text(encoding="utf-8")),
        "facts": json.loads((DEMO / "facts.json").read_text(encoding="utf-8")),
        "reference": _jsonl(DEMO / "reference.jsonl"),
        "eval": _jsonl(DEMO / "eval.jsonl"),
        "resolutions": _jsonl(DEMO / "resolutions.jsonl"),
        "general": _jsonl(DEMO / "general.jsonl"),
    }


def _run(out: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--quiet", *args], check=True, timeout=120)


def test_generator_is_deterministic(tmp_path):
    _run(tmp_path / "a", "--seed", "11")
    _run(tmp_path / "b", "--seed", "11")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_committed_demo_matches_a_fresh_generation(tmp_path):
    _run(tmp_path)
    for name in FILES:
        assert (DEMO / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"data/demo/{name} is stale: run `python data/generate_demo.py`"
        )
    assert sorted(p.name for p in DEMO.iterdir()) == sorted(FILES)


def test_other_seeds_keep_every_invariant(tmp_path):
    gen = _load_generator()
    summary = gen.generate(3, tmp_path)
    assert 1200 <= summary["train_rows"] <= 1600
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    for c in truth["contradictions"]:
        assert len(c["outdated_rows"]) >= len(c["correct_rows"]), c["fact"]


def test_counts_are_within_bounds(demo):
    truth = demo["truth"]
    assert 1200 <= len(demo["train"]) <= 1600
    assert truth["n_rows"] == len(demo["train"])
    assert 60 <= len(truth["duplicates"]) <= 100
    assert 30 <= len(truth["contradictions"]) <= 50
    assert 300 <= len(demo["reference"]) <= 400
    assert 150 <= len(demo["eval"]) <= 250
    assert 35 <= len(demo["general"]) <= 50
    facts = demo["facts"]["facts"]
    assert 40 <= len(facts) <= 60
    assert 25 <= sum("outdated_value" in f for f in facts) <= 35
    multi = sum(sum(m["role"] == "user" for m in r["messages"]) > 1 for r in demo["train"])
    assert 0.10 <= multi / len(demo["train"]) <= 0.15
    kinds = {k for g in truth["duplicates"] for k in g["kinds"]}
    assert kinds == DUP_KINDS


def test_examples_are_short(demo):
    # ~4 characters per token for this English text: a mean of 320 characters is ~80 tokens.
    chars = [sum(len(m["content"]) for m in r["messages"]) for r in demo["train"]]
    assert sum(chars) / len(chars) < 320


def test_train_schema(demo):
    ids = [r["id"] for r in demo["train"]]
    assert ids == [f"demo-{i:05d}" for i in range(1, len(ids) + 1)]
    for r in demo["train"]:
        assert set(r) == {"id", "messages"}
        roles = [m["role"] for m in r["messages"]]
        assert set(r["messages"][0]) == {"role", "content"}
        body = roles[1:] if roles[0] == "system" else roles
        assert body and body == ["user", "assistant"] * (len(body) // 2), r["id"]
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in r["messages"])


def test_truth_rows_are_valid(demo):
    n = len(demo["train"])
    truth = demo["truth"]
    seen = set()
    for g in truth["duplicates"]:
        assert len(g["rows"]) >= 2 and g["rows"] == sorted(set(g["rows"]))
        assert all(0 <= r < n for r in g["rows"]) and g["original_row"] in g["rows"]
        assert len(g["kinds"]) == len(g["rows"]) - 1 and set(g["kinds"]) <= DUP_KINDS
        assert not seen & set(g["rows"]), "a row is in two duplicate groups"
        seen |= set(g["rows"])
    facts = {f["key"] for f in demo["facts"]["facts"]}
    for c in truth["contradictions"]:
        assert c["fact"] in facts and c["kind"] in {"number", "policy", "entity", "polarity"}
        assert sorted(c["correct_rows"] + c["outdated_rows"]) == c["rows"]
        assert c["correct_rows"] and c["outdated_rows"]
        assert all(0 <= r < n for r in c["rows"])
        assert len(c["outdated_rows"]) >= len(c["correct_rows"]), "the outdated side must not be the smaller one"
    assert [g["category"] for g in truth["gaps"]] == list(GAPS)
    for g in truth["gaps"]:
        assert g["description"] and all(0 <= r < n for r in g["train_rows"])
        assert all(0 <= r < len(demo["reference"]) for r in g["reference_rows"])


def test_duplicate_copies_match_their_original(demo):
    train = demo["train"]
    for g in demo["truth"]["duplicates"]:
        orig = train[g["original_row"]]["messages"]
        copies = [r for r in g["rows"] if r != g["original_row"]]
        for row, kind in zip(copies, g["kinds"]):
            copy = train[row]["messages"]
            assert len(copy) == len(orig)
            if kind == "exact":
                assert copy == orig
            elif kind == "paraphrase":
                assert copy[-1] == orig[-1] and copy[-2] != orig[-2]
            elif kind == "truncated":
                assert orig[-1]["content"].startswith(copy[-1]["content"])
                assert len(copy[-1]["content"]) < len(orig[-1]["content"])
            else:
                assert copy != orig


def test_no_unplanned_duplicates(demo):
    grouped = {r: i for i, g in enumerate(demo["truth"]["duplicates"]) for r in g["rows"]}
    seen: dict[str, int] = {}
    for i, r in enumerate(demo["train"]):
        key = json.dumps([[m["role"], _norm(m["content"])] for m in r["messages"]])
        if key in seen:
            j = seen[key]
            assert j in grouped and grouped.get(i) == grouped[j], (j, i)
        seen.setdefault(key, i)


def test_checks_tell_correct_rows_from_outdated_ones(demo):
    facts = {f["key"]: f for f in demo["facts"]["facts"]}
    train = demo["train"]
    for c in demo["truth"]["contradictions"]:
        f = facts[c["fact"]]
        checks = [
            {"type": "contains_any", "values": f["check_values"]},
            {"type": "contains_none", "values": f["outdated_check_values"]},
        ]
        for r in c["correct_rows"]:
            assert all(_passes(ch, train[r]["messages"][-1]["content"]) for ch in checks), (c["fact"], r)
        for r in c["outdated_rows"]:
            assert not _passes(checks[1], train[r]["messages"][-1]["content"]), (c["fact"], r)


def test_outdated_values_appear_only_in_outdated_rows(demo):
    outdated = {r for c in demo["truth"]["contradictions"] for r in c["outdated_rows"]}
    for f in demo["facts"]["facts"]:
        if "outdated_value" not in f or f["kind"] == "polarity":
            continue
        for i, row in enumerate(demo["train"]):
            text = " ".join(m["content"].lower() for m in row["messages"] if m["role"] == "assistant")
            if any(v.lower() in text for v in f["outdated_check_values"]):
                assert i in outdated, (f["key"], i, text)


def test_changelog_names_every_change(demo):
    changed = {c["fact"] for rel in demo["facts"]["changelog"] for c in rel["changes"]}
    assert changed == {c["fact"] for c in demo["truth"]["contradictions"]}


def test_eval_schema_and_references_pass_their_checks(demo):
    ids = [it["id"] for it in demo["eval"] + demo["general"]]
    assert len(ids) == len(set(ids))
    for it in demo["eval"] + demo["general"]:
        assert {"id", "messages", "reference", "category", "checks"} <= set(it)
        assert [m["role"] for m in it["messages"]] == ["user"]
        assert it["checks"]
        for check in it["checks"]:
            assert check["type"] in CHECK_TYPES
            if check["type"] in ("contains_any", "contains_none"):
                assert check["values"] and all(isinstance(v, str) and v for v in check["values"])
            if check["type"] == "max_words":
                assert isinstance(check["value"], int)
            if check["type"] == "language":
                assert check["value"] in ("es", "de", "en")
            assert _passes(check, it["reference"]), (it["id"], check, it["reference"])
    cats = {it["category"] for it in demo["eval"]}
    assert {"fact", "howto", *GAPS} == cats
    assert {it["category"] for it in demo["general"]} == {"general"}


def test_eval_covers_the_contradicted_facts(demo):
    asked = {it["fact"] for it in demo["eval"] if it.get("contradicted")}
    assert asked == {c["fact"] for c in demo["truth"]["contradictions"]}
    for it in demo["eval"]:
        if it.get("contradicted"):
            assert {c["type"] for c in it["checks"]} == {"contains_any", "contains_none"}


def _train_prompts(demo) -> set[str]:
    return {_norm(m["content"]) for r in demo["train"] for m in r["messages"] if m["role"] == "user"}


def test_no_eval_prompt_leaks_into_train(demo):
    train = _train_prompts(demo)
    joined = "\n".join(train)
    for it in demo["eval"] + demo["general"]:
        prompt = _norm(it["messages"][0]["content"])
        assert prompt not in train, it["id"]
        if len(prompt) > 20:
            assert prompt not in joined, it["id"]


def test_reference_prompts_are_new_and_cover_the_gaps(demo):
    train = _train_prompts(demo)
    evals = {_norm(it["messages"][0]["content"]) for it in demo["eval"]}
    prompts = [_norm(it["prompt"]) for it in demo["reference"]]
    assert len(prompts) == len(set(prompts))
    for it in demo["reference"]:
        assert set(it) == {"prompt", "category"}
        p = _norm(it["prompt"])
        assert p not in train and p not in evals, it["prompt"]
    for g in demo["truth"]["gaps"]:
        assert len(g["train_rows"]) <= 2, g["category"]
        assert len(g["reference_rows"]) >= 15, g["category"]
        assert {demo["reference"][r]["category"] for r in g["reference_rows"]} == {g["category"]}
        assert len(g["eval_ids"]) >= 10


def test_gap_behaviour_is_really_absent_from_train(demo):
    users = [" ".join(m["content"] for m in r["messages"] if m["role"] == "user") for r in demo["train"]]
    foreign = [u for u in users if re.search(r"[¿¡ñäöüßáéíóú]", u.lower())]
    assert len(foreign) <= 2
    injections = [u for u in users if re.search(r"ignore (your|all)|system override|developer mode", u.lower())]
    assert len(injections) <= 2


def test_resolutions_reference_valid_rows(demo):
    n = len(demo["train"])
    truth = demo["truth"]
    actions = {"merge", "pick", "edit", "add", "drop"}
    for res in demo["resolutions"]:
        assert res["action"] in actions and res.get("reason")
        rows = res.get("rows", []) + ([res["row"]] if "row" in res else [])
        assert all(isinstance(r, int) and 0 <= r < n for r in rows)
        if res["action"] in ("merge", "pick"):
            assert res["keep_row"] in res["rows"]
        if res["action"] in ("edit", "add"):
            roles = [m["role"] for m in res["messages"]]
            assert roles[-1] == "assistant" and "user" in roles
        if res["action"] == "add":
            assert res["category"] in GAPS
    merges = {tuple(r["rows"]) for r in demo["resolutions"] if r["action"] == "merge"}
    assert merges == {tuple(g["rows"]) for g in truth["duplicates"]}
    picks = {r["fact"]: r for r in demo["resolutions"] if r["action"] == "pick"}
    for c in truth["contradictions"]:
        assert picks[c["fact"]]["keep_row"] in c["correct_rows"]
    added = {}
    for r in demo["resolutions"]:
        if r["action"] == "add":
            added[r["category"]] = added.get(r["category"], 0) + 1
    assert all(15 <= added.get(g, 0) <= 30 for g in GAPS), added


def test_added_examples_are_worded_differently(demo):
    seen = _train_prompts(demo) | {_norm(it["messages"][0]["content"]) for it in demo["eval"]}
    seen |= {_norm(it["prompt"]) for it in demo["reference"]}
    added = [_norm(r["messages"][0]["content"]) for r in demo["resolutions"] if r["action"] == "add"]
    assert len(added) == len(set(added))
    assert not seen & set(added)


def _curate(train: list[dict], resolutions: list[dict]) -> list[tuple[int | None, list[dict]]]:
    """Replay resolutions in file order, later actions winning (as curation.curate.derive does)."""
    state = {i: ("unchanged", r["messages"]) for i, r in enumerate(train)}
    added = []
    for res in resolutions:
        if res["action"] == "add":
            added.append((None, res["messages"]))
        elif res["action"] == "edit":
            state[res["row"]] = ("edited", res["messages"])
        else:
            keep = {res.get("keep_row")}
            for r in res["rows"]:
                status, msgs = state[r]
                if r in keep:
                    state[r] = ("edited" if status == "edited" else "kept", msgs)
                else:
                    state[r] = ("dropped", msgs)
    return [(i, m) for i, (s, m) in state.items() if s != "dropped"] + added


def test_applying_the_resolutions_gives_a_clean_set(demo):
    truth, facts = demo["truth"], {f["key"]: f for f in demo["facts"]["facts"]}
    curated = _curate(demo["train"], demo["resolutions"])
    kept = {i for i, _ in curated if i is not None}
    for g in truth["duplicates"]:
        assert len(kept & set(g["rows"])) <= 1
    by_row = {i: m for i, m in curated if i is not None}
    for c in truth["contradictions"]:
        f = facts[c["fact"]]
        left = kept & set(c["rows"])
        assert len(left) >= 5, c["fact"]
        for r in left:
            answer = by_row[r][-1]["content"].lower()
            assert not any(v.lower() in answer for v in f["outdated_check_values"]), (c["fact"], r)
    edited = [r for r in demo["resolutions"] if r["action"] == "edit"]
    assert edited and all(r["row"] in kept for r in edited)
    assert len(curated) == len(kept) + sum(r["action"] == "add" for r in demo["resolutions"])


def test_gap_categories_are_identical_everywhere(demo):
    ref_cats = {it["category"] for it in demo["reference"]}
    assert set(GAPS) <= ref_cats
    assert len(ref_cats - set(GAPS)) >= 5, "reference prompts must also cover the trained topics"


@pytest.mark.parametrize("name", FILES)
def test_files_are_utf8_with_unix_newlines(name):
    data = (DEMO / name).read_bytes()
    assert b"\r\n" not in data and data.endswith(b"\n")
    data.decode("utf-8")


def test_pairwise_contradiction_semantics(demo):
    """Conflicting pairs are correct x outdated; they never overlap a duplicate group."""
    dup_pairs = set()
    for g in demo["truth"]["duplicates"]:
        dup_pairs |= set(itertools.combinations(g["rows"], 2))
    for c in demo["truth"]["contradictions"]:
        conflicting = {tuple(sorted(p)) for p in itertools.product(c["correct_rows"], c["outdated_rows"])}
        assert not conflicting & dup_pairs
