"""Layers point one way: cli -> app -> training -> curation. The core imports none of the others;
nothing below the top-level ``cli`` imports it or starts the workbench."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "curation": {"streamlit", "training", "app", "cli"},
    "training": {"streamlit", "app", "cli"},
    "app": {"cli"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upper_layers(package):
    files = sorted((ROOT / package).rglob("*.py"))
    if package == "curation":
        assert files, "the core package is missing"
    bad = {str(f.relative_to(ROOT)): sorted(_imports(f) & FORBIDDEN[package]) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def test_core_import_does_not_load_torch_or_streamlit():
    import subprocess
    import sys

    code = (
        "import sys, curation.cli, curation.store, curation.formats, curation.curate, curation.export; "
        "print(sorted(m for m in ('torch', 'streamlit', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_only_the_top_level_cli_starts_the_workbench_and_composes_the_commands():
    """`curate app` (which runs app/main.py) lives in ``cli``; the core and training do not name
    the app's entry file, and the console script is the composed command line."""
    import tomllib

    for package in ("curation", "training"):
        for f in sorted((ROOT / package).rglob("*.py")):
            text = f.read_text(encoding="utf-8")
            assert '"main.py"' not in text and "app/main.py" not in text, f
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["curate"] == "cli.main:main"
    from cli.main import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert {"ingest", "scan", "explain", "train", "compare", "app", "base-model"} <= names
    assert {g.name for g in app.registered_groups} >= {"runs", "users", "decisions"}


def test_the_store_owns_all_sql():
    """Only the store modules (and the schema's migrations) talk to the database."""
    import re

    sql = re.compile(r"engine\.(connect|begin)\(|\.execute\(|\bsa\.(select|insert|update|delete|text)\(")
    owners = {"store.py", "store_auth.py", "store_decisions.py", "store_review.py", "migrations.py"}
    offenders = [
        str(f.relative_to(ROOT))
        for package in ("curation", "training", "app", "cli")
        for f in sorted((ROOT / package).rglob("*.py"))
        if not (f.parent.name == "curation" and f.name in owners) and sql.search(f.read_text(encoding="utf-8"))
    ]
    assert offenders == []
