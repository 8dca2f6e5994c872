"""End to end in a real headless Chromium: `curate app --team` on a temporary workspace.

Builds the workspace with `curate ingest` + `curate scan` on data/demo when the demo data
and the detectors are present (else the small fixture of tests/test_app_fixture.py), adds
a curator with `curate users add` (the password piped on stdin), starts the server, signs
in, resolves one duplicate group (by keyboard shortcut), one contradiction and one coverage
gap (writing a new example), exports, and checks the exported file and its manifest.
Screenshots of every page go to docs/screenshots/ for the README. A second test runs team
review: two annotators in double-blind mode in their own browsers, a reload, adjudication
by a curator, and a lockout. Run with `pytest -m e2e`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
DEMO = ROOT / "data" / "demo"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="playwright is missing"),
]
CURATE = [sys.executable, "-m", "cli"]
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def curate(*args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [*CURATE, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def build(ws: Path) -> str:
    """The demo workspace when possible, else the fixture; returns which."""
    have_scan = importlib.util.find_spec("curation.scan") is not None
    if (DEMO / "train.jsonl").exists() and (DEMO / "reference.jsonl").exists() and have_scan:
        curate(
            "scan",
            str(DEMO / "train.jsonl"),
            "--reference",
            str(DEMO / "reference.jsonl"),
            "--findings-out",
            str(ws / "findings.jsonl"),
            "-w",
            str(ws),
        )
        source = "demo"
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_app_fixture import build_workspace

        build_workspace(ws.parent / "fixture", users=False)
        shutil.move(str(ws.parent / "fixture" / "ws"), str(ws))
        source = "fixture"
    add_user(ws, "cora", "curator")
    write_comparison(ws)
    return source


def add_user(ws: Path, name: str, role: str) -> None:
    """`curate users add`, the password piped on stdin (never on the command line)."""
    done = subprocess.run(
        [*CURATE, "users", "add", name, "--role", role, "--password-stdin", "-w", str(ws)],
        cwd=ROOT,
        env=ENV,
        input=password(name) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def password(name: str) -> str:
    return f"purple {name[0]} lanterns by the sea {len(name)}"


def write_comparison(ws: Path) -> None:
    """A small model comparison so the Compare models page has something to show."""
    folder = ws / "runs" / "compare-demo"
    folder.mkdir(parents=True, exist_ok=True)
    prompts = [
        ("How much is the Pro plan?", {"raw": "Pro is $15 per month.", "curated": "Pro costs $12 per month."}),
        ("Can I share a notebook?", {"raw": "No.", "curated": "Yes: open it, click Share, invite by email."}),
    ]
    (folder / "report.json").write_text(
        json.dumps(
            {
                "name": "compare-demo",
                "arms": ["raw", "curated"],
                "metrics": {"raw": {"accuracy": 0.42}, "curated": {"accuracy": 0.67}},
                "prompts": [{"id": f"p{i}", "prompt": p} for i, (p, _) in enumerate(prompts)],
            }
        )
    )
    (folder / "generations.jsonl").write_text(
        "".join(
            json.dumps({"prompt_id": f"p{i}", "arm": arm, "output": text}) + "\n"
            for i, (_, answers) in enumerate(prompts)
            for arm, text in answers.items()
        )
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    ws = tmp_path / "ws"
    source = build(ws)
    yield from _start(ws, source, tmp_path, ENV)


def _start(ws: Path, source: str, tmp_path: Path, env: dict):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(
            [*CURATE, "app", "--team", "-w", str(ws), "--port", str(port), "--address", "127.0.0.1"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield from _serve(proc, url, ws, source, tmp_path)


def _serve(proc, url, ws, source, tmp_path):
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not start: " + (tmp_path / "server.log").read_text()[-2000:])
        yield url, ws, source
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def settle(page) -> None:
    """Wait until Streamlit has finished the current rerun."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    page.wait_for_timeout(200)


