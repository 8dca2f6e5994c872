"""training.arms: the one arms builder of `curate compare` and the app's launcher. A decision
recorded in the workspace changes what the curated adapter trains on (tiny model)."""

from __future__ import annotations

import json

from test_app_fixture import build_workspace

from training.arms import build_arms
from training.compare import run_comparison
from training.config import RunConfig
from training.data import conversations_hash
from training.tiny import tiny_loader

CFG = RunConfig(
    precision="fp32",
    device="cpu",
    max_steps=2,
    batch_size=4,
    lora_r=2,
    lora_alpha=4,
    max_new_tokens=4,
    gen_batch_size=4,
    n_bootstrap=50,
    checkpoint_every=10,
)


def test_a_recorded_drop_removes_the_row_from_the_curated_arm(tmp_path):
    ws, ds = build_workspace(tmp_path / "fx", users=False)
    dropped = ws.examples(ds, [4])[0]  # "Notable Pro is $15 per month."
    ws.record_decision(ds, "drop", "cora", [4], reason="outdated price", role="curator")
    evals = tmp_path / "eval.jsonl"
    evals.write_text(
        "".join(
            json.dumps({"prompt": q, "reference": a}) + "\n"
            for q, a in (
                ("What is the price of Notable Pro?", "$12 per month."),
                ("Where do I find dark mode?", "Settings."),
            )
        )
    )
    arms = build_arms(ws, ws.dataset(ds), evals, policy=False)
    answers = [c[-1]["content"] for c in arms.arms["curated"]]
    assert dropped.answer not in answers and dropped.answer in [c[-1]["content"] for c in arms.arms["baseline"]]
    assert arms.info["rows_set_by_recorded"] == 1 and arms.info["rows_set_by_policy"] == 0
    report = run_comparison(
        arms.arms, arms.eval_items, CFG, tmp_path / "cmp", encoder=None, model_loader=tiny_loader, data_info=arms.info
    )
    assert report["n_train"]["curated"] == report["n_train"]["baseline"] - 1 == 13
    assert report["data"]["rows_set_by_recorded"] == 1
    runs = {p.name.split("-")[0]: p for p in (tmp_path / "cmp" / "runs").iterdir()}
    trained_on = json.loads((runs["curated"] / "run.json").read_text())["data_hash"]
    assert trained_on == conversations_hash(arms.arms["curated"]) != conversations_hash(arms.arms["baseline"])
    assert "1 recorded decisions set 1 rows" in (tmp_path / "cmp" / "report.md").read_text()


def test_without_an_eval_file_the_held_out_groups_train_neither_arm(tmp_path):
    ws, ds = build_workspace(tmp_path / "fx", users=False)
    arms = build_arms(ws, ws.dataset(ds), None, policy=False, eval_frac=0.3, seed=1)
    held = {item["reference"] for item in arms.eval_items}
    assert held and arms.info["held_out_rows"] >= len(held)
    for arm in ("curated", "baseline"):
        assert not held & {c[-1]["content"] for c in arms.arms[arm]}


def test_the_policy_keeps_rewordings_in_the_curated_arm_unless_asked(tmp_path):
    """Rows 0-2 of the fixture ask one question (same answer): two wordings, one of them also as
    a re-cased copy; rows 7 and 8 are copies."""
    ws, ds = build_workspace(tmp_path / "fx", users=False)
    evals = tmp_path / "eval.jsonl"
    evals.write_text(json.dumps({"prompt": "Where do I find dark mode?", "reference": "Settings."}) + "\n")
    requests = [ex.user_request for ex in ws.examples(ds, [0, 1, 2])]
    kept = build_arms(ws, ws.dataset(ds), evals, policy=True)
    merged = build_arms(ws, ws.dataset(ds), evals, policy=True, merge_rewordings=True)

    def in_arm(arms):
        return sorted(t["content"] for c in arms.arms["curated"] for t in c if t["content"] in requests)

    assert in_arm(kept) == ["How can I reset my password?", "How do I reset my password?"]  # the copy merged
    assert len(in_arm(merged)) == 1
    assert len(kept.arms["curated"]) == len(kept.arms["baseline"]) - 2  # the re-cased copy and row 7's copy
