"""Where runs are recorded: a tiny protocol, a JSON-file implementation, and the workspace's.

``run_comparison`` only ever calls ``record``. ``WorkspaceRegistry`` keeps runs in the
workspace database (``curation.store``), where ``curate runs list/show`` and the app read
them; ``kind`` tells a training (``train``) from a comparison (``compare``).
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


class WorkspaceRegistry:
    """The run registry in the workspace database (its ``runs`` table)."""

    def __init__(self, ws: Any, kind: str = "train") -> None:
        self.ws, self.kind = ws, kind

    def record(
        self,
        run_id: str,
        config: dict[str, Any],
        data_hash: str,
        status: str,
        metrics: dict[str, Any],
        artifacts: dict[str, Any],
    ) -> None:
        self.ws.record_run(run_id, config, data_hash, status, metrics, artifacts, kind=self.kind)


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
