"""`curate resolve`, `curate decisions`, `--dataset` and `curate compare --workspace`: a bad
resolutions file stores nothing and names file:line:field; a re-run records nothing twice;
several datasets need --dataset; comparisons train on the recorded decisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_app_fixture import build_workspace
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
GOOD = [
    {"action": "merge", "rows": [0, 1, 2], "keep_row": 0, "reason": "three copies of one question"},
    {"action": "pick", "rows": [3, 4], "keep_row": 3, "answer": "Notable Pro costs $12 per month."},
    {"action": "drop", "row": 12, "reason": "no content"},
    {
        "action": "add",
        "messages": [
            {"role": "user", "content": "Can I share a notebook?"},
            {"role": "assistant", "content": "Yes: open it and click Share."},
        ],
    },
]


def curate(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def ws(tmp_path):
    workspace, _ = build_workspace(tmp_path / "fx", users=True)
    return workspace.root


def write(path: Path, lines: list) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else json.dumps(x).encode()) + b"\n" for x in lines))
    return path


def export_bytes(ws: Path, out: Path) -> bytes:
    result = curate("export", out, "-w", ws)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


MALFORMED = {  # what replaces line 3 of an otherwise good file -> the field the error names
    "missing action": ({"rows": [5]}, "action"),
    "unknown action": ({"action": "delete", "rows": [5]}, "action"),
    "array line": (["drop", 5], "line"),
    "non-numeric row": ({"action": "drop", "rows": ["five"]}, "rows"),
    "non-numeric row (row)": ({"action": "drop", "row": "5"}, "row"),
    "out-of-range row": ({"action": "drop", "rows": [999999]}, "rows"),
    "negative row": ({"action": "drop", "rows": [-5]}, "rows"),
    "keep_row not in rows": ({"action": "pick", "rows": [3, 4], "keep_row": 9}, "keep_row"),
    "non-numeric keep_row": ({"action": "merge", "rows": [0, 1], "keep_row": "one"}, "keep_row"),
    "edit without payload": ({"action": "edit", "row": 5}, "answer"),
    "edit with a number": ({"action": "edit", "row": 5, "answer": 42}, "answer"),
    "add with role tool": ({"action": "add", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
    "add with string messages": ({"action": "add", "messages": "Q: hi A: hello"}, "messages"),
    "undo without target": ({"action": "undo"}, "undoes"),
    "undo of a missing decision": ({"action": "undo", "undoes": 4242}, "undoes"),
    "reason not text": ({"action": "drop", "rows": [5], "reason": ["x"]}, "reason"),
    "malformed JSON": (b'{"action": "drop", "rows": [5]', "json"),
    "undecodable bytes": ('{"action": "drop", "rows": [5], "reason": "caf\xe9"}'.encode("latin-1"), "text"),
}


@pytest.mark.parametrize("bad, field", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_line_stores_nothing_and_names_file_line_and_field(ws, tmp_path, bad, field):
    before = export_bytes(ws, tmp_path / "before.jsonl")
    path = write(tmp_path / "res.jsonl", [GOOD[0], GOOD[1], bad, GOOD[2]])
    result = curate("resolve", path, "-w", ws)
    assert result.exit_code == 2, result.output
    assert f"res.jsonl:3: field '{field}'" in result.output, result.output
    assert "Traceback" not in result.output and "nothing of this file was recorded" in result.output
    assert export_bytes(ws, tmp_path / "after.jsonl") == before


def test_every_bad_line_is_reported_with_its_own_line_number(ws, tmp_path):
    path = write(
        tmp_path / "res.jsonl", [GOOD[0], b"", {"action": "drop", "rows": [99]}, GOOD[1], {"action": "edit", "row": 5}]
    )
    result = curate("resolve", path, "-w", ws)
    errors = [x for x in result.output.splitlines() if x.startswith("error: ") and "res.jsonl:" in x]
    assert result.exit_code == 2 and [e.split(":")[2] for e in errors[:2]] == ["3", "5"], result.output


def test_resolving_a_file_twice_gives_the_same_export_as_once(ws, tmp_path):
    path = write(tmp_path / "res.jsonl", GOOD)
    assert "recorded 4 new" in curate("resolve", path, "-w", ws).output
    once = export_bytes(ws, tmp_path / "once.jsonl")
    again = curate("resolve", path, "-w", ws)
    assert (
        again.exit_code == 0 and "recorded 0 new" in again.output and "4 line(s) were recorded before" in again.output
    )
    assert export_bytes(ws, tmp_path / "twice.jsonl") == once
    manifest = json.loads((tmp_path / "twice.jsonl.manifest.json").read_text())
    assert manifest["by_status"]["added"] == 1
    fixed = write(tmp_path / "res.jsonl", [*GOOD, {"action": "drop", "row": 13}])  # one line more
    assert "recorded 1 new" in curate("resolve", fixed, "-w", ws).output


def test_the_demo_resolutions_twice_add_113_examples_not_226(tmp_path):
    ws = tmp_path / "ws"
    assert curate("ingest", DEMO / "train.jsonl", "-w", ws).exit_code == 0
    for _ in range(2):
        assert curate("resolve", DEMO / "resolutions.jsonl", "-w", ws).exit_code == 0
    result = curate("export", tmp_path / "out.jsonl", "-w", ws)
    assert result.exit_code == 0 and "added 113" in result.output


def test_two_datasets_need_dataset_and_the_error_names_them(ws, tmp_path):
    other = tmp_path / "general.jsonl"
    write(
        other, [{"prompt": "What is 2 + 2?", "response": "4."}, {"prompt": "Capital of France?", "response": "Paris."}]
    )
    assert curate("ingest", other, "-w", ws).exit_code == 0
    res = write(tmp_path / "res.jsonl", GOOD)
    for cmd in (["findings"], ["resolve", res], ["export", tmp_path / "o.jsonl"], ["decisions", "list"]):
        result = curate(*cmd, "-w", ws)
        assert result.exit_code == 2, (cmd, result.output)
        assert "choose one with --dataset" in result.output and "train (id 1)" in result.output
        assert "general (id 3)" in result.output
    assert not (tmp_path / "o.jsonl").exists()
    ok = curate("resolve", res, "-w", ws, "--dataset", "train")
    assert ok.exit_code == 0 and "on train" in ok.output
    assert curate("export", tmp_path / "g.jsonl", "-w", ws, "--dataset", "general").exit_code == 0
    assert len((tmp_path / "g.jsonl").read_text().splitlines()) == 2


def test_decisions_list_and_retract(ws, tmp_path):
    curate("resolve", write(tmp_path / "res.jsonl", GOOD), "-w", ws)
    listed = curate("decisions", "list", "-w", ws, "--json")
    rows = [json.loads(x) for x in listed.output.splitlines()]
    drop = next(r for r in rows if r["action"] == "drop")
    assert drop["actor"] == "expert" and drop["withdrawn_by"] is None and drop["key"].startswith("line:")
    annotator = curate("decisions", "retract", drop["id"], "--reason", "it has content", "-w", ws, "--as", "ann")
    assert annotator.exit_code == 2 and "only a curator or admin" in annotator.output
    done = curate("decisions", "retract", drop["id"], "--reason", "it has content", "-w", ws, "--as", "cora")
    assert done.exit_code == 0 and f"retracted decision {drop['id']} (drop by expert)" in done.output
    table = curate("decisions", "list", "-w", ws, "--row", "12").output
    assert "retracted by cora" in table and "withdraws" in table
    again = curate("decisions", "retract", drop["id"], "--reason", "twice", "-w", ws, "--as", "cora")
    assert again.exit_code == 2 and "already withdrawn" in again.output
    export_bytes(ws, tmp_path / "x.jsonl")
    changed = {c["row"] for c in json.loads((tmp_path / "x.jsonl.manifest.json").read_text())["changes"]}
    assert 12 not in changed and 1 in changed
    live = [json.loads(x) for x in curate("decisions", "list", "-w", ws, "--json", "--live").output.splitlines()]
    assert drop["id"] not in [r["id"] for r in live] and len(live) == 3


def test_compare_trains_the_curated_arm_on_the_recorded_decisions(ws, tmp_path, monkeypatch):
    import training.compare

    seen = {}

    def fake(arms, eval_items, config, out_dir, progress=None, registry=None, general_items=None, data_info=None, **kw):
        seen.update(arms=arms, n_eval=len(eval_items), info=data_info)
        return {
            "primary_metric": "ref_nll",
            "difference": 0.1,
            "ci95_low": 0.0,
            "ci95_high": 0.2,
            "p_value": 0.5,
            "verdict": "fake",
            "arms": {},
            "training": {},
        }

    monkeypatch.setattr(training.compare, "run_comparison", fake)
    curate("resolve", write(tmp_path / "res.jsonl", GOOD), "-w", ws)
    evals = write(tmp_path / "eval.jsonl", [{"prompt": "How much is Pro?", "reference": "$12 per month."}])
    result = curate(
        "compare",
        "--workspace",
        ws,
        "--dataset",
        "train",
        "--eval",
        evals,
        "--out",
        tmp_path / "cmp",
        "--policy",
        "none",
    )
    assert result.exit_code == 0, result.output
    curated = [c[-1]["content"] for c in seen["arms"]["curated"]]
    assert "ok" not in curated and len(seen["arms"]["baseline"]) == 14  # row 12 ("ok") was dropped
    assert "Notable Pro costs $12 per month." in curated and "Notable Pro is $15 per month." not in curated
    assert len(curated) == 14 - 2 - 1 - 1 + 1
    assert seen["info"]["rows_set_by_recorded"] == 6 and seen["info"]["rows_set_by_policy"] == 0
    auto = curate("compare", "--workspace", ws, "--dataset", "train", "--eval", evals, "--out", tmp_path / "cmp2")
    assert auto.exit_code == 0, auto.output
    # the policy fills in only the findings none of whose rows a reviewer decided: it merges the
    # dark-mode copies (7, 8) and leaves the device-limit contradiction (5, 6) open, both rows kept
    # (one row each side: no decisive evidence); not the leakage or quality findings
    assert seen["info"]["rows_set_by_policy"] == 2 and seen["info"]["policy_findings"] == 1
    assert seen["info"]["policy_resolved"]["contradictions_left_open"] >= 1
    assert "the policy 2" in auto.output


def test_compare_refuses_a_bad_eval_file_with_its_line(ws, tmp_path):
    bad = write(tmp_path / "eval.jsonl", [{"prompt": "x", "reference": "y"}, {"prompt": "no reference"}])
    result = curate("compare", "--workspace", ws, "--dataset", "train", "--eval", bad, "--out", tmp_path / "c")
    assert result.exit_code == 2 and "eval.jsonl:2" in result.output and "reference" in result.output
