"""`curate users ...`: people, roles and passwords for team mode (see ``curation.people``).

Passwords never come from the command line (other users see it in ``ps``, the shell keeps
it in its history): they are asked for twice on the terminal without echo, or read as one
line from stdin with ``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | curate users
add ...``). Every change is written to the audit log as done by ``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from curation.cli_common import WorkspaceOpt, _fail, _open

users_app = typer.Typer(no_args_is_help=True, help="Manage people and roles (team mode).")
StdinOpt = typer.Option(
    False, "--password-stdin", help="Read the password from stdin (one line) instead of asking for it on the terminal."
)
ArgvPassword = typer.Option(None, "--password", hidden=True)


def cli_actor() -> str:
    """Who a command acts as in the audit log: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _password(name: str, from_stdin: bool, argv: Optional[str]) -> str:
    if argv is not None:
        _fail(
            "passwords are not taken on the command line (ps and the shell history would show it): "
            "leave --password out to be asked, or pipe it with --password-stdin"
        )
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            _fail("no password on stdin")
        return password.removesuffix("\r")
    if not _interactive():
        _fail("no terminal to ask for the password on: pipe it with --password-stdin")
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        _fail("the two passwords differ; nothing was changed")
    return first


def _run(fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    from curation.people import PeopleError

    try:
        return fn(*args, **kwargs)
    except PeopleError as err:
        _fail(str(err))


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Letters, digits, '.', '_' or '-' (1-64)."),
    role: str = typer.Option("annotator", help="annotator, curator or admin."),
    password_stdin: bool = StdinOpt,
    password: Optional[str] = ArgvPassword,
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Add a person with a role and a password (asked for, or --password-stdin)."""
    from curation import people
    from curation.auth import ROLES
    from curation.credentials import name_problem

    if role not in ROLES:  # before asking for a password that would be thrown away
        _fail(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
    if (problem := name_problem(name.strip())) is not None:
        _fail(problem)
    ws = _open(workspace)
    if ws.user(name.strip()) is not None:
        _fail(f"{name.strip()} already exists: change it with `curate users set-role` or `set-password`")
    secret = _password(name, password_stdin, password)
    _run(people.add, ws, name, role, secret, by=cli_actor())
    typer.echo(f"{name.strip()}: {role}")


@users_app.command("set-role")
def users_set_role(
    name: str,
    role: str = typer.Argument(..., help="annotator, curator or admin."),
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Change a person's role; the password stays. Takes effect on their next click."""
    from curation import people

    before = _run(people.set_role, _open(workspace), name, role, by=cli_actor())
    typer.echo(f"{name}: {before} -> {role}")


@users_app.command("set-password")
def users_set_password(
    name: str,
    password_stdin: bool = StdinOpt,
    password: Optional[str] = ArgvPassword,
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Give a person a new password (asked for, or --password-stdin); signs them out everywhere
    and lifts a sign-in lockout."""
    from curation import people

    ws = _open(workspace)
    if ws.user(name) is None:
        _fail(f"no person named {name!r}")
    ended = _run(people.set_password, ws, name, _password(name, password_stdin, password), by=cli_actor())
    typer.echo(f"{name}: new password set; {ended} session(s) ended")


@users_app.command("disable")
def users_disable(name: str, workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Stop a person from signing in, and end their sessions now (their decisions stay)."""
    from curation import people

    ended = _run(people.disable, _open(workspace), name, by=cli_actor())
    typer.echo(f"{name}: disabled; {ended} session(s) ended")


@users_app.command("enable")
def users_enable(name: str, workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Let a disabled person sign in again (also lifts a sign-in lockout on the name)."""
    from curation import people

    _run(people.enable, _open(workspace), name, by=cli_actor())
    typer.echo(f"{name}: enabled")


@users_app.command("remove")
def users_remove(name: str, workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Delete a person (their decisions stay in the log under their name)."""
    from curation import people

    _run(people.remove, _open(workspace), name, by=cli_actor())
    typer.echo(f"{name}: removed")


@users_app.command("list")
def users_list(
    workspace: Optional[Path] = WorkspaceOpt,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per person."),
) -> None:
    """People, their roles, whether they can sign in, and their open sessions."""
    ws = _open(workspace)
    sessions: dict[str, int] = {}
    for s in ws.sessions():
        sessions[s["user"]] = sessions.get(s["user"], 0) + 1
    now = time.time()
    for u in ws.users():
        lock = ws.throttle(f"account:{u['name'].casefold()}")
        locked = bool(lock and lock["locked_until"] and lock["locked_until"] > now)
        state = (
            "disabled"
            if u["disabled"]
            else ("locked" if locked else "enabled" if u["password_hash"] else "no password")
        )
        if as_json:
            typer.echo(
                json.dumps(
                    {"name": u["name"], "role": u["role"], "state": state, "sessions": sessions.get(u["name"], 0)}
                )
            )
        else:
            typer.echo(f"{u['name']:<20} {u['role']:<10} {state:<12} {sessions.get(u['name'], 0)} session(s)")
    if not as_json and not ws.users() and os.environ.get("CURATE_TEAM_MODE"):
        typer.echo("no people yet: add an admin with `curate users add NAME --role admin`", err=True)
