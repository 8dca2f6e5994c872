"""Team-mode sessions in the app (AppTest): a reload (a new Streamlit session that brings the
browser's cookie) stays signed in, an expired session shows the sign-in form again, a
changed role shows on the next click, and repeated failures lock the name out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_fixture import build_workspace

from app.components import context
from curation import signin

APP = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


@pytest.fixture
def ws(tmp_path, monkeypatch):
    w, _ = build_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(w.root))
    monkeypatch.setenv("CURATE_TEAM_MODE", "1")
    monkeypatch.setenv("CURATE_SIGNIN_LIMIT", "3")
    monkeypatch.setenv("CURATE_SIGNIN_DELAY", "0")
    return w


def sign_in_form(name: str, password: str, at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def reload(monkeypatch, cookie: str | None) -> AppTest:
    """What a browser reload does: a new Streamlit session whose request carries the cookie."""
    monkeypatch.setattr(context, "cookie_token", lambda: cookie)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in_as(at: AppTest) -> str | None:
    return next(
        (c.value.split("**")[1].replace("\\", "") for c in at.sidebar.caption if c.value.startswith("Signed in as")),
        None,
    )


def test_a_reload_keeps_the_session_and_expiry_signs_out(ws, monkeypatch):
    at = sign_in_form("ann", "ann-pw")
    token = at.session_state[context.TOKEN]
    assert signed_in_as(at) == "ann"
    assert signed_in_as(reload(monkeypatch, token)) == "ann"
    assert reload(monkeypatch, "forged-or-old-token").title[0].value == "Sign in"
    ws.touch_session(signin.token_hash(token), time.time() - 2 * 3600)  # idle past the 1-hour timeout
    assert reload(monkeypatch, token).title[0].value == "Sign in"
    assert signed_in_as(at.run()) is None  # the open tab too, on its next click


def test_a_role_change_shows_on_the_next_click(ws, monkeypatch):
    at = sign_in_form("ann", "ann-pw")
    with pytest.raises(ValueError, match="not a registered page|Could not find a navigation page"):
        at.switch_page("views/team.py")
    ws.update_user("ann", role="curator")
    at.run()  # the next click
    at.switch_page("views/team.py").run()
    assert [t.value for t in at.title] == ["Team review"]


def test_repeated_failures_lock_the_name_out_in_the_app(ws, monkeypatch):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(3):
        sign_in_form("ann", "wrong", at)
        assert [e.value.replace("\\", "") for e in at.error] == [signin.FAILED]
    sign_in_form("ann", "ann-pw", reload(monkeypatch, None))  # a new tab: the lockout is in the database
    locked = reload(monkeypatch, None)
    sign_in_form("ann", "ann-pw", locked)
    assert locked.title[0].value == "Sign in" and "Too many failed sign-ins" in locked.error[0].value.replace("\\", "")
    assert [e["action"] for e in ws.audit_events(["lockout"])] == ["lockout"]


def test_admins_see_failures_and_lockouts_in_the_audit_log(ws, monkeypatch):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(3):
        sign_in_form("**x**", "wrong", at)  # a name typed at the form is data, shown as written
    root = sign_in_form("root", "root-pw", reload(monkeypatch, None))
    root.switch_page("views/audit.py").run()
    assert not root.exception
    shown = {m.label: m.value for m in root.metric}
    assert shown["Failed sign-ins shown"] == "3"
    events = root.dataframe[0].value
    assert list(events["event"][:4]) == ["signin", "lockout", "signin_failed", "signin_failed"]
    assert set(events["about"][1:4]) == {"**x**"}
