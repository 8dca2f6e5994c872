"""The `curate` command line: one-line located errors, non-zero exit, nothing half-imported."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def curate(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def _counts(ws: Path) -> tuple[int, int]:
    with sqlite3.connect(ws / "workspace.db") as conn:
        return (
            conn.execute("SELECT COUNT(*) FROM datasets").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0],
        )


def test_every_command_has_help():
    for cmd in (
        [],
        ["ingest"],
        ["scan"],
        ["findings"],
        ["resolve"],
        ["export"],
        ["demo"],
        ["app"],
        ["users", "add"],
        ["users", "list"],
    ):
        result = curate(*cmd, "--help")
        assert result.exit_code == 0, (cmd, result.output)
        assert "Usage" in result.output


def test_ingest_reports_counts_and_is_idempotent(tmp_path, alpaca_file):
    ws = tmp_path / "ws"
    first = curate("ingest", alpaca_file, "-w", ws)
    assert first.exit_code == 0 and "ingested alpaca" in first.output and "7 examples" in first.output
    second = curate("ingest", alpaca_file, "-w", ws)
    assert second.exit_code == 0 and "already in workspace" in second.output
    assert _counts(ws) == (1, 7)


def test_scan_settings_naming_a_missing_judge_model_fail_before_scanning(tmp_path, alpaca_file):
    for section, field in (("duplicates.semantic", "paraphrase_judge_model"), ("contradiction", "judge_model")):
        cfg = tmp_path / "scan.toml"
        cfg.write_text(f'[{section}]\n{field} = "{tmp_path / "no-such-model"}"\n')
        result = curate(
            "scan", alpaca_file, "--findings-out", tmp_path / "f.jsonl", "-w", tmp_path / "ws", "--config", cfg
        )
        assert result.exit_code == 2, result.output
        assert "scan.toml: invalid scan settings" in result.output and f"{section}.{field}" in result.output
        assert "does not exist" in result.output and not (tmp_path / "f.jsonl").exists()


BAD = {
    "malformed": (b'{"prompt": "a", "response": "b"}\n{"prompt": \n', "bad.jsonl:2: malformed JSON"),
    "missing_field": (
        b'{"prompt": "a", "response": "b"}\n{"prompt": "c", "completion": null}\n',
        "bad.jsonl:2: missing required field (line 2, field 'completion')",
    ),
    "wrong_type": (
        b'{"prompt": "a", "response": "b"}\n{"prompt": ["c"], "response": "d"}\n',
        "bad.jsonl:2: expected text, got list (line 2, field 'prompt')",
    ),
    "empty": (b"", "bad.jsonl: empty file"),
    "undecodable": (
        b'{"prompt": "a", "response": "b"}\n{"prompt": "\xff", "response": "d"}\n',
        "bad.jsonl:2: bytes that are not UTF-8",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_line_error_and_workspace_unchanged(tmp_path, alpaca_file, case):
    ws = tmp_path / "ws"
    assert curate("ingest", alpaca_file, "-w", ws).exit_code == 0
    content, expected = BAD[case]
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(bad), "-w", str(ws)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert _counts(ws) == (1, 7)


def test_ragged_csv_names_the_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("instruction,input,output\nq1,,a1\nq2,,a2,extra\n", encoding="utf-8")
    result = curate("ingest", bad, "-w", tmp_path / "ws")
    assert result.exit_code == 2
    assert "bad.csv:3: ragged row" in result.output


def test_skip_bad_imports_good_rows_and_lists_skipped(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "response": "b"}\n{oops\n{"prompt": "c", "response": "d"}\n', encoding="utf-8")
    result = curate("ingest", data, "-w", tmp_path / "ws", "--skip-bad")
    assert result.exit_code == 0
    assert "skipped: " in result.output and "d.jsonl:2" in result.output and "1 bad rows skipped" in result.output
    assert _counts(tmp_path / "ws") == (1, 2)


def test_format_and_mapping_options(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"q": "How do I log out?", "a": "Click your avatar, then Sign out."}) + "\n")
    assert curate("ingest", data, "-w", tmp_path / "ws").exit_code == 2
    ok = curate(
        "ingest", data, "-w", tmp_path / "ws", "--format", "alpaca", "--map", "instruction=q", "--map", "output=a"
    )
    assert ok.exit_code == 0, ok.output


def test_resolve_and_export_from_the_command_line(tmp_path, alpaca_file):
    ws = tmp_path / "ws"
    curate("ingest", alpaca_file, "-w", ws)
    res = tmp_path / "res.jsonl"
    res.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"action": "pick", "rows": [2, 3], "keep_row": 2, "reason": "current price"},
                {
                    "action": "add",
                    "messages": [
                        {"role": "user", "content": "Puis-je payer en euros ?"},
                        {"role": "assistant", "content": "Oui, en euros."},
                    ],
                    "reason": "gap: fr",
                },
            ]
        )
        + "\n"
    )
    assert curate("resolve", res, "-w", ws, "--actor", "dana").exit_code == 0
    out = tmp_path / "curated.jsonl"
    result = curate("export", out, "-w", ws)
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 7  # provenance lives in the manifest, not in the rows
    assert rows[-1] == {"instruction": "Puis-je payer en euros ?", "input": "", "output": "Oui, en euros."}
    manifest = json.loads(Path(f"{out}.manifest.json").read_text())
    assert manifest["reviewers"] == ["dana"] and manifest["by_status"]["dropped"] == 1


SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "contract" / "sample"


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/contract/sample is not in a fresh clone")
def test_scan_contract_on_every_sample_file(tmp_path):
    """`curate scan` on the public development files (alpaca, messages, dolly-style, prompt-only)
    exits 0 and writes one valid finding per line."""
    from curation.schema import Finding

    for name in ("dups", "paraphrase", "contra", "coverage_train"):
        out = tmp_path / f"{name}.findings.jsonl"
        args = [
            sys.executable,
            "-m",
            "cli",
            "scan",
            str(SAMPLE / f"{name}.jsonl"),
            "--findings-out",
            str(out),
            "--workspace",
            str(tmp_path / "ws"),
        ]
        if name == "coverage_train":
            args += ["--reference", str(SAMPLE / "coverage_ref.jsonl")]
        proc = subprocess.run(args, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        n_rows = len((SAMPLE / f"{name}.jsonl").read_text().splitlines())
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines, name
        for line in lines:
            f = json.loads(line)
            assert {"finding_id", "kind", "rows", "score", "detector", "reason"} <= set(f)
            assert 0 <= f["score"] <= 1 and f["reason"]
            assert all(0 <= r < n_rows for r in f["rows"])
            if f["kind"] in ("duplicate", "contradiction"):  # the contract requires the deciding rule ids
                ids = [r["id"] for r in f["evidence"]["rules"]]
                assert ids and all(i.count(".") == 1 for i in ids), f
            Finding.from_json(f)
