"""Team mode, roles and the curator/admin pages (AppTest): sign-in, role checks on every
page, double-blind routing and adjudication, users, data import limits, model comparison."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import pytest
from pydantic import BaseModel, Field
from streamlit.testing.v1 import AppTest
from test_app_fixture import build_workspace, session_for

from app.lib import datamap, jobs, paths
from curation import review, workbench
from curation.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
RESTRICTED = {"data": "scan", "team": "adjudicate", "export": "export", "users": "manage_users"}


@pytest.fixture
def fx(tmp_path, monkeypatch):
    ws, ds = build_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.setenv("CURATE_TEAM_MODE", "1")
    return ws, ds


def signed_in(user: str | None, page: str = "overview") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        at.session_state["session_token"] = session_for(Workspace(os.environ["CURATE_WORKSPACE"]), user)
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_team_mode_without_sign_in_shows_only_the_login(fx):
    at = signed_in(None)
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric
    for page in ("overview", "duplicates", "export", "users"):
        with pytest.raises(ValueError, match="not a registered page|Could not find a navigation page"):
            at.switch_page(f"views/{page}.py")


@pytest.mark.parametrize("password, ok", [("ann-pw", True), ("wrong", False), ("", False)])
def test_sign_in_checks_the_password_hash(fx, password, ok):
    at = signed_in(None)
    at.text_input(key="login_name").input("ann")
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert (at.title[0].value != "Sign in") == ok
    assert ok or any("wrong password" in e.value for e in at.error)


@pytest.mark.parametrize(
    "user, visible",
    [
        ("ann", set()),
        ("cora", {"data", "team", "export"}),
        ("root", {"data", "team", "export", "users"}),
    ],
)
def test_navigation_shows_only_what_the_role_allows(fx, user, visible):
    at = signed_in(user)
    for page in RESTRICTED:
        if page in visible:
            at.switch_page(f"views/{page}.py")
        else:
            with pytest.raises(ValueError):
                at.switch_page(f"views/{page}.py")


@pytest.mark.parametrize("page", sorted(RESTRICTED))
def test_every_restricted_page_checks_the_role_itself(fx, page):
    ws, _ = fx
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import runpy
from app.components.context import Ctx, open_workspace, set_current
ws = open_workspace({str(ws.root)!r})
set_current(Ctx(ws, ws.datasets(include_reference=False)[-1], "ann", "annotator", True))
runpy.run_path({str(ROOT / "app" / "views" / f"{page}.py")!r})
"""
    at = AppTest.from_string(script, default_timeout=60).run()
    assert any(f"does not allow this page ({RESTRICTED[page]})" in e.value for e in at.error)
    assert not at.button and not at.text_input


def test_an_annotator_reviews_but_sees_no_export_or_users(fx):
    ws, ds = fx
    at = signed_in("ann", "duplicates")
    at.button(key="dup_merge").click().run()
    (d,) = ws.decisions(ds)
    assert d.actor == "ann" and d.action == "merge"
    assert "ann" in at.sidebar.caption[-1].value and "annotator" in at.sidebar.caption[-1].value


def test_a_removed_role_takes_effect_at_once(fx):
    ws, _ = fx
    at = signed_in("cora", "export")
    ws.add_user("cora", "annotator", ws.user("cora")["password_hash"])
    at.run()
    assert not any(m.label == "Exported" for m in at.metric)


def test_blind_routing_and_adjudication(fx):
    ws, ds = fx
    at = signed_in("cora", "team")
    at.checkbox(key="team_blind").check()
    at.multiselect(key="team_annotators").set_value(["ann", "bob"])
    at.button[0].click().run()
    assert review.load_settings(ws, ds) == review.ReviewSettings(True, ("ann", "bob"))
    votes = {"ann": ("con_side_1", "pick"), "bob": ("con_drop", "drop")}
    for who, (button, _) in votes.items():
        signed_in(who, "contradictions").button(key=button).click().run()
    at = signed_in("cora", "team")
    assert {m.label: m.value for m in at.metric}["Items with two votes"] == "1"
    keys = [b.key for b in at.button if b.key and b.key.startswith("adj_")]
    assert len(keys) == 2
    at.button(key=next(k for k in keys if k.endswith("_bob"))).click().run()
    d = [d for d in ws.decisions(ds) if d.actor == "cora"]
    assert [x.action for x in d] == ["drop"] and "bob" in d[0].reason
    assert d[0].payload["agreed_by"] == ["bob"]  # the annotator whose vote was chosen gets the credit
    assert {p["person"]: p["drop"] for p in review.progress(ws, ds)}["bob"] == 1
    assert review.adjudication_queue(ws, ds).total == 0


