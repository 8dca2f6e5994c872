"""Example text in the app: markdown rendered in the safe subset by default, raw on request.

The "Show raw text" checkbox sits in the sidebar and its choice survives page changes.
Fixture row 11 holds a script tag, an image, a colour directive and **bold** markers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_fixture import build_workspace

APP = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    ws, _ = build_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.delenv("CURATE_TEAM_MODE", raising=False)
    monkeypatch.setenv("USER", "tester")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/browser.py").run()
    at.selectbox(key="br_open").select(11).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def html(at: AppTest) -> str:
    return " ".join(h.value for h in at.html)


def test_markdown_renders_and_hostile_markup_stays_text(app):
    page = html(app)
    assert "<strong>bold</strong>" in page
    assert "&#60;script&#62;" in page and "<script" not in page and "<b>" not in page and "<img" not in page
    assert "&#33;&#91;img&#93;&#40;http&#58;" in page and "&#58;red&#91;alert&#93;" in page


def test_raw_text_toggle_shows_the_characters_and_persists_across_pages(app):
    box = app.checkbox(key="show_raw_text_box")
    assert box.value is False and box.label == "Show raw text"
    box.check().run()
    assert "&#42;&#42;bold&#42;&#42;" in html(app) and "<strong>bold" not in html(app)
    app.switch_page("views/duplicates.py").run()
    assert "<strong>" not in html(app)
    app.switch_page("views/browser.py").run()
    app.selectbox(key="br_open").select(11).run()
    assert app.checkbox(key="show_raw_text_box").value is True
    assert "&#42;&#42;bold&#42;&#42;" in html(app)
    app.checkbox(key="show_raw_text_box").uncheck().run()
    assert "<strong>bold</strong>" in html(app)
