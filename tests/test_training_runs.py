"""`curate runs list/show`: `curate train` and `curate compare` both record their runs in the
workspace registry (config, data hashes, metrics, adapter paths); `curate base-model`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training.arms import Arms
from cli.main import app
from training.config import RunConfig
from training.tiny import tiny_model, tiny_tokenizer

runner = CliRunner()


def qa(q: str, a: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]


ARMS = {
    "curated": [qa(f"What is {i} plus {i}?", f"It is {2 * i}.") for i in range(12)],
    "baseline": [qa(f"What is {i} plus {i}?", f"It is {2 * i}.") for i in range(12)]
    + [qa(f"What is {i} plus {i}?", f"Maybe {2 * i + 1}.") for i in range(12)],
}
EVAL = [
    {
        "id": f"e{i}",
        "messages": [{"role": "user", "content": f"Add {i} and {i} for me."}],
        "reference": f"It is {2 * i}.",
    }
    for i in range(40, 46)
]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    tok = tiny_tokenizer()
    folder = tmp_path / "tiny-llama"
    tiny_model(len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    cfg = tmp_path / "run.toml"
    RunConfig(
        base_model=str(folder),
        max_steps=2,
        batch_size=4,
        device="cpu",
        precision="fp32",
        lora_r=4,
        lora_alpha=8,
        max_new_tokens=4,
        gen_batch_size=6,
        n_bootstrap=200,
        checkpoint_every=10,
    ).save(cfg)
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"messages": c}) + "\n" for c in ARMS["curated"]))
    info = {
        "dataset": "demo",
        "dataset_sha256": "0" * 64,
        "n_source": 24,
        "held_out_rows": 0,
        "n_curated": 12,
        "n_baseline": 24,
        "recorded_decisions": 1,
        "rows_set_by_recorded": 12,
        "policy": "none",
        "policy_findings": 0,
        "rows_set_by_policy": 0,
        "eval_source": "test",
        "unapplied_decisions": [],
    }
    monkeypatch.setattr(
        "training.cli.demo_workspace_arms",
        lambda ws_dir, seed=0: Arms({k: list(v) for k, v in ARMS.items()}, list(EVAL), [], info),
    )
    monkeypatch.setattr("training.compare.default_encoder", lambda: None)
    return tmp_path, cfg, data


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_list_shows_runs_from_both_train_and_compare(setup):
    tmp, cfg, data = setup
    ws = str(tmp / "ws")
    invoke("train", str(cfg), "--data", str(data), "--out", str(tmp / "train-run"), "-w", ws)
    invoke("compare", "--config", str(cfg), "--out", str(tmp / "cmp"), "-w", ws)
    listing = invoke("runs", "list", "-w", ws)
    lines = listing.splitlines()[1:]
    kinds = [line.split()[1] for line in lines]
    assert kinds.count("compare") == 1 and kinds.count("train") == 4  # train + 3 arms
    assert all(line.split()[2] == "done" for line in lines)
    runs = [json.loads(x) for x in invoke("runs", "list", "--json", "-w", ws).splitlines()]
    by_kind = {}
    for r in runs:
        by_kind.setdefault(r["kind"], []).append(r)
    (cmp,) = by_kind["compare"]
    assert cmp["metrics"]["difference"] == pytest.approx(
        json.loads((tmp / "cmp" / "report.json").read_text())["difference"]
    )
    assert set(cmp["config"]["arms"]) == {"curated", "baseline"} and cmp["data_hash"]
    assert (tmp / "cmp" / "report.json").samefile(cmp["artifacts"]["report"])
    trained = [r for r in by_kind["train"] if r["id"].startswith("train-")]
    (own,) = trained
    shown = json.loads(invoke("runs", "show", own["id"], "-w", ws))
    assert shown["config"]["data_path"] == str(data.resolve())
    assert shown["data_hash"] == shown["metrics"]["data_hash"]
    assert shown["metrics"]["steps"] == 2 and "final_loss" in shown["metrics"]
    assert (tmp / "train-run" / "adapter").samefile(shown["artifacts"]["adapter"])
    for arm in ("curated", "baseline", "random"):
        adapter = Path(cmp["artifacts"][f"adapter_{arm}"])
        card = json.loads((adapter / "provenance.json").read_text())
        assert card["evaluation"]["n_eval_items"] == len(EVAL)  # the comparison's figures


def test_runs_show_unknown_id_fails_with_one_line(setup):
    tmp, _, _ = setup
    result = runner.invoke(app, ["runs", "show", "nope", "-w", str(tmp / "ws")])
    assert result.exit_code == 2 and "no run 'nope'" in result.output


def test_a_failed_training_is_recorded_as_failed(setup):
    tmp, cfg, data = setup
    bad = tmp / "bad.toml"
    RunConfig.load(cfg).with_(base_model=str(tmp / "missing")).save(bad)
    result = runner.invoke(
        app, ["train", str(bad), "--data", str(data), "--out", str(tmp / "r"), "-w", str(tmp / "ws")]
    )
    assert result.exit_code != 0
    (run,) = [json.loads(x) for x in invoke("runs", "list", "--json", "-w", str(tmp / "ws")).splitlines()]
    assert run["status"] == "failed" and run["metrics"]["error"]


def test_train_options_override_the_config(setup):
    tmp, cfg, data = setup
    result = runner.invoke(
        app,
        [
            "train",
            str(cfg),
            "--data",
            str(data),
            "--report-to",
            "neptune",
            "--out",
            str(tmp / "r"),
            "-w",
            str(tmp / "ws"),
        ],
    )
    assert result.exit_code == 2 and "report_to must be none, mlflow or wandb" in result.output