def test_admin_adds_a_user(fx):
    ws, _ = fx
    at = signed_in("root", "users")
    at.text_input(key="user_name").input("dana")
    at.selectbox(key="user_role").select("curator")
    at.text_input(key="user_password").input("long-enough-pw")
    at.button[0].click().run()
    assert ws.user("dana")["role"] == "curator"
    at.text_input(key="user_name").input("eve")
    at.text_input(key="user_password").input("short")
    at.button[0].click().run()
    assert ws.user("eve") is None and any("at least 12 characters" in t.value for t in at.toast)


def test_data_page_ingests_only_from_allowed_folders(fx, tmp_path):
    ws, _ = fx
    inside = ws.root / "more.jsonl"
    inside.write_text(json.dumps({"instruction": "Say hi", "input": "", "output": "Hi!"}) + "\n")
    at = signed_in("cora", "data")
    at.text_input(key="data_path").input(str(tmp_path / "train.jsonl")).run()
    at.button(key="data_ingest_path").click().run()
    assert any("outside the allowed folders" in e.value for e in at.error)
    at.text_input(key="data_path").input("more.jsonl").run()
    at.button(key="data_ingest_path").click().run()
    assert any("Ingested more: 1 examples" in s.value.replace("\\", "") for s in at.success)


@pytest.mark.parametrize(
    "name, safe",
    [
        ("../../etc/passwd", "passwd"),
        (".hidden.jsonl", "hidden.jsonl"),
        ("my data (1).jsonl", "my-data-1-.jsonl"),
        ("", "export"),
    ],
)
def test_export_and_upload_names_stay_inside_their_folder(fx, name, safe):
    ws, _ = fx
    assert paths.export_path(ws, name) == ws.exports_dir / safe


def test_upload_size_is_limited(fx):
    ws, _ = fx
    with pytest.raises(paths.PathError, match="limit"):
        paths.upload_path(ws, "big.jsonl", (paths.MAX_UPLOAD_MB + 1) * 2**20)
    assert paths.upload_path(ws, "../x.jsonl", 10).parent == ws.root / "uploads"


