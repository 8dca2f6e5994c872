"""`curate decisions list|retract`: see every recorded decision, and withdraw any of them.

A retraction is an event too (who, when, why); the retracted decision stays in the log,
marked. Who may retract: in a workspace with people (team mode) a curator or admin; in a
workspace without any, the local user (as in the app's local mode).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path
from typing import Optional

import typer

from curation.cli_common import DatasetOpt, WorkspaceOpt, _dataset, _fail, _open

decisions_app = typer.Typer(no_args_is_help=True, help="List recorded decisions; retract any of them.")


def _local_user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser() or "local"
    except OSError:
        return "local"


@decisions_app.command("list")
def list_(
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    finding: Optional[str] = typer.Option(None, "--finding", help="Only decisions about this finding."),
    row: Optional[int] = typer.Option(None, "--row", help="Only decisions touching this row."),
    actor: Optional[str] = typer.Option(None, "--actor", help="Only this person's decisions."),
    live: bool = typer.Option(False, "--live", help="Only decisions in force (not withdrawn)."),
    limit: int = typer.Option(0, help="Show the latest N (0 = all)."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """Every decision on a dataset, oldest first, with what withdrew it."""
    ws = _open(workspace)
    ds = _dataset(ws, dataset)
    ledger = ws.ledger(ds.id)
    shown = [
        e
        for e in ledger.events
        if (finding is None or e.finding_id == finding)
        and (row is None or row in e.rows)
        and (actor is None or e.actor == actor)
        and (not live or e in ledger.live)
    ]
    if limit:
        shown = shown[-limit:]
    for e in shown:
        by = ledger.withdrawn.get(e.id)
        if by is not None:
            state = f"{'undone' if by.action == 'undo' else 'retracted'} by {by.actor} ({by.id})"
        else:
            state = f"withdraws {e.undoes}" if e.undoes else "in force"
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": e.id,
                        "action": e.action,
                        "actor": e.actor,
                        "role": e.role,
                        "rows": list(e.rows),
                        "finding_id": e.finding_id,
                        "payload": e.payload,
                        "reason": e.reason,
                        "created_at": e.created_at,
                        "undoes": e.undoes,
                        "withdrawn_by": by.id if by else None,
                        "key": e.key,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        when = dt.datetime.fromtimestamp(e.created_at).strftime("%Y-%m-%d %H:%M")
        rows = ",".join(map(str, e.rows[:6])) + ("…" if len(e.rows) > 6 else "")
        typer.echo(
            f"{e.id:>6} {when} {e.actor[:14]:<14} {e.action:<8} {rows:<20} {(e.finding_id or ''):<17} "
            f"{state:<28} {e.reason[:60]}"
        )
    ledger.curated(ws.examples(ds.id))  # finds the decisions that cannot be applied
    for i, why in sorted(ledger.problems.items()):
        typer.echo(f"warning: decision {i} cannot be applied: {why}", err=True)


@decisions_app.command("retract")
def retract(
    decision_id: int = typer.Argument(..., help="The id of the decision to withdraw."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the retraction)."),
    workspace: Optional[Path] = WorkspaceOpt,
    dataset: Optional[str] = DatasetOpt,
    actor: Optional[str] = typer.Option(None, "--as", help="Who retracts (default: $USER)."),
) -> None:
    """Withdraw any decision, yours or someone else's (curators and admins)."""
    from curation.decisions import DecisionError

    ws = _open(workspace)
    ds = _dataset(ws, dataset)
    who = actor or _local_user()
    people = {u["name"]: u["role"] for u in ws.users()}
    role = people.get(who, "admin" if not people else None)
    if role is None:
        _fail(f"{who} is not a person of this workspace (curate users list): retracting needs a curator or admin")
    try:
        rid = ws.retract(ds.id, decision_id, who, role, reason)
    except DecisionError as err:
        _fail(f"decision {decision_id}: {err}")
    target = ws.decision(decision_id)
    typer.echo(f"retracted decision {decision_id} ({target.action} by {target.actor}) as {who}: retraction {rid}")
