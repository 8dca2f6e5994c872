"""Where runs are recorded: a tiny protocol, and a JSON-file implementation.

The workspace database (``curation.store``) provides its own implementation of the same
``record`` method; ``run_comparison`` only ever calls ``record``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol

from training.checkpoint import write_json


class RunRegistry(Protocol):
    def record(
        self,
        run_id: str,
        config: dict[str, Any],
        data_hash: str,
        status: str,
        metrics: dict[str, Any],
        artifacts: dict[str, Any],
    ) -> None:
        """Create or update the run ``run_id`` (status: queued, running, done, failed)."""


class JsonRegistry:
    """All runs in one JSON object keyed by run id, rewritten atomically on each record."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def runs(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}

    def record(
        self,
        run_id: str,
        config: dict[str, Any],
        data_hash: str,
        status: str,
        metrics: dict[str, Any],
        artifacts: dict[str, Any],
    ) -> None:
        runs = self.runs()
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        old = runs.get(run_id, {"created": now})
        runs[run_id] = {
            **old,
            "config": config,
            "data_hash": data_hash,
            "status": status,
            "metrics": metrics,
            "artifacts": artifacts,
            "updated": now,
        }
        write_json(self.path, runs)