def write_comparison(ws) -> Path:
    folder = ws.runs_dir / "compare-demo"
    folder.mkdir(parents=True)
    prompts = [
        {"id": f"p{i}", "prompt": f"How much is Notable Pro? ({i})", "reference": "$12 per month"} for i in range(3)
    ]
    (folder / "report.json").write_text(
        json.dumps(
            {
                "name": "compare-demo",
                "arms": ["base", "raw", "curated"],
                "metrics": {"raw": {"accuracy": 0.4}, "curated": {"accuracy": 0.7}},
                "prompts": prompts,
            }
        )
    )
    gens = [
        {"prompt_id": p["id"], "arm": arm, "output": f"{arm} says <i>${12 if arm == 'curated' else 15}</i>"}
        for p in prompts
        for arm in ("base", "raw", "curated")
    ]
    (folder / "generations.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gens))
    return folder


def test_compare_models_side_by_side_and_blind_judging(fx):
    ws, ds = fx
    write_comparison(ws)
    at = signed_in("ann", "compare")
    html = " ".join(h.value for h in at.html)
    assert "curated says &#60;i&#62;" in html and "<i>" not in html
    for _ in range(3):
        at.button(key="cmp_A").click().run()
        assert any("A was" in h.value for h in at.html)
    judged = [d for d in ws.decisions(ds) if d.action == "judge"]
    assert len(judged) == 3 and all(d.payload["kind"] == "ab" for d in judged)
    assert {frozenset((d.payload["left"], d.payload["right"])) for d in judged} == {frozenset(("raw", "curated"))}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Judgements"].startswith("3") and "Left answer won" in metrics
    assert any("judged every prompt" in s.value for s in at.success)
    at.button(key="cmp_undo_done").click().run()
    assert len([d for d in ws.decisions(ds) if d.action == "undo"]) == 1


class FakeSettings(BaseModel):
    """Stands in for curation.scan.ScanSettings: the page renders any pydantic settings model."""

    threshold: float = Field(0.9, description="similarity above which two rows are duplicates")


def test_scan_runs_as_a_background_job_with_persisted_progress(fx, monkeypatch):
    ws, ds = fx
    monkeypatch.setitem(sys.modules, "curation.scan", types.SimpleNamespace(ScanSettings=FakeSettings))
    seen = {}

    def fake_scan(ws_, dataset, reference, settings=None, progress=None, eval_set=None):
        for i in range(3):
            progress("embed", i + 1, 3)
        seen["settings"] = settings
        scan_id = ws_.add_scan(dataset.id, [], {"threshold": settings.threshold}, {"total": 0.01})
        return scan_id, [], {"total": 0.01}

    monkeypatch.setattr(workbench, "scan_dataset", fake_scan)
    at = signed_in("cora", "data")
    at.text_area(key="scan_settings").input('{"threshold": 0.8}')
    at.button(key="scan_start").click().run()
    assert any("Scan started" in s.value for s in at.success)
    jobs.wait(f"scan:{ws.root}:{ds}", 10)
    (run,) = ws.runs(kind="scan")
    assert run["status"] == "done" and run["metrics"]["scan_id"] == ws.latest_scan_id(ds)
    assert seen["settings"] == FakeSettings(threshold=0.8)
    at.text_area(key="scan_settings").input('{"threshold": "high"}')
    at.button(key="scan_start").click().run()
    assert any("Invalid settings" in e.value for e in at.error)


def test_a_running_job_reports_its_rate_and_time_left(fx, monkeypatch):
    ws, ds = fx
    now, real_time = [100.0], jobs.time.time
    monkeypatch.setattr(jobs.time, "time", lambda: now[0])
    report = jobs._reporter(ws, "scan-x", {"dataset": "train"}, "h", "scan")
    for t, done in ((100.0, 0), (101.0, 100), (102.0, 300)):  # the stage begins; 100 texts in 1 s; 300 in 2 s
        now[0] = t
        report("embed", done, 1000)
    (run,) = ws.runs(kind="scan")
    assert run["metrics"] == {"stage": "embed", "done": 300, "total": 1000, "rate": 150.0, "eta_s": 4.7}
    assert jobs.progress_text(run["metrics"]) == "embed · 300 of 1,000 · 150.0/s · about 5 s left"
    monkeypatch.setattr(jobs.time, "time", real_time)
    ws.record_run("scan-x", {"dataset": "train"}, "h", "running", run["metrics"], kind="scan")  # updated now
    at = signed_in("cora", "data")
    bars = [b.proto.text.replace("\\", "") for b in at.get("progress")]  # markdown-escaped
    assert any("150.0/s" in b and "about 5 s left" in b for b in bars), bars  # the Data & scans page
    assert "scan: embed · about 5 s left" in bars  # the sidebar, on every page


def test_a_failed_job_reports_why(fx):
    ws, _ = fx

    def boom(progress):
        progress("load", 0, 1)
        raise RuntimeError("the model folder is missing")

    jobs.start(ws, "scan", "boom", {"dataset": "train"}, "", boom)
    jobs.wait("boom", 10)
    (run,) = ws.runs(kind="scan")
    assert run["status"] == "failed" and "model folder is missing" in run["metrics"]["error"]
    at = signed_in("cora", "data")
    assert any("model folder is missing" in e.value for e in at.error)


def test_the_example_map_is_computed_once_and_cached(fx):
    ws, ds = fx
    signed_in("ann")
    signed_in("ann")
    assert len(ws.runs(kind="map")) == 1 and datamap.load(ws, ws.dataset(ds)) is not None


def test_messages_quoting_user_input_are_not_markdown(fx):
    at = signed_in("cora", "data")
    at.text_input(key="data_path").input("![pixel](http://evil.example/p.png) :red[x]").run()
    at.button(key="data_ingest_path").click().run()
    (err,) = at.error
    assert "\\!\\[pixel\\]\\(http\\:" in err.value and "\\:red\\[x\\]" in err.value
