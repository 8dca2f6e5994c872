"""`curate`: the core commands, the training commands and `curate app`, in one command line.

The core (``curation.cli``) owns ingest, scan, findings, explain, resolve, export, decisions,
users and demo; training (``training.cli``) owns train, compare, runs and base-model; this
module adds them together and owns the launcher of the Streamlit workbench, which lives in
``app/`` above both.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from curation import cli as core
from curation.cli_common import WorkspaceOpt
from training import cli as training_cli

APP_ENTRY = Path(__file__).resolve().parents[1] / "app" / "main.py"

# the core's command line (its global options, its one-line errors) with the training
# commands added; a copy, so importing this module changes neither layer's own app
app = copy.copy(core.app)
app.registered_commands = [*core.app.registered_commands, *training_cli.app.registered_commands]
app.registered_groups = [*core.app.registered_groups, *training_cli.app.registered_groups]


@app.command("app")
def run_app(
    workspace: Optional[Path] = WorkspaceOpt,
    port: int = typer.Option(8501),
    address: str = typer.Option("localhost"),
    team: bool = typer.Option(False, help="Require sign-in."),
) -> None:
    """Start the review workbench (Streamlit) on a workspace."""
    env = dict(os.environ, CURATE_WORKSPACE=str((workspace or Path("workspace")).resolve()))
    if team:
        env["CURATE_TEAM_MODE"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_ENTRY),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",
        os.environ.get("CURATE_MAX_UPLOAD_MB", "200"),
        "--client.toolbarMode",
        "minimal",
    ]
    # replace this process with streamlit, so signals (Ctrl+C, terminate) reach the server itself
    os.execve(sys.executable, cmd, env)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
