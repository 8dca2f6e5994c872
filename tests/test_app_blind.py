"""Double-blind review leaks nothing, and names are escaped, on every page (AppTest).

The leak test renders every page an annotator can open (the Example browser on every row
the votes touch) before and after the other annotator votes, and requires the two renders
to be identical: no reason, no name, no count, no status may change. Once a curator has
adjudicated, the same pages do show the other vote (the check can see it when it is there).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_fixture import build_workspace, session_for

from app.lib import datamap
from curation import review
from curation.auth import allowed
from curation.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
BLIND = review.ReviewSettings(True, ("ann", "bob"))
# the navigation table of app/main.py (importing the module would run the app)
PAGES = next(
    ast.literal_eval(n.value)
    for n in ast.parse(Path(APP).read_text()).body
    if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "PAGES"
)


@pytest.fixture
def fx(tmp_path, monkeypatch):
    ws, ds = build_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.setenv("CURATE_TEAM_MODE", "1")
    review.save_settings(ws, ds, BLIND)
    return ws, ds


def pages_for(role: str) -> list[str]:
    return [file.removesuffix(".py") for pages in PAGES.values() for file, _, _, perm in pages if allowed(role, perm)]


def open_page(user: str, page: str, row: int | None = None) -> AppTest:
    ws = Workspace(os.environ["CURATE_WORKSPACE"])
    at = AppTest.from_file(APP, default_timeout=60)
    token = session_for(ws, user)
    at.session_state["session_token"] = token
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    if row is not None:
        at.selectbox(key="br_open").set_value(row).run()
    assert not at.exception, [e.value for e in at.exception]
    at.token = token
    return at


def rendered(at: AppTest) -> list[str]:
    """Everything the page shows, element by element (tables as CSV; the session token,
    different in every session, replaced)."""
    out: list[str] = []

    def walk(node) -> None:  # noqa: ANN001
        children = getattr(node, "children", None)
        if children:
            for child in children.values():
                walk(child)
            return
        value = getattr(node, "value", None)
        shown = value.to_csv() if isinstance(value, pd.DataFrame) else str(getattr(node, "proto", node))
        out.append(shown.replace(at.token, "TOKEN"))

    walk(at._tree)
    return out


def views(user: str, rows: list[int]) -> dict[str, list[str]]:
    shown = {p: rendered(open_page(user, p)) for p in pages_for("annotator")}
    shown.update({f"browser row {r}": rendered(open_page(user, "browser", r)) for r in rows})
    return shown


def vote(ws: Workspace, ds: int, who: str, kind: str, action: str, rows: tuple[int, ...], reason: str) -> None:
    fid = next(f.finding_id for f in ws.findings(ds) if f.kind == kind and tuple(f.rows) == rows)
    review.decide(
        ws, ds, fid, ws.ledger(ds).item(fid).version, action, rows, {}, who, "annotator", reason=reason, settings=BLIND
    )


@pytest.mark.slow
def test_no_page_shows_an_annotator_the_other_vote_until_adjudication(fx):
    ws, ds = fx
    vote(ws, ds, "ann", "quality", "keep", (12,), "ann keeps it")
    datamap.compute(ws, ws.dataset(ds), lambda *_: None)  # the overview's map, ready before the first render
    rows = [12, 13, 7]
    before = views("ann", rows)
    vote(ws, ds, "bob", "quality", "drop", (12,), "BOB-SECRET-1")  # disagrees: disputed
    vote(ws, ds, "bob", "leakage", "drop", (13,), "BOB-SECRET-2")
    vote(ws, ds, "bob", "duplicate", "keep", (7, 8), "BOB-SECRET-3")
    after = views("ann", rows)
    assert set(before) == {*pages_for("annotator"), "browser row 12", "browser row 13", "browser row 7"}
    changed = {page for page in before if before[page] != after[page]}
    assert not changed, {p: [x for x in after[p] if x not in before[p]][:3] for p in changed}
    assert not any("BOB-SECRET" in x or "bob" in x for page in after.values() for x in page)

    cora = open_page("cora", "team")  # the curator sees both votes and applies bob's
    cora.button(key=next(b.key for b in cora.button if b.key and b.key.endswith("_bob"))).click().run()
    resolved = rendered(open_page("ann", "browser", 12))
    assert any("BOB-SECRET-1" in x for x in resolved)


HOSTILE = "ev_il**![x](http://evil.example/p.png)<img src=x onerror=alert(1)>:red[r]"


def test_names_with_markdown_and_html_are_escaped_on_the_team_pages(fx):
    """A name from before names were validated (schema < 5) votes; the curator's Team review
    ("Apply X's decision", the vote captions) and the annotators' "Blind votes" line, the
    sidebar, the browser history and the conflict message show it as written, never rendered."""
    ws, ds = fx
    ws.add_user(HOSTILE, "annotator", ws.user("ann")["password_hash"])
    review.save_settings(ws, ds, review.ReviewSettings(True, ("ann", HOSTILE)))
    settings = review.ReviewSettings(True, ("ann", HOSTILE))
    fid = next(f.finding_id for f in ws.findings(ds) if f.kind == "quality")
    for who, action in (("ann", "keep"), (HOSTILE, "drop")):
        review.decide(ws, ds, fid, 0, action, (12,), {}, who, "annotator", reason=f"{who} says", settings=settings)
    pages = [
        open_page("cora", "team"),
        open_page("cora", "findings"),
        open_page("cora", "browser", 12),
        open_page(HOSTILE, "overview"),
        open_page(HOSTILE, "findings"),
    ]
    drawn = [t for at in pages for t in drawn_text(at)]  # what a browser renders as markdown or HTML
    assert any(r"Apply ev\_il\*\*\!\[x\]" in t for t in drawn)  # the adjudication button, escaped
    assert any(r"Signed in as **ev\_il" in t for t in drawn)
    assert any("Blind votes" in t for t in drawn) or any("chose drop" in t for t in drawn)
    assert not any("![x](" in t or "<img src=x" in t or ":red[r]" in t for t in drawn)


def drawn_text(at: AppTest) -> list[str]:
    """The bodies (markdown, captions, alerts, HTML) and labels (buttons, widgets, metrics)
    of every element: the strings a browser renders as markup."""
    out: list[str] = []

    def walk(node) -> None:  # noqa: ANN001
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)
        proto = getattr(node, "proto", None)
        for field in ("body", "label"):
            value = getattr(proto, field, None)
            if isinstance(value, str):
                out.append(value)

    walk(at._tree)
    return out
