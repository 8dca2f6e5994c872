"""The comparison end to end on a tiny model; splits, leakage, generation cache, diagnostics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from training.compare import run_comparison
from training.config import RunConfig
from training.diagnostics import rank_report, spectrum_stats, update_spectrum
from training.generate import GenerationCache, GenerationSettings, active_adapter, generate_answers
from training.model import add_lora
from training.registry import JsonRegistry
from training.split import check_leakage, random_control, split_eval
from training.tiny import tiny_loader


def qa(q: str, a: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]


GOOD = [qa(f"What is {i} plus {i}?", f"It is {2 * i}.") for i in range(32)]
NOISY = GOOD + [qa(f"What is {i} plus {i}?", f"Maybe {2 * i + 1}?") for i in range(32)]
EVAL = [
    {
        "id": f"e{i}",
        "messages": [{"role": "user", "content": f"Add {i} and {i} for me."}],
        "reference": f"It is {2 * i}.",
        "category": "math" if i % 2 else "sums",
        "checks": [{"type": "contains_any", "values": [str(2 * i)]}],
    }
    for i in range(40, 52)
]
CFG = RunConfig(
    precision="fp32",
    device="cpu",
    epochs=2,
    batch_size=8,
    learning_rate=5e-3,
    lora_r=4,
    lora_alpha=8,
    max_new_tokens=6,
    gen_batch_size=5,
    n_bootstrap=300,
    checkpoint_every=4,
)


class CharEncoder:
    """A deterministic stand-in for MiniLM: bag-of-characters vectors."""

    def encode(self, sentences, **kwargs):
        out = np.zeros((len(sentences), 64))
        for r, s in enumerate(sentences):
            for ch in s:
                out[r, ord(ch) % 64] += 1
        return out + 1e-3


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny matmuls are dominated by thread sync; one thread is faster and steadier."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    events = []
    report = run_comparison(
        {"curated": GOOD, "baseline": NOISY},
        EVAL + [dict(EVAL[0], id="leak", messages=GOOD[3][:1])],
        CFG,
        out,
        progress=events.append,
        general_items=EVAL[:3],
        encoder=CharEncoder(),
        model_loader=tiny_loader,
    )
    return out, report, events


def test_report_has_the_headline_fields(comparison):
    out, report, _ = comparison
    for key in (
        "primary_metric",
        "difference",
        "ci95_low",
        "ci95_high",
        "p_value",
        "difference_definition",
        "verdict",
    ):
        assert key in report
    # every eval item has answer checks, so the check pass rate is primary, ref_nll secondary
    assert (
        report["primary_metric"] == "check_pass"
        and report["secondary_metrics"] == ["ref_nll"]
        and "positive = curated better" in report["difference_definition"]
    )
    assert set(report["arms"]) == {"base", "curated", "baseline", "random"}
    head = report["comparisons"]["check_pass"]["curated_vs_baseline"]
    assert head["difference"] == pytest.approx(report["difference"])
    nll = report["comparisons"]["ref_nll"]["curated_vs_baseline"]
    # lower NLL is better, so the difference is baseline minus curated
    expected = report["arms"]["baseline"]["ref_nll"] - report["arms"]["curated"]["ref_nll"]
    assert nll["difference"] == pytest.approx(expected)
    assert report["ci95_low"] <= report["difference"] <= report["ci95_high"]
    assert report["n_train"] == {"curated": 32, "baseline": 64, "random": 32}
    saved = json.loads((out / "report.json").read_text())
    assert saved["difference"] == report["difference"]
    assert "# Curation comparison" in (out / "report.md").read_text()


def test_leaked_eval_prompt_is_dropped_with_a_reason(comparison):
    _, report, _ = comparison
    assert report["leakage"]["n_leaked"] == 1 and report["leakage"]["dropped"][0]["id"] == "leak"
    assert report["n_eval_items"] == len(EVAL)


def test_runs_are_registered_and_progress_is_reported(comparison):
    out, _, events = comparison
    runs = JsonRegistry(out / "runs.json").runs()
    assert sorted(r.split("-")[0] for r in runs) == ["baseline", "curated", "random"]
    assert all(r["status"] == "done" and r["data_hash"] for r in runs.values())
    assert events[-1]["state"] == "done" and events[-1]["fraction"] == 1.0
    assert json.loads((out / "status.json").read_text())["state"] == "done"
    rows = [json.loads(line) for line in (out / "eval_rows.jsonl").read_text().splitlines()]
    assert len(rows) == 4 * len(EVAL) and {"answer", "ref_nll", "check_pass"} <= set(rows[0])


def test_rerun_reuses_trainings_and_cached_generations(comparison, monkeypatch):
    out, report, _ = comparison
    calls = []
    import transformers

    original = transformers.GenerationMixin.generate
    monkeypatch.setattr(
        transformers.GenerationMixin,
        "generate",
        lambda *a, **k: calls.append(1) or original(*a, **k),
    )
    again = run_comparison(
        {"curated": GOOD, "baseline": NOISY},
        EVAL,
        CFG,
        out,
        general_items=EVAL[:3],
        encoder=CharEncoder(),
        model_loader=tiny_loader,
    )
    assert calls == []  # every answer came from the cache
    assert again["difference"] == report["difference"]  # same config, same machine: same numbers
    assert again["arms"] == report["arms"]


def test_adapters_switch_on_one_model_and_base_disables_them():
    model, tok = tiny_loader(CFG)
    torch.manual_seed(0)
    peft_model = add_lora(model, CFG)
    for p in peft_model.parameters():
        if p.requires_grad:
            torch.nn.init.normal_(p, std=0.5)  # make the adapter change the output
    prompts = [e["messages"] for e in EVAL[:4]]
    settings = GenerationSettings(max_new_tokens=6, batch_size=3)
    with active_adapter(peft_model, "base"):
        base_answers = generate_answers(peft_model, tok, prompts, settings, "base")
    with active_adapter(peft_model, "default"):
        adapted = generate_answers(peft_model, tok, prompts, settings, "adapter")
    plain, tok2 = tiny_loader(CFG)
    assert base_answers == generate_answers(plain, tok2, prompts, settings, "plain")
    assert adapted != base_answers


def test_batched_left_padded_generation_equals_one_by_one():
    model, tok = tiny_loader(CFG)
    prompts = [e["messages"] for e in EVAL[:5]] + [[{"role": "user", "content": "x" * 40}]]
    batched = generate_answers(model, tok, prompts, GenerationSettings(8, batch_size=6), "m")
    single = generate_answers(model, tok, prompts, GenerationSettings(8, batch_size=1), "m")
    assert batched == single


def test_generation_cache_keys_on_model_prompt_and_settings(tmp_path):
    cache = GenerationCache(tmp_path / "g.jsonl")
    msgs = [{"role": "user", "content": "hi"}]
    k = cache.key("adapterA", msgs, {"max_new_tokens": 8})
    cache.put({k: "hello"})
    assert GenerationCache(tmp_path / "g.jsonl").get(k) == "hello"  # persisted
    assert k != cache.key("adapterB", msgs, {"max_new_tokens": 8})
    assert k != cache.key("adapterA", msgs, {"max_new_tokens": 9})
    with (tmp_path / "g.jsonl").open("a") as f:
        f.write('{"key": "cut sho')  # a line cut short by a kill is ignored
    assert GenerationCache(tmp_path / "g.jsonl").get(k) == "hello"


def test_split_eval_keeps_duplicate_groups_on_one_side():
    convs = [qa(f"q{i}", f"a{i}") for i in range(40)]
    groups = [i // 4 if i < 20 else None for i in range(40)]  # five groups of four, then singletons
    train_set, items = split_eval(convs, groups, frac=0.3, seed=1)
    held_rows = {it["row"] for it in items}
    for g in range(5):
        members = [i for i in range(20) if groups[i] == g]
        in_train = [convs[i] in train_set for i in members]
        assert all(in_train) or not any(in_train)
        assert len(held_rows & set(members)) <= 1
    assert all(it["reference"].startswith("a") and it["messages"][-1]["role"] == "user" for it in items)
    assert split_eval(convs, groups, 0.3, 1) == (train_set, items)
    assert len(items) == round(0.3 * 25)


@pytest.mark.parametrize(
    "prompt, leaked, reason",
    [
        ("What is 3 plus 3?", True, "exact"),
        ("what is 3 plus 3", True, "exact"),  # normalization: case and punctuation
        ("What is 13 plus 13 then?", True, "near"),
        ("Tell me a story about dragons.", False, None),
    ],
    ids=["exact", "normalized", "near-copy", "unrelated"],
)
def test_check_leakage(prompt, leaked, reason):
    items = [{"id": "x", "messages": [{"role": "user", "content": prompt}]}]
    kept, report = check_leakage(
        items,
        {"curated": [qa("What is 3 plus 3?", "6")], "baseline": [qa("What is 13 plus 13?", "26")]},
        threshold=0.6,
    )
    assert (report["n_leaked"] == 1) is leaked and (len(kept) == 0) is leaked
    if leaked:
        assert report["dropped"][0]["reason"].startswith(reason) and report["dropped"][0]["arms"]


def test_random_control_is_seeded_and_sized():
    base = [qa(f"q{i}", f"a{i}") for i in range(50)]
    a, b = random_control(base, 20, seed=3), random_control(base, 20, seed=3)
    assert a == b and len(a) == 20 and a != random_control(base, 20, seed=4)
    assert [base.index(c) for c in a] == sorted(base.index(c) for c in a)


def test_update_spectrum_matches_a_full_svd():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 30, generator=g), torch.randn(20, 4, generator=g)
    full = torch.linalg.svdvals(2.0 * b @ a).tolist()[:4]
    assert update_spectrum(a, b, 2.0) == pytest.approx(full, rel=1e-6)


@pytest.mark.parametrize(
    "spectrum, eff, top_half",
    [([1.0] * 8, 8.0, 0.5), ([1.0] + [0.0] * 7, 1.0, 1.0)],
    ids=["flat", "rank-one"],
)
def test_spectrum_stats(spectrum, eff, top_half):
    s = spectrum_stats(spectrum)
    assert s["effective_rank"] == pytest.approx(eff) and s["energy_top_half"] == pytest.approx(top_half)
    assert math.isnan(spectrum_stats([0.0] * 4)["energy_top_half"])


def test_rank_report_lists_every_adapted_module_type(comparison):
    _, report, _ = comparison
    rank = report["rank"]["curated"]
    assert rank["rank"] == CFG.lora_r and "verdict" in rank
    assert {"q_proj", "v_proj", "down_proj"} <= set(rank["modules"])
    assert 0 < rank["mean_effective_rank"] <= CFG.lora_r
    model, _ = tiny_loader(CFG)
    assert rank_report(model, "default")["modules"] == {}


def test_verdict_flags_a_mean_carried_by_few_prompts():
    from training.compare import _verdict

    comp = {
        "difference": 0.2,
        "ci95_low": 0.1,
        "ci95_high": 0.3,
        "wins": 30,
        "losses": 70,
        "p_value": 1e-4,
    }
    assert _verdict(comp, "baseline").startswith("curated better than baseline")
    assert "worse on more prompts" in _verdict(comp, "baseline")
    assert "but" not in _verdict({**comp, "wins": 70, "losses": 30}, "baseline")
    assert _verdict({**comp, "ci95_low": -0.1}, "baseline").startswith("no clear difference")


def test_primary_metric_is_broken_down_by_category(comparison):
    _, report, _ = comparison
    by_cat = report["primary_by_category"]["curated_vs_baseline"]
    assert set(by_cat) == {"math", "sums"}
    assert sum(c["n"] for c in by_cat.values()) == report["n"]
