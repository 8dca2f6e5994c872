"""Shared fixtures: small realistic datasets in every supported format, a temp workspace."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SUPPORT_QA = [
    ("How do I reset my password?", "Open Settings > Account and choose Reset password; we email you a link."),
    ("Can I export my notes to PDF?", "Yes. Open the note, click Share, then Export as PDF."),
    ("What does the Pro plan cost?", "The Pro plan costs $12 per month, billed monthly."),
    ("Is there a dark mode?", "Yes, switch it on under Settings > Appearance > Theme."),
    ("How many devices can I sync?", "Free accounts sync two devices; Pro syncs unlimited devices."),
    ("Where do deleted notes go?", "Deleted notes stay in Trash for 30 days before they are removed."),
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def qa_pairs() -> list[tuple[str, str]]:
    return list(SUPPORT_QA)


@pytest.fixture
def alpaca_file(tmp_path: Path) -> Path:
    recs = [{"instruction": q, "input": "", "output": a} for q, a in SUPPORT_QA]
    recs.append(
        {
            "instruction": "Summarize the ticket.",
            "input": "App crashes when I paste images.",
            "output": "The app crashes when pasting images.",
        }
    )
    return write_jsonl(tmp_path / "alpaca.jsonl", recs)


@pytest.fixture
def messages_file(tmp_path: Path) -> Path:
    recs = [
        {
            "id": f"m{i}",
            "messages": [
                {"role": "system", "content": "You are a support assistant."},
                {"role": "user", "content": q},
                {"role": "assistant", "content": a},
            ],
        }
        for i, (q, a) in enumerate(SUPPORT_QA)
    ]
    recs.append(
        {
            "id": "m-multi",
            "messages": [
                {"role": "user", "content": "My sync stopped."},
                {"role": "assistant", "content": "Which device?"},
                {"role": "user", "content": "My phone."},
                {"role": "assistant", "content": "Sign out and back in."},
            ],
        }
    )
    return write_jsonl(tmp_path / "messages.jsonl", recs)


@pytest.fixture
def workspace(tmp_path: Path):
    from curation.store import Workspace

    return Workspace(tmp_path / "ws")


@pytest.fixture(scope="session")
def demo_scan_findings(tmp_path_factory) -> list[dict]:
    """The findings of `curate scan` on the demo (with its coverage reference), run once in a
    fresh process for every slow test that reads them."""
    import subprocess
    import sys

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    tmp = tmp_path_factory.mktemp("demo-scan")
    out = tmp / "findings.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "scan",
            str(demo / "train.jsonl"),
            "--reference",
            str(demo / "reference.jsonl"),
            "--findings-out",
            str(out),
            "--workspace",
            str(tmp / "ws"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
