"""A built wheel installed outside the checkout: `curate demo` finds the demo data it ships.

Slow (builds a wheel and scans the demo with the bundled MiniLM, ~1-2 minutes). The new
environment gets the project's dependencies from the current one through a .pth file and
the project itself only from the wheel (no editable path back into the checkout).
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_an_installed_wheel_runs_the_demo_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    # without setuptools here, pip builds in an isolated environment (from the package index)
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", *isolation, "-q", "-w", str(wheels)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "cli/main.py" in names and "curation/detectors/request_form.json" in names
    assert {n.rsplit("/", 1)[1] for n in names if "/share/curation-workbench/demo/" in n} >= {
        "train.jsonl",
        "reference.jsonl",
        "eval.jsonl",
        "resolutions.jsonl",
    }
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    target = subprocess.run(
        [str(py), "-c", "import site; print(site.getsitepackages()[0])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    (Path(target) / "zz_project_deps.pth").write_text(site.getsitepackages()[0] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import curation; from curation.demo import DEMO_DIR; print(curation.__file__); print(DEMO_DIR)",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert where[0].startswith(str(env_dir)) and where[1].startswith(str(env_dir)), where
    done = subprocess.run(
        [str(env_dir / "bin" / "curate"), "demo", "--workspace", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "contradiction" in done.stdout and "duplicate" in done.stdout
