"""Compare models: reading training's comparison output, and launching a comparison job."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_fixture import build_workspace, session_for, team_app

from app.lib import comparison, jobs

APP = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
EVAL = [
    {
        "id": "eval-001",
        "messages": [{"role": "user", "content": "How much is Pro per month?"}],
        "reference": "$12 per month.",
        "category": "fact",
    },
    {
        "id": "eval-002",
        "messages": [{"role": "user", "content": "Can I share a notebook?"}],
        "reference": "Yes, with Share.",
        "category": "howto",
    },
]


def write_training_output(folder: Path, with_eval: bool = True) -> Path:
    """The files training.compare.run_comparison writes (report.json, eval_rows.jsonl, cache)."""
    folder.mkdir(parents=True, exist_ok=True)
    arms = {
        arm: {"check_pass": acc, "token_f1": 0.3, "n": 2, "by_category": {"fact": {"n": 1}}}
        for arm, acc in (("base", 0.1), ("baseline", 0.4), ("curated", 0.7), ("random", 0.35))
    }
    (folder / "report.json").write_text(
        json.dumps(
            {
                "primary_metric": "check_pass",
                "difference": 0.3,
                "ci95_low": 0.1,
                "ci95_high": 0.5,
                "p_value": 0.03,
                "verdict": "curated better than baseline (95% CI above zero)",
                "arms": arms,
            }
        )
    )
    rows = [
        {
            "arm": arm,
            "id": e["id"],
            "category": e["category"],
            "answer": f"{arm}: answer to {e['id']}",
            "check_pass": 1.0,
        }
        for arm in arms
        for e in EVAL
    ]
    (folder / "eval_rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "generations.jsonl").write_text(json.dumps({"key": "ab12", "answer": "cached"}) + "\n")
    if with_eval:
        (folder / "eval.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVAL))
    return folder


@pytest.mark.parametrize("with_eval", [True, False], ids=["prompts-from-eval-set", "no-prompt-text"])
def test_reads_what_training_writes(tmp_path, with_eval):
    cmp = comparison.load(write_training_output(tmp_path / "compare-1", with_eval))
    assert cmp.arms == ["base", "baseline", "curated", "random"]
    assert cmp.metrics["curated"] == {"check_pass": 0.7, "token_f1": 0.3, "n": 2}  # nested tables left out
    assert [p["id"] for p in cmp.prompts] == ["eval-001", "eval-002"]
    assert cmp.prompts[0]["answers"]["curated"] == "curated: answer to eval-001"
    assert cmp.prompts[0]["prompt"] == ("How much is Pro per month?" if with_eval else "")
    assert cmp.headline["verdict"].startswith("curated better") and cmp.headline["difference"] == 0.3


def test_reads_a_minimal_hand_made_comparison(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps({"arms": ["a", "b"], "prompts": [{"id": "p1", "prompt": "Hi?"}]}))
    (folder / "generations.jsonl").write_text(
        "".join(json.dumps({"prompt_id": "p1", "arm": arm, "output": f"{arm} says hi"}) + "\n" for arm in "ab")
    )
    cmp = comparison.load(folder)
    assert cmp.arms == ["a", "b"] and cmp.prompts == [
        {
            "id": "p1",
            "prompt": "Hi?",
            "reference": None,
            "answers": {"a": "a says hi", "b": "b says hi"},
            "category": None,
        }
    ]


def test_a_curator_launches_a_comparison_in_the_background(tmp_path, monkeypatch):
    ws, ds = build_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.setenv("CURATE_TEAM_MODE", "1")
    eval_path = ws.root / "eval.jsonl"
    eval_path.write_text("".join(json.dumps(e) + "\n" for e in EVAL))
    calls = {}

    def fake_run_comparison(
        arms, eval_items, config, out_dir, progress=None, registry=None, general_items=None, data_info=None
    ):
        calls.update(
            arms={k: len(v) for k, v in arms.items()},
            n_eval=len(eval_items),
            preset=config.preset,
            policy_rows=data_info["rows_set_by_policy"],
            design=(config.seeds, config.match, config.primary_metric),
        )
        progress({"stage": "train curated", "fraction": 0.5})
        registry.record("curated-abc", {"lora_r": 16}, "h", "done", {"loss": 1.0}, {"adapter": "x"})
        assert (Path(out_dir) / "eval.jsonl").is_file()
        write_training_output(Path(out_dir), with_eval=False)
        return {"verdict": "curated better than baseline (95% CI above zero)", "difference": 0.3}

    monkeypatch.setitem(sys.modules, "training.compare", types.SimpleNamespace(run_comparison=fake_run_comparison))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["session_token"] = session_for(ws, "cora")
    at.run()
    at.switch_page("views/compare.py").run()
    assert any("No comparison yet" in i.value for i in at.info)
    at.text_input(key="launch_eval").input(str(eval_path))
    # the design `curate compare` takes as --seeds/--match/--primary-metric, one config for both
    at.number_input(key="launch_seeds").set_value(2)
    at.selectbox(key="launch_match").select("epochs")
    at.selectbox(key="launch_primary").select("check_pass")
    at.button(key="launch_start").click().run()
    jobs.wait(f"compare:{ws.root}:{ds}", 10)
    (run,) = ws.runs(kind="compare")
    assert run["status"] == "done", run["metrics"]
    # nobody decided anything: the no-review policy merges the copies (row 1 is row 0 re-cased,
    # row 8 is row 7: 2 rows dropped), keeps the rewording (row 2), and keeps both sides of
    # both contradictions (one row each: no decisive evidence)
    assert calls == {
        "arms": {"curated": 12, "baseline": 14},
        "n_eval": 2,
        "preset": "quick",
        "policy_rows": 4,
        "design": (2, "epochs", "check_pass"),
    }
    assert {k: run["config"][k] for k in ("seeds", "match", "primary_metric", "merge_rewordings")} == {
        "seeds": 2,
        "match": "epochs",
        "primary_metric": "check_pass",
        "merge_rewordings": False,
    }
    assert [r["id"] for r in ws.runs(kind="train")] == ["curated-abc"]
    at.run()
    assert at.selectbox(key="cmp_folder").value.name.startswith("compare-")
    assert {m.label for m in at.metric} >= {"95% CI", "sign test p"}
    assert any("How much is Pro per month" in h.value for h in at.html)  # prompt text from the copied eval set


def test_an_annotator_cannot_launch(tmp_path, monkeypatch):
    ws, _ = build_workspace(tmp_path)
    at = team_app(ws, monkeypatch, "ann")
    at.run()
    at.switch_page("views/compare.py").run()
    assert not [b for b in at.button if b.key == "launch_start"]
