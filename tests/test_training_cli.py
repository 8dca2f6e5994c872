"""`curate train` / `curate compare` glue: arms built from curation's pure functions, a
local model folder as base, eval files validated with located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curation.formats import DataError
from cli.main import app
from training.cli import demo_workspace_arms, read_eval_items

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_demo_arms_apply_the_expert_resolutions(tmp_path):
    built = demo_workspace_arms(tmp_path / "ws")
    arms, items, general = built.arms, built.eval_items, built.general_items
    assert built.info["rows_set_by_policy"] == 0 and built.info["unapplied_decisions"] == []
    again = demo_workspace_arms(tmp_path / "ws")  # the resolutions are recorded once
    assert again.arms == arms and again.info["recorded_decisions"] == built.info["recorded_decisions"]
    res = [json.loads(x) for x in (DEMO / "resolutions.jsonl").read_text().splitlines() if x.strip()]
    added = sum(1 for r in res if r["action"] == "add")
    assert len(arms["baseline"]) == len((DEMO / "train.jsonl").read_text().splitlines())
    assert len(arms["curated"]) < len(arms["baseline"]) + added
    assert sum(1 for c in arms["curated"] if c[-1]["role"] == "assistant") == len(arms["curated"])
    assert items and all(i["reference"] and i["messages"] for i in items)
    assert general
    facts = json.loads((DEMO / "facts.json").read_text())["facts"]
    outdated = [v for f in facts if f.get("outdated_check_values") for v in f["outdated_check_values"]]

    def mentions(arm: str) -> int:
        return sum(any(v in c[-1]["content"] for v in outdated) for c in arms[arm])

    assert outdated and mentions("curated") < mentions("baseline") / 3


@pytest.mark.parametrize(
    "second,expected",
    [
        (
            '{"prompt": "x"}',
            "eval.jsonl:2: an eval item needs a text reference answer (line 2, field 'reference')",
        ),
        ('{"prompt": "x", "reference": ', "eval.jsonl:2: malformed JSON"),
        ('{"reference": "y"}', "eval.jsonl:2: an eval item needs 'messages' or 'prompt'"),
    ],
)
def test_eval_file_errors_name_file_line_and_field(tmp_path, second, expected):
    bad = tmp_path / "eval.jsonl"
    bad.write_text('{"prompt": "How much is Pro?", "reference": "$14 per month"}\n' + second + "\n")
    with pytest.raises(DataError) as info:
        read_eval_items(bad)
    assert expected in str(info.value)
    good = tmp_path / "good.jsonl"
    good.write_text('{"prompt": "How much is Pro?", "reference": "$14 per month"}\n')
    assert read_eval_items(good)[0]["messages"] == [{"role": "user", "content": "How much is Pro?"}]


def test_train_command_on_a_local_model_folder(tmp_path):
    from training.config import RunConfig
    from training.tiny import tiny_model, tiny_tokenizer

    tok = tiny_tokenizer()
    folder = tmp_path / "tiny-llama"
    tiny_model(len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    data = tmp_path / "train.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"Price of plan {i}?"},
                        {"role": "assistant", "content": f"${i} per month."},
                    ]
                }
            )
            + "\n"
            for i in range(12)
        )
    )
    cfg = tmp_path / "run.json"
    RunConfig(
        base_model=str(folder),
        max_steps=3,
        batch_size=4,
        checkpoint_every=2,
        device="cpu",
        precision="fp32",
    ).save(cfg)
    result = runner.invoke(app, ["train", str(cfg), "--data", str(data), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "adapter in" in result.output
    assert list((tmp_path / "run").rglob("adapter_config.json"))


def test_comparing_from_a_reviewed_workspace_trains_on_the_demo_comparisons_arms(tmp_path):
    """`curate resolve data/demo/resolutions.jsonl` then `curate compare --workspace --dataset
    --policy none` builds exactly the arms of the demo comparison (so the same trainings)."""
    from curation.cli import app as core
    from curation.store import Workspace
    from training.arms import build_arms

    ws = tmp_path / "ws"
    assert runner.invoke(core, ["ingest", str(DEMO / "train.jsonl"), "-w", str(ws)]).exit_code == 0
    assert runner.invoke(core, ["resolve", str(DEMO / "resolutions.jsonl"), "-w", str(ws)]).exit_code == 0
    w = Workspace(ws)
    reviewed = build_arms(w, w.dataset("train"), DEMO / "eval.jsonl", DEMO / "general.jsonl", policy=False)
    demo = demo_workspace_arms(tmp_path / "demo-ws")
    assert reviewed.arms == demo.arms and len(reviewed.arms["curated"]) == 965
    assert [i["id"] for i in reviewed.eval_items] == [i["id"] for i in demo.eval_items]


def test_merge_rewordings_needs_the_no_review_policy(tmp_path):
    res = runner.invoke(app, ["compare", "--out", str(tmp_path / "o"), "--policy", "none", "--merge-rewordings"])
    assert res.exit_code == 2 and "--policy auto" in res.output
    assert not (tmp_path / "o").exists()
