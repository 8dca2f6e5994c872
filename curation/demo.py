"""Where the built-in demo dataset is: ``data/demo`` in a source checkout, else where an
installed wheel put it. The command line, training's demo comparison and the app read it."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path


def demo_dir() -> Path:
    """The built-in demo dataset: ``data/demo`` in a source checkout, else where an installed
    wheel put it (``<prefix>/share/curation-workbench/demo``; see pyproject's data-files)."""
    checkout = Path(__file__).resolve().parents[1] / "data" / "demo"
    if (checkout / "train.jsonl").exists():
        return checkout
    for prefix in dict.fromkeys((sys.prefix, sysconfig.get_path("data"))):
        installed = Path(prefix) / "share" / "curation-workbench" / "demo"
        if (installed / "train.jsonl").exists():
            return installed
    return checkout


DEMO_DIR = demo_dir()
