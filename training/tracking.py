"""Experiment tracking: a run's config, loss curve, metrics and adapter to MLflow or W&B.

``report_to`` (a ``RunConfig`` field, ``--report-to`` on the commands) picks the tracker:

- ``mlflow``: ``MLFLOW_TRACKING_URI`` when set (a server, ``sqlite:///...``), else a local
  file store ``<workspace>/mlruns`` (``./mlruns`` outside a command) that works offline and
  ``mlflow ui --backend-store-uri`` reads. MLflow 3 refuses file stores unless
  ``MLFLOW_ALLOW_FILE_STORE=true``; that opt-out is set only for a ``file:`` URI.
- ``wandb``: offline mode unless ``WANDB_MODE`` says otherwise, files under the workspace;
  ``wandb sync`` uploads them later. Project ``$WANDB_PROJECT`` or ``curation-workbench``.
- ``none`` (default): nothing, and neither package is imported.

A comparison opens a parent run (``session``) and each arm's training becomes a child of it
(an MLflow nested run; a W&B run in the parent's group). The trainer remembers its tracker
run id in ``tracking.json`` in the run folder, so a resumed training continues the same run.
Metrics are buffered and written at most every 2 seconds, so tracking never slows a GPU step.

Not handled: MLflow's model registry, W&B artifacts (the adapter goes to MLflow only).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

EXPERIMENT = "curation-workbench"
FLUSH_S = 2.0
_context: ContextVar[dict[str, Any] | None] = ContextVar("tracking", default=None)


class Run(Protocol):
    kind: str
    id: str

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None: ...

    def log_artifacts(self, folder: str | Path, name: str) -> None: ...

    def finish(self, status: str = "done") -> None: ...


class NullRun:
    """``report_to = none``: every call does nothing."""

    kind, id = "none", ""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass

    def log_artifacts(self, folder: str | Path, name: str) -> None:
        pass

    def finish(self, status: str = "done") -> None:
        pass


class MlflowRun:
    kind = "mlflow"

    def __init__(
        self,
        uri: str,
        name: str,
        params: dict[str, Any],
        tags: dict[str, str],
        parent: MlflowRun | None = None,
        run_id: str | None = None,
    ) -> None:
        if uri.startswith("file:"):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        self.uri = uri
        self.client = MlflowClient(uri)
        self._buffer: list[Any] = []
        self._flushed = time.monotonic()
        if run_id is not None and self._exists(run_id):
            self.id = run_id
            self.client.update_run(run_id, status="RUNNING")
            return
        name_exp = os.environ.get("MLFLOW_EXPERIMENT_NAME", EXPERIMENT)
        exp = self.client.get_experiment_by_name(name_exp)
        exp_id = exp.experiment_id if exp else self.client.create_experiment(name_exp)
        if parent is not None:
            tags = {**tags, "mlflow.parentRunId": parent.id}
        self.id = self.client.create_run(exp_id, run_name=name, tags=tags).info.run_id
        items = [Param(k, str(v)[:6000]) for k, v in params.items() if v is not None]
        for i in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            self.client.log_batch(self.id, params=items[i : i + 100])

    def _exists(self, run_id: str) -> bool:
        try:
            self.client.get_run(run_id)
        except Exception:  # noqa: BLE001  a deleted store or another backend: start anew
            return False
        return True

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._buffer += [Metric(k, float(v), now, step or 0) for k, v in metrics.items() if _number(v)]
        if len(self._buffer) >= 900 or time.monotonic() - self._flushed >= FLUSH_S:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self.client.log_batch(self.id, metrics=self._buffer)
            self._buffer = []
        self._flushed = time.monotonic()

    def log_artifacts(self, folder: str | Path, name: str) -> None:
        """A folder's files (or one file) under ``name`` in the run's artifacts."""
        if Path(folder).is_dir():
            self.client.log_artifacts(self.id, str(folder), name)
        elif Path(folder).is_file():
            self.client.log_artifact(self.id, str(folder), name)

    def finish(self, status: str = "done") -> None:
        self._flush()
        self.client.set_terminated(self.id, "FINISHED" if status == "done" else "FAILED")


class WandbRun:
    kind = "wandb"

    def __init__(
        self,
        folder: str,
        name: str,
        params: dict[str, Any],
        tags: dict[str, str],
        parent: WandbRun | None = None,
        run_id: str | None = None,
    ) -> None:
        import wandb

        Path(folder).mkdir(parents=True, exist_ok=True)
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", EXPERIMENT),
            name=name,
            config=params,
            tags=[f"{k}:{v}" for k, v in tags.items()][:20],
            group=parent.group if parent is not None else None,
            dir=folder,
            mode=os.environ.get("WANDB_MODE", "offline"),
            id=run_id,
            resume="allow" if run_id else None,
            reinit="create_new",
        )
        self.id = self.run.id
        self.group = self.run.group or self.run.id

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        clean = {k: float(v) for k, v in metrics.items() if _number(v)}
        if step is None:
            self.run.log(clean)
        else:
            self.run.log(clean, step=step)

    def log_artifacts(self, folder: str | Path, name: str) -> None:
        pass  # the adapter is in the run folder and the registry; W&B artifacts are not used

    def finish(self, status: str = "done") -> None:
        self.run.finish(exit_code=0 if status == "done" else 1)


@contextlib.contextmanager
def settings(location: str | Path | None = None, parent: Run | None = None) -> Iterator[None]:
    """Defaults for the runs started inside: where they go and which run they belong to."""
    current = dict(_context.get() or {})
    if location is not None:
        current["location"] = str(location)
    if parent is not None:
        current["parent"] = parent
    token = _context.set(current)
    try:
        yield
    finally:
        _context.reset(token)


def start(
    report_to: str, name: str, params: dict[str, Any], tags: dict[str, str] | None = None, run_id: str | None = None
) -> Run:
    """A tracker run (``NullRun`` for ``none``), a child of the current ``settings`` parent."""
    if report_to == "none":
        return NullRun()
    ctx = _context.get() or {}
    location = Path(ctx.get("location") or ".").resolve()
    parent = ctx.get("parent")
    if parent is not None and parent.kind != report_to:
        parent = None
    tags = tags or {}
    if report_to == "mlflow":
        uri = os.environ.get("MLFLOW_TRACKING_URI") or (location / "mlruns").as_uri()
        return MlflowRun(uri, name, params, tags, parent, run_id)
    if report_to == "wandb":
        return WandbRun(str(location), name, params, tags, parent, run_id)
    raise ValueError(f"report_to must be none, mlflow or wandb, not {report_to!r}")


@contextlib.contextmanager
def session(report_to: str, name: str, params: dict[str, Any], tags: dict[str, str] | None = None) -> Iterator[Run]:
    """A parent run: runs started inside are its children; finished as failed on an error."""
    run = start(report_to, name, params, tags)
    try:
        with settings(parent=run):
            yield run
    except BaseException:
        run.finish("failed")
        raise
    run.finish("done")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
