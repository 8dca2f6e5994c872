"""`curate users ...`: passwords prompted or piped (never argv), one policy, role changes that
keep the password, disable / enable / remove, every change audited."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from curation import cli_users
from curation.cli import app
from curation.signin import sign_in
from curation.store import Workspace
from curation.throttle import ThrottlePolicy

GOOD = "violet tractor umbrella"
FREE = ThrottlePolicy(account_limit=10**9, client_limit=10**9, base_delay=0.0)
runner = CliRunner()


def curate(*args: str, stdin: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    assert (
        curate(
            "users", "add", "root", "--role", "admin", "--password-stdin", "-w", root, stdin="keys to the castle gate\n"
        ).exit_code
        == 0
    )
    return root


def test_a_password_is_prompted_twice_without_echo(ws, monkeypatch):
    asked = []
    monkeypatch.setattr(cli_users, "_interactive", lambda: True)
    monkeypatch.setattr(cli_users.getpass, "getpass", lambda prompt: asked.append(prompt) or GOOD)
    result = curate("users", "add", "dana", "--role", "curator", "-w", ws)
    assert result.exit_code == 0, result.output
    assert asked == ["Password for dana: ", "Again: "] and GOOD not in result.output
    assert sign_in(Workspace(ws), "dana", GOOD, "", FREE).ok


def test_two_different_prompted_passwords_change_nothing(ws, monkeypatch):
    answers = iter([GOOD, GOOD + "x"])
    monkeypatch.setattr(cli_users, "_interactive", lambda: True)
    monkeypatch.setattr(cli_users.getpass, "getpass", lambda prompt: next(answers))
    result = curate("users", "add", "dana", "-w", ws)
    assert result.exit_code == 2 and "differ" in result.output and Workspace(ws).user("dana") is None


def test_a_password_from_stdin(ws):
    assert curate("users", "add", "dana", "--password-stdin", "-w", ws, stdin=GOOD + "\n").exit_code == 0
    assert sign_in(Workspace(ws), "dana", GOOD, "", FREE).ok


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["users", "add", "dana", "--password", GOOD], None, "not taken on the command line"),
        (["users", "set-password", "root", "--password", GOOD], None, "not taken on the command line"),
        (["users", "add", "dana"], None, "no terminal to ask"),
        (["users", "add", "dana", "--password-stdin"], "x\n", "at least 12 characters"),
        (["users", "add", "dana", "--password-stdin"], "password1234\n", "common passwords"),
        (["users", "add", "dana", "--password-stdin"], "dana-dana-dana-1\n", "person's name"),
        (["users", "add", "", "--password-stdin"], GOOD + "\n", "a name is needed"),
        (["users", "add", "**x**", "--password-stdin"], GOOD + "\n", "a name is 1-64 letters"),
        (["users", "add", "dana", "--role", "boss", "--password-stdin"], GOOD + "\n", "unknown role"),
        (["users", "add", "root", "--password-stdin"], GOOD + "\n", "already exists"),
    ],
    ids=[
        "argv add",
        "argv set-password",
        "no terminal",
        "short",
        "common",
        "name inside",
        "empty name",
        "markup name",
        "role",
        "exists",
    ],
)
def test_bad_input_is_one_clear_line(ws, args, stdin, message):
    result = curate(*args, "-w", ws, stdin=stdin)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert [u["name"] for u in Workspace(ws).users()] == ["root"]


def test_role_change_keeps_the_password_and_people_can_be_disabled_and_removed(ws):
    assert curate("users", "add", "dana", "--password-stdin", "-w", ws, stdin=GOOD + "\n").exit_code == 0
    assert "annotator -> curator" in curate("users", "set-role", "dana", "curator", "-w", ws).output
    w = Workspace(ws)
    assert w.user("dana")["role"] == "curator" and sign_in(w, "dana", GOOD, "", FREE).ok
    assert curate("users", "disable", "dana", "-w", ws).exit_code == 0
    assert not sign_in(w, "dana", GOOD, "", FREE).ok
    listed = {
        json.loads(line)["name"]: json.loads(line)
        for line in curate("users", "list", "--json", "-w", ws).output.splitlines()
    }
    assert listed["dana"]["state"] == "disabled" and listed["root"]["state"] == "enabled"
    assert curate("users", "enable", "dana", "-w", ws).exit_code == 0 and sign_in(w, "dana", GOOD, "", FREE).ok
    assert curate("users", "remove", "dana", "-w", ws).exit_code == 0 and w.user("dana") is None
    assert not sign_in(w, "dana", GOOD, "", FREE).ok
    last_admin = curate("users", "remove", "root", "-w", ws)
    assert last_admin.exit_code == 2 and w.user("root") is not None
    events = [(e["action"], e["target"]) for e in reversed(w.audit_events())]
    for change in ("user_added", "role_changed", "user_disabled", "user_enabled", "user_removed"):
        assert (change, "dana") in events, events


def test_an_export_is_an_audit_event(tmp_path, alpaca_file):
    root = tmp_path / "ws"
    assert curate("ingest", alpaca_file, "-w", root).exit_code == 0
    assert curate("export", tmp_path / "out.jsonl", "-w", root).exit_code == 0
    (event,) = Workspace(root).audit_events(["export"])
    assert event["actor"].startswith("cli") and event["detail"]["out"] == str(tmp_path / "out.jsonl")
    assert event["detail"]["n_out"] == 7