def goto(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    settle(page)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def recorded(page) -> None:
    page.get_by_text("Recorded:").first.wait_for()


def test_review_export_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, ws, source = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(90_000)  # 2 shared cores: a rerun can take seconds under load
        try:
            review_and_export(page, url)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"failure screenshot: {tmp_path / 'failure.png'}\n" + page.inner_text("body")[-3000:])
            raise
        finally:
            browser.close()
    check_export(ws)
    assert source in ("demo", "fixture")


def review_and_export(page, url: str) -> None:
    """Sign in, resolve a duplicate (keyboard), a contradiction and a gap, judge, export."""
    page.goto(url)
    page.get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
    shot(page, "00-sign-in")
    sign_in(page, "cora")

    goto(page, "Duplicates")
    page.wait_for_selector(".st-key-dup_merge button")
    shot(page, "02-duplicates")
    page.get_by_role("heading", name="Duplicates").click()  # focus the page, not an input
    page.keyboard.press("m")  # Merge onto the representative, by keyboard
    recorded(page)
    settle(page)

    goto(page, "Contradictions")
    page.wait_for_selector('[class*="st-key-con_side_"] button')
    shot(page, "03-contradictions")
    page.locator('[class*="st-key-con_side_"] button').first.click()
    recorded(page)
    settle(page)

    goto(page, "Coverage gaps")
    answer = page.locator('[class*="st-key-gap_answer_"] textarea').first
    answer.wait_for()
    # typed key by key: the single-letter shortcuts (a, k, s, n, u, d, m) must not fire in a text box
    answer.press_sequentially(
        "Yes. Open the notebook, click Share, and invite your team by email; "
        "they can edit at once. Undo, skip and next do not apply here.",
        delay=5,
    )
    answer.press("Control+Enter")
    settle(page)
    shot(page, "04-coverage-gaps")
    page.locator(".st-key-gap_add button").click()
    recorded(page)
    settle(page)

    goto(page, "Example browser")
    page.locator(".st-key-br_status").click()
    page.get_by_role("option", name="dropped").click()
    settle(page)
    shot(page, "05-example-browser")

    goto(page, "Team review")
    shot(page, "06-team-review")
    goto(page, "Compare models")
    page.get_by_role("tab", name="Blind A/B").click()
    page.locator(".st-key-cmp_A button").click()
    settle(page)
    page.get_by_text("A was").first.wait_for()
    shot(page, "07-compare-models")
    goto(page, "Data & scans")
    shot(page, "08-data-and-scans")

    goto(page, "Export")
    page.locator(".st-key-exp_write button").wait_for()
    shot(page, "09-export-plan")
    page.locator(".st-key-exp_write button").click()
    page.get_by_text("Wrote").first.wait_for(timeout=60_000)
    settle(page)
    shot(page, "10-export-written")

    goto(page, "Overview")  # now with decisions, and the map the background job computed
    page.set_viewport_size({"width": 1440, "height": 2100})
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=120_000)
    settle(page)
    shot(page, "01-overview")


def sign_in(page, name: str, secret: str | None = None) -> None:
    page.locator(".st-key-login_name input").fill(name)
    page.locator(".st-key-login_password input").fill(secret or password(name))
    page.get_by_role("button", name="Sign in").click()
    if secret is None:
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
    settle(page)


