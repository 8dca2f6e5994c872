"""Review keys in a real headless Chromium, typed as a person types.

A key press is a decision only when no text field has the focus. Reviewers lost that
guarantee whenever a rerun redrew the page under them: a "Recorded" message went away,
every widget below it moved, the search box was redrawn and lost the focus, and the rest
of the word became keep/merge/drop. These tests type sentences holding every key letter
into every text field of every review page right after a decision (and after pressing
Enter there, which reruns the page), press keys faster than the page reruns, and open
the key list. The workspace is the small fixture (no models), served in local mode.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from e2e.test_e2e_app import ARGS, CHROMIUM, CURATE, ENV, _serve, free_port  # noqa: E402
from e2e.test_e2e_app import pytestmark  # noqa: E402,F401
from test_app_fixture import build_workspace  # noqa: E402

# every key a review page binds (letters and digits), spread over a sentence a reviewer might type
EVERY_KEY = "Merge? Keep, drop, skip: next undo. Add 1 2 3 4 5 6 7 8 9 0; a quick brown fox jumps over the lazy dog"


@pytest.fixture
def local_server(tmp_path):
    ws, _ = build_workspace(tmp_path / "fixture", users=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(
            [*CURATE, "app", "-w", str(ws.root), "--port", str(port), "--address", "127.0.0.1"],
            cwd=tmp_path,
            env=ENV,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield from _serve(proc, url, ws.root, "fixture", tmp_path)


def settle(page) -> None:
    """Wait until no script run is in flight (Streamlit marks it on the app root)."""
    page.wait_for_timeout(250)
    page.wait_for_function(
        "!['running', 'rerunRequested'].includes(document.querySelector('[data-testid=stApp]')"
        ".getAttribute('data-test-script-state'))",
        timeout=60_000,
    )
    page.wait_for_timeout(150)


def goto(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    settle(page)


def decisions(ws: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(ws / "workspace.db") as conn:
        return list(conn.execute("SELECT action, finding_id FROM decisions ORDER BY id"))


def wait_for_decisions(page, ws: Path, n: int) -> None:
    """Wait until ``n`` decisions are stored (a key pressed while the page's keys were still
    mounting is queued and sent a moment later), then until the run it started is drawn."""
    for _ in range(150):
        if len(decisions(ws)) >= n:
            break
        page.wait_for_timeout(100)
    assert len(decisions(ws)) >= n, decisions(ws)
    settle(page)


@pytest.fixture
def browser_page(local_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, ws, _ = local_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(90_000)
        page.goto(url)
        page.get_by_role("heading", name="Overview").wait_for(timeout=90_000)
        settle(page)
        try:
            yield page, ws
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def focus_page(page, title: str) -> None:
    page.get_by_role("heading", name=title).first.click()  # the page itself, not a field


def decide_then_type(page, ws: Path, title: str, decide_key: str, field_selector: str, enter: str | None) -> None:
    """Record one decision by key, then at once type EVERY_KEY into the field (while the
    rerun the decision started may still be drawing), commit it, and type on."""
    before = len(decisions(ws))
    focus_page(page, title)
    page.keyboard.press(decide_key)
    field = page.locator(field_selector).first
    field.click()
    field.press_sequentially(EVERY_KEY, delay=15)
    if enter:
        page.keyboard.press(enter)  # commits the field: the page reruns with the focus in it
        settle(page)
        page.keyboard.type(" " + EVERY_KEY, delay=15)  # the reviewer types on after the rerun
        page.keyboard.press(enter)
    page.wait_for_timeout(800)
    settle(page)
    made = decisions(ws)[before:]
    assert len(made) == 1, f"{title} / {field_selector}: {made}"
    if "_search" in field_selector:  # the search box stays put across items: it keeps the focus
        active = page.evaluate("document.activeElement.tagName")
        assert active == "INPUT", f"{title} / {field_selector}: the focus went to {active}"
        page.locator(field_selector).fill("")  # clear the search for the next field
        page.keyboard.press("Enter")
        settle(page)


FIELDS = [  # (page, the key that records a decision there, the text field, the key that commits it)
    ("Duplicates", "s", ".st-key-duplicate_search input", "Enter"),
    ("Duplicates", "s", '[class*="st-key-duplicate_note_"] input', "Enter"),
    ("Contradictions", "s", ".st-key-contradiction_search input", "Enter"),
    ("Contradictions", "s", '[class*="st-key-contradiction_note_"] input', "Enter"),
    ("Coverage gaps", "s", '[class*="st-key-gap_system_"] input', "Enter"),
    ("Coverage gaps", "s", '[class*="st-key-gap_prompt_"] textarea', "Control+Enter"),
    ("Coverage gaps", "s", '[class*="st-key-gap_answer_"] textarea', "Control+Enter"),
    ("Other findings", "s", '[class*="st-key-leakage_note_"] input', "Enter"),
]


def test_typing_every_key_into_every_field_right_after_a_decision_records_nothing(browser_page, tmp_path):
    page, ws = browser_page
    for title, key, selector, enter in FIELDS:
        goto(page, title)
        try:
            page.locator(selector).first.wait_for()
            decide_then_type(page, ws, title, key, selector, enter)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise


def test_the_edit_box_stays_open_and_focused_after_a_decision(browser_page):
    page, ws = browser_page
    goto(page, "Contradictions")
    focus_page(page, "Contradictions")
    page.keyboard.press("s")  # a decision: the page reruns with a message
    wait_for_decisions(page, ws, 1)
    page.get_by_text("Edit one row into the right answer").click()
    box = page.locator('[class*="st-key-con_edit_"] textarea').first
    box.click()
    page.keyboard.press("Control+End")  # type after the answer the box starts with
    before = len(decisions(ws))
    box.press_sequentially(" " + EVERY_KEY, delay=15)
    page.keyboard.press("Control+Enter")
    settle(page)
    box.press_sequentially(" More: mkdsnu 123.", delay=15)
    settle(page)
    assert decisions(ws)[before:] == []
    assert box.is_visible(), "the edit expander collapsed"
    assert box.input_value().endswith("lazy dog More: mkdsnu 123.")


def test_keys_pressed_during_a_rerun_are_applied_in_order(browser_page):
    page, ws = browser_page
    goto(page, "Duplicates")
    focus_page(page, "Duplicates")
    page.keyboard.press("s")  # skip the first group ...
    page.keyboard.press("k")  # ... and, before the page has redrawn, keep the next one
    page.keyboard.press("n")  # then move on (no decision)
    page.wait_for_timeout(1500)
    settle(page)
    made = decisions(ws)
    assert [a for a, _ in made] == ["skip", "keep"], made
    assert made[0][1] != made[1][1], "both keys went to the same item"
    assert page.get_by_text("Nothing left here").count() == 0 or made


def test_question_mark_lists_every_key_of_the_page(browser_page):
    page, ws = browser_page
    goto(page, "Duplicates")
    focus_page(page, "Duplicates")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    # the overlay opens at once; if the page's keys were still mounting it fills in when they arrive
    dialog.get_by_text("merge").first.wait_for()
    listed = dialog.inner_text()
    for key, what in (
        ("M", "merge"),
        ("K", "keep all"),
        ("D", "drop"),
        ("S", "skip"),
        ("N", "next"),
        ("U", "undo"),
        ("?", "show or hide"),
    ):
        assert key in listed and what in listed, (key, listed)
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert decisions(ws) == []


def test_a_reversal_asks_first_when_k_would_restore_a_dropped_row(browser_page):
    page, ws = browser_page
    goto(page, "Duplicates")
    focus_page(page, "Duplicates")
    page.keyboard.press("d")  # drop the first group (rows 7 and 8)
    settle(page)
    page.locator(".st-key-duplicate_status").click()
    page.get_by_role("option", name="resolved").click()
    settle(page)
    focus_page(page, "Duplicates")
    page.keyboard.press("k")  # keep all: would bring back both rows
    settle(page)
    question = page.get_by_text("turn around earlier decisions").first
    question.wait_for()
    assert "restore row 7" in question.inner_text() and [a for a, _ in decisions(ws)] == ["drop"]
    page.keyboard.press("y")
    settle(page)
    assert [a for a, _ in decisions(ws)] == ["drop", "keep"]


def test_a_bulk_action_over_a_search_then_one_undo_restores_everything(browser_page):
    page, ws = browser_page
    goto(page, "Contradictions")
    box = page.locator(".st-key-contradiction_search input")
    box.click()
    box.press_sequentially("plan", delay=20)
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_text("Bulk: one decision for every item this filter selects").click()
    page.wait_for_timeout(500)
    page.locator(".st-key-contradiction_bulk_action").click()
    page.get_by_role("option", name="all wrong: drop every row").click()
    settle(page)
    page.locator(".st-key-contradiction_bulk_apply button").click()
    settle(page)
    made = decisions(ws)
    assert [a for a, _ in made] == ["drop", "drop"] and made[0][1] != made[1][1], made
    focus_page(page, "Contradictions")
    page.keyboard.press("u")  # one undo withdraws the whole bulk action
    settle(page)
    assert [a for a, _ in decisions(ws)] == ["drop", "drop", "undo", "undo"]
    with sqlite3.connect(ws / "workspace.db") as conn:
        live = conn.execute(
            "SELECT COUNT(*) FROM decisions WHERE action = 'drop' AND id NOT IN "
            "(SELECT undoes FROM decisions WHERE undoes IS NOT NULL)"
        ).fetchone()[0]
    assert live == 0
