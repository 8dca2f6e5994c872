"""What every `curate` command shares: the workspace and dataset options, opening the
workspace, choosing the dataset, and the one-line error with exit status 2."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn, Optional

import typer

from curation.store import Dataset, Workspace


WorkspaceOpt = typer.Option(
    None, "--workspace", "-w", help="Workspace folder (default: $CURATE_WORKSPACE or ./workspace)."
)
DatasetOpt = typer.Option(None, "--dataset", help="Dataset name or id (needed when the workspace holds several).")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _open(workspace: Optional[Path]) -> Workspace:
    from curation.store import WorkspaceError

    try:
        return Workspace(workspace)
    except WorkspaceError as err:  # a newer schema, a read-only or full disk, a busy database: one line
        _fail(str(err))


def _dataset(ws: Workspace, key: Optional[str]) -> Dataset:
    """The dataset a command acts on: ``--dataset``, or the only one; never a guess."""
    from curation.workbench import DatasetChoiceError, choose_dataset

    try:
        return choose_dataset(ws, key)
    except DatasetChoiceError as err:
        _fail(str(err))


# the names command modules of other layers (training's, the top-level ``cli``) use
fail = _fail
open_workspace = _open
choose_dataset = _dataset