@pytest.fixture
def blind_server(tmp_path):
    """The fixture workspace with ann and bob in double-blind rotation, cora curating, and a
    lockout after 3 failures (no delay between them, so the test need not wait)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_app_fixture import build_workspace

    from curation import review

    w, ds = build_workspace(tmp_path / "fixture", users=False)
    review.save_settings(w, ds, review.ReviewSettings(True, ("ann", "bob")))
    for name, role in (("ann", "annotator"), ("bob", "annotator"), ("cora", "curator")):
        add_user(w.root, name, role)
    yield from _start(w.root, "fixture", tmp_path, dict(ENV, CURATE_SIGNIN_LIMIT="3", CURATE_SIGNIN_DELAY="0"))


def test_two_blind_annotators_adjudication_and_a_lockout_in_chromium(blind_server, tmp_path):
    """ann and bob vote differently on a contradiction, each in their own browser; ann sees
    nothing of bob's vote, and a reload keeps her signed in (the session cookie); cora applies
    bob's decision on Team review; three wrong passwords lock ann's name out."""
    from playwright.sync_api import sync_playwright

    url, ws, _ = blind_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pages = {}
        try:
            for name in ("ann", "bob", "cora", "mallory"):
                pages[name] = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
                pages[name].set_default_timeout(90_000)
                pages[name].goto(url)
                pages[name].get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
            blind_review(pages)
        except Exception:
            for name, page in pages.items():
                page.screenshot(path=str(tmp_path / f"failure-{name}.png"), full_page=True)
            print(
                f"failure screenshots in {tmp_path}\n"
                + "\n".join(f"--- {n}: {p.inner_text('body')[-1500:]}" for n, p in pages.items())
            )
            raise
        finally:
            browser.close()
    from curation.store import Workspace

    w = Workspace(ws)
    adjudicated = [d for d in w.decisions(w.datasets(include_reference=False)[0].id) if d.actor == "cora"]
    assert [(d.action, d.payload["agreed_by"]) for d in adjudicated] == [("drop", ["bob"])]
    assert [e["target"] for e in w.audit_events(["lockout"])] == ["ann"]


def blind_review(pages: dict) -> None:
    ann, cora, mallory = pages["ann"], pages["cora"], pages["mallory"]
    for name, button in (("ann", '[class*="st-key-con_side_"] button'), ("bob", ".st-key-con_drop button")):
        page = pages[name]
        sign_in(page, name)
        goto(page, "Contradictions")
        page.locator(button).first.click()
        page.get_by_text("Vote recorded (blind)").first.wait_for()
        settle(page)
    ann.reload()  # the session cookie keeps her signed in, on the page she was on
    ann.get_by_role("heading", name="Contradictions").wait_for(timeout=60_000)
    ann.get_by_text("Signed in as").wait_for()
    settle(ann)
    for title in ("Overview", "Contradictions", "Example browser"):
        goto(ann, title)
        assert "bob" not in ann.inner_text("body"), title

    sign_in(cora, "cora")
    goto(cora, "Team review")
    cora.get_by_role("button", name="Apply bob's decision").click()
    cora.get_by_text("Applied bob's decision").first.wait_for()
    settle(cora)

    for _ in range(3):
        sign_in(mallory, "ann", "not her password")
        mallory.get_by_text("Unknown name or wrong password").first.wait_for()
    sign_in(mallory, "ann", password("ann"))
    mallory.get_by_text("Too many failed sign-ins").first.wait_for()
    assert mallory.get_by_role("heading", name="Sign in").is_visible()


def check_export(ws: Path) -> None:
    exports = sorted(p for p in (ws / "exports").glob("*.jsonl"))
    assert len(exports) == 1, exports
    out = exports[0]
    manifest = json.loads(Path(f"{out}.manifest.json").read_text())
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == manifest["n_out"] == manifest["n_source"] - manifest["by_status"]["dropped"] + 1
    assert manifest["by_status"]["added"] == 1 and manifest["by_status"]["dropped"] >= 2
    assert manifest["reviewers"] == ["cora"]
    actions = sorted({c["action"] for c in manifest["changes"]})
    assert actions == ["add", "merge", "pick"], actions
    added = [c for c in manifest["changes"] if c["status"] == "added"]
    assert not any("curation_added" in rec for rec in lines)  # provenance is in the manifest only
    assert lines[-1]["id"] == added[0]["id"] == f"added-{added[0]['decision_id']}"
    assert lines[-1]["messages"] == added[0]["messages"]
