"""The review workbench through streamlit.testing (AppTest): pages, decisions, safety.

Every test opens a fresh workspace built by ``test_app_fixture`` (no models, no network).
Local mode acts as an admin; team-mode and role tests are in test_app_roles.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_fixture import build_workspace

from app.lib import datamap
from curation import review
from curation.decisions import derive

APP = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
PAGES = [
    "overview",
    "duplicates",
    "contradictions",
    "gaps",
    "findings",
    "browser",
    "data",
    "team",
    "export",
    "compare",
    "users",
]


@pytest.fixture
def fx(tmp_path, monkeypatch):
    ws, ds = build_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.delenv("CURATE_TEAM_MODE", raising=False)
    monkeypatch.setenv("USER", "tester")
    return ws, ds


def open_page(page: str = "overview") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def mine(ws, ds, actor="tester"):
    undone = {d.undoes for d in ws.decisions(ds) if d.action == "undo"}
    return [d for d in ws.decisions(ds, actor=actor) if d.action != "undo" and d.id not in undone]


def statuses(ws, ds) -> dict:
    return {r.row: r.status for r in derive(ws.examples(ds), ws.decisions(ds))}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(fx, page):
    at = open_page(page)
    assert at.title and not at.error


def test_overview_shows_counts_map_and_coverage(fx):
    ws, ds = fx
    # the first view computes the map in the background and waits 3 s for it, which a busy
    # machine can miss (then the page says "Computing..."); compute it first so this test
    # checks the charts, not the race (test_app_roles covers the background job)
    datamap.compute(ws, ws.dataset(ds))
    at = open_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Examples"] == "14" and metrics["Findings"] == "8"
    assert len(at.get("plotly_chart")) == 4  # kinds, lengths, map, coverage
    assert not any("Computing" in i.value for i in at.info)


@pytest.mark.parametrize(
    "button, action, payload",
    [
        ("dup_merge", "merge", {"keep_row": 7}),
        ("dup_only_8", "merge", {"keep_row": 8}),
        ("dup_keep", "keep", {}),
        ("dup_drop", "drop", {}),
    ],
    ids=["merge", "keep-one", "keep-all", "drop-all"],
)
def test_duplicate_decisions(fx, button, action, payload):
    ws, ds = fx
    at = open_page("duplicates")
    at.button(key=button).click().run()
    (d,) = mine(ws, ds)
    assert (d.action, d.rows, {k: v for k, v in d.payload.items() if k != "group"}) == (action, (7, 8), payload)
    assert any("Recorded" in s.value for s in at.toast)
    assert at.selectbox(key="duplicate_focus").value != d.finding_id  # the next item is in focus


def test_duplicates_keep_several_and_note(fx):
    ws, ds = fx
    at = open_page("duplicates")
    group = review.queue(ws, ds, "duplicate", "tester").items[1].finding
    at.selectbox(key="duplicate_focus").select(group.finding_id).run()
    at.multiselect(key=f"dup_several_{group.finding_id}").set_value([0, 2]).run()
    at.text_input(key=f"duplicate_note_{group.finding_id}").input("row 1 is lower-cased").run()
    at.button(key="dup_keep_several").click().run()
    (d,) = mine(ws, ds)
    assert d.payload["keep_rows"] == [0, 2] and d.reason == "row 1 is lower-cased"
    assert statuses(ws, ds)[1] == "dropped" and statuses(ws, ds)[2] == "kept"


def test_duplicates_highlight_differences_escaped(fx):
    at = open_page("duplicates")
    group = review.queue(fx[0], fx[1], "duplicate", "tester").items[1].finding
    at.selectbox(key="duplicate_focus").select(group.finding_id).run()
    bodies = " ".join(h.value for h in at.html)
    assert "★ representative" in bodies and '<mark class="cw-diff">' in bodies
    assert "semantic · reworded · similarity 0&#46;91" in bodies  # "." is escaped too


@pytest.mark.parametrize(
    "button, action, keep",
    [
        ("con_side_1", "pick", [3]),
        ("con_side_2", "pick", [4]),
        ("con_drop", "drop", None),
        ("con_keep", "keep", None),
        ("con_other", "keep", None),
    ],
)
def test_contradiction_decisions(fx, button, action, keep):
    ws, ds = fx
    open_page("contradictions").button(key=button).click().run()
    (d,) = mine(ws, ds)
    assert d.action == action and d.rows == (3, 4) and d.payload.get("keep_rows") == keep
    assert d.payload["covers"] == [
        review.queue(ws, ds, "contradiction", "x", statuses=("resolved",)).items[0].finding.finding_id
    ]


def test_a_finding_shows_its_rules_and_the_queue_filters_by_rule(fx):
    at = open_page("contradictions")
    captions = " ".join(c.value for c in at.caption)
    assert "contra.number_mismatch" in captions and "a number one text gives is missing" in captions
    rule = at.selectbox(key="contradiction_rule")
    assert rule.options[0] == "any rule" and any("contra.claim_words (1)" in o for o in rule.options)
    rule.select("contra.claim_words").run()
    assert not at.exception
    (only,) = at.selectbox(key="contradiction_focus").options
    assert "device limit" in only
    captions = " ".join(c.value for c in at.caption)
    assert "contra.claim_words" in captions and "contra.number_mismatch" not in captions
    assert "1 item(s)" in captions


def test_a_finding_explains_its_pair_as_curate_explain_does(fx):
    at = open_page("contradictions")
    item = review.queue(fx[0], fx[1], "contradiction", "tester").items[0].finding
    at.button(key=f"explain_{item.finding_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (shown,) = [c.value for c in at.code]
    assert shown.startswith(f"rows {item.rows[0]} and {item.rows[1]}") and "contradiction" in shown
    assert f"latest scan: {item.finding_id}" in shown
    assert not mine(*fx)  # explaining records nothing


def test_contradiction_edit_one_into_the_right_answer(fx):
    ws, ds = fx
    at = open_page("contradictions")
    fid = at.selectbox(key="contradiction_focus").value
    at.selectbox(key=f"con_target_{fid}").select(4).run()
    at.text_area(key=f"con_edit_{fid}_4").input("Notable Pro costs $12 per month, billed monthly.").run()
    at.button(key="con_save_edit").click().run()
    assert [d.action for d in mine(ws, ds)] == ["pick"]  # one event: the pick carries the edit
    rows = {r.row: r for r in derive(ws.examples(ds), ws.decisions(ds))}
    assert rows[3].status == "dropped" and rows[4].status == "edited"
    assert rows[4].turns[-1].content.startswith("Notable Pro costs $12")
    at.button(key="contradiction_undo").click().run()  # one undo withdraws the pick and its edit
    assert mine(ws, ds) == [] and set(statuses(ws, ds).values()) == {"unchanged"}


def test_gap_add_writes_an_example_marked_added(fx):
    ws, ds = fx
    at = open_page("gaps")
    fid = at.selectbox(key="coverage_gap_focus").value
    assert at.text_area(key=f"gap_prompt_{fid}").value == "Can I share a notebook with my team?"
    at.button(key="gap_add").click().run()  # no answer yet: refused
    assert mine(ws, ds) == [] and any("needs a user request and an answer" in e.value for e in at.toast)
    at.text_area(key=f"gap_answer_{fid}").input("Yes: open the notebook, click Share and invite them by email.")
    at.button(key="gap_add").click().run()
    (d,) = mine(ws, ds)
    assert d.action == "add" and d.finding_id == fid and d.payload["messages"][-1]["role"] == "assistant"
    added = [r for r in derive(ws.examples(ds), ws.decisions(ds)) if r.status == "added"]
    assert len(added) == 1 and added[0].turns[0].content == "Can I share a notebook with my team?"
    at.switch_page("views/browser.py").run()  # an added example must not disturb opening a row
    assert not at.exception and at.selectbox(key="br_open").value == 0


def test_a_gap_stays_open_until_each_reference_prompt_is_covered(fx):
    """One example covers one of the collaboration gap's two prompts: the page says '1 of 2
    covered', keeps the gap in the queue and offers the other prompt; the second closes it."""
    ws, ds = fx
    at = open_page("gaps")
    fid = at.selectbox(key="coverage_gap_focus").value
    assert any("0 of 2 covered" in str(p.proto) for p in at.get("progress"))
    at.text_area(key=f"gap_answer_{fid}").input("Yes: open the notebook, click Share and invite them.")
    at.button(key="gap_add").click().run()
    assert not at.exception
    assert at.selectbox(key="coverage_gap_focus").value == fid  # still this gap, still open
    assert any("1 of 2 covered" in str(p.proto) for p in at.get("progress"))
    assert at.text_area(key=f"gap_prompt_{fid}").value == "How do I invite a colleague to edit a note?"
    assert review.states(ws, ds)[fid].status == "open"
    assert review.queue(ws, ds, "coverage_gap", "tester").total == 2
    at.text_area(key=f"gap_answer_{fid}").input("Click Share, type their email and choose 'can edit'.")
    at.button(key="gap_add").click().run()
    assert review.states(ws, ds)[fid].status == "resolved"
    assert review.queue(ws, ds, "coverage_gap", "tester").total == 1


def test_gap_accepted_without_examples(fx):
    ws, ds = fx
    open_page("gaps").button(key="gap_accept").click().run()
    (d,) = mine(ws, ds)
    assert d.action == "keep" and d.rows == ()
    assert review.queue(ws, ds, "coverage_gap", "tester").total == 1


def test_skip_comes_back_later_next_moves_and_undo(fx):
    ws, ds = fx
    at = open_page("duplicates")
    top = at.selectbox(key="duplicate_focus").value
    at.button(key="duplicate_skip").click().run()
    queue = review.queue(ws, ds, "duplicate", "tester")
    assert [i.finding.finding_id for i in queue.items] == [at.selectbox(key="duplicate_focus").value, top]
    assert queue.items[-1].state.status == "skipped"  # it comes back after the open one
    at.button(key="duplicate_next").click().run()
    assert at.selectbox(key="duplicate_focus").value == top
    at.button(key="duplicate_undo").click().run()
    assert mine(ws, ds) == [] and any("Undid" in i.value for i in at.toast)


def test_conflict_shows_that_the_item_changed_and_lets_choose_again(fx):
    ws, ds = fx
    at = open_page("duplicates")
    item = review.queue(ws, ds, "duplicate", "tester").items[0]
    review.decide(
        ws, ds, item.finding.finding_id, item.state.version, "drop", item.finding.rows, {}, "bob", "annotator"
    )  # someone else decides while the page is open
    at.button(key="dup_merge").click().run()
    assert mine(ws, ds) == []
    assert any("changed since you opened it" in w.value and "bob" in w.value for w in at.toast)
    assert at.selectbox(key="duplicate_focus").value == item.finding.finding_id  # shown again, fresh
    cards = " ".join(h.value for h in at.html)
    assert "dropped · by bob on dup&#45;" in cards  # each card says what its row has become
    at.button(key="dup_merge").click().run()  # merging would bring back row 7, which bob dropped: ask first
    assert mine(ws, ds) == []
    (question,) = [w.value for w in at.warning if "turn around earlier decisions" in w.value]
    assert "restore row 7" in question.replace("\\", "") and "bob" in question
    at.button(key="duplicate_confirm").click().run()
    assert [d.action for d in mine(ws, ds)] == ["merge"]
    assert statuses(ws, ds)[7] == "kept" and statuses(ws, ds)[8] == "dropped"


def test_a_reversal_can_be_cancelled(fx):
    ws, ds = fx
    at = open_page("duplicates")
    at.button(key="dup_drop").click().run()  # drop both rows of the first group
    at.selectbox(key="duplicate_status").select("resolved").run()
    at.button(key="dup_keep").click().run()  # keep all would bring both back
    assert any("turn around earlier decisions" in w.value for w in at.warning)
    at.button(key="duplicate_cancel").click().run()
    assert [d.action for d in mine(ws, ds)] == ["drop"] and not any("turn around" in w.value for w in at.warning)


@pytest.mark.parametrize(
    "kind, button, action",
    [
        ("leakage", "leakage_drop", "drop"),
        ("leakage", "leakage_keep", "keep"),
        ("quality", "quality_drop", "drop"),
    ],
)
def test_other_findings(fx, kind, button, action):
    ws, ds = fx
    at = open_page("findings")
    at.segmented_control(key="other_kind").set_value(kind).run()
    at.button(key=button).click().run()
    (d,) = mine(ws, ds)
    assert d.action == action and ws.finding(ds, d.finding_id).kind == kind


def test_other_findings_edit(fx):
    ws, ds = fx
    at = open_page("findings")
    at.segmented_control(key="other_kind").set_value("quality").run()
    fid = at.selectbox(key="quality_focus").value
    at.text_area(key=f"quality_edit_{fid}").input("Okay, I have noted that.").run()
    at.button(key="quality_save_edit").click().run()
    rows = {r.row: r for r in derive(ws.examples(ds), ws.decisions(ds))}
    assert rows[12].status == "edited" and rows[12].turns[-1].content == "Okay, I have noted that."


def test_example_text_is_always_escaped(fx):
    at = open_page("browser")
    at.selectbox(key="br_open").select(11).run()
    html = " ".join(h.value for h in at.html)
    assert "&#60;script&#62;" in html and "<script" not in html and "<b>" not in html
    assert "&#91;alert&#93;" in html  # a Streamlit colour directive stays text
    markdown = " ".join(m.value for m in at.markdown)
    assert "evil.example" not in markdown and "alert" not in markdown


def test_browser_filters_and_history(fx):
    at = open_page("duplicates")
    at.button(key="dup_merge").click().run()
    at.switch_page("views/browser.py").run()
    at.text_input(key="br_search").input("password").run()
    assert at.dataframe[0].value["row"].tolist() == [0, 1, 2]
    at.text_input(key="br_search").input("").run()
    at.selectbox(key="br_status").select("dropped").run()
    assert at.dataframe[0].value["row"].tolist() == [8]
    history = at.dataframe[1].value
    assert history["action"].tolist() == ["merge"] and history["who"].tolist() == ["tester"]
    at.selectbox(key="br_status").select("any").run()
    at.selectbox(key="br_category").select("billing").run()
    assert at.dataframe[0].value["row"].tolist() == [3, 4]
    at.selectbox(key="br_category").select("any").run()
    at.selectbox(key="br_kind").select("leakage").run()
    assert at.dataframe[0].value["row"].tolist() == [13]


def test_export_shows_the_plan_then_writes_inside_exports(fx):
    ws, _ = fx
    at = open_page("duplicates")
    at.button(key="dup_merge").click().run()
    at.switch_page("views/export.py").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Source examples"] == "14" and metrics["Exported"] == "13" and metrics["Dropped"] == "1"
    assert "dropped: merged onto row 7" in at.dataframe[0].value["change"].tolist()
    at.text_input(key="exp_name_jsonl").input("../../escape.jsonl").run()
    at.button(key="exp_write").click().run()
    out = ws.exports_dir / "escape.jsonl"
    assert out.is_file() and not (ws.root.parent / "escape.jsonl").exists()
    assert len(out.read_text().splitlines()) == 13 and Path(f"{out}.manifest.json").is_file()
    assert any("Wrote 13 of 14" in s.value for s in at.success)


@pytest.mark.parametrize(
    "fmt, name", [("parquet", "train-curated.parquet"), ("csv", "train-curated.csv"), ("hf", "train-curated")]
)
def test_export_formats(fx, fmt, name):
    ws, _ = fx
    at = open_page("export")
    at.selectbox(key="exp_format").select(fmt).run()
    at.button(key="exp_write").click().run()
    assert (ws.exports_dir / name).exists() and (ws.exports_dir / f"{name}.manifest.json").is_file()


def test_a_refresh_or_restart_loses_nothing(fx):
    first = open_page("duplicates")
    first.button(key="dup_merge").click().run()
    first.switch_page("views/gaps.py").run()
    fid = first.selectbox(key="coverage_gap_focus").value
    first.text_area(key=f"gap_answer_{fid}").input("Share it from the Share button.")
    first.button(key="gap_add").click().run()
    again = open_page()  # a new browser session: nothing of the first one's memory
    metrics = {m.label: m.value for m in again.metric}
    # the example covers one of the gap's two reference prompts: the gap stays open
    assert metrics["Resolved"] == "1" and metrics["Open"] == "7"
    ws, ds = fx
    assert [d.action for d in ws.decisions(ds)].count("add") == 1
    again.switch_page("views/duplicates.py").run()
    assert any(c.value.startswith("1 item(s)") for c in again.caption)


def test_a_curator_retracts_a_decision_from_the_example_browser(fx):
    ws, ds = fx
    review.decide(
        ws,
        ds,
        review.queue(ws, ds, "duplicate", "bob").items[0].finding.finding_id,
        0,
        "drop",
        (7, 8),
        {},
        "bob",
        "annotator",
    )  # someone else's decision
    at = open_page("browser")
    at.selectbox(key="br_open").select(7).run()
    (bob,) = [d for d in ws.decisions(ds) if d.actor == "bob"]
    at.selectbox(key="br_retract_id_7").select(bob.id).run()
    at.text_input(key="br_retract_why_7").input("the two rows are one question, keep one").run()
    at.button(key="br_retract").click().run()
    assert any(f"Retracted decision {bob.id}" in t.value for t in at.toast)
    retraction = ws.decisions(ds)[-1]
    assert (retraction.action, retraction.undoes, retraction.actor) == ("retract", bob.id, "tester")
    assert statuses(ws, ds)[7] == statuses(ws, ds)[8] == "unchanged"
    assert "retract by tester" in at.dataframe[1].value["withdrawn"].tolist()


def test_a_resolved_item_offers_no_skip(fx):
    ws, ds = fx
    at = open_page("duplicates")
    at.button(key="dup_keep").click().run()
    at.selectbox(key="duplicate_status").select("resolved").run()
    assert at.button(key="duplicate_skip").disabled


def test_every_page_stays_usable_with_a_stored_decision_that_cannot_be_applied(fx):
    """Written by an older version without checks: an edit with no answer, a merge whose kept
    row is not among its rows. Pages name them; none shows a traceback."""
    import sqlite3

    ws, ds = fx
    with sqlite3.connect(ws.root / "workspace.db") as conn:
        for action, rows, payload in (("edit", "[3]", "{}"), ("merge", "[0, 1]", '{"keep_row": "x"}')):
            conn.execute(
                "INSERT INTO decisions (dataset_id, action, actor, role, rows_json, payload_json, reason, "
                "created_at) VALUES (?, ?, 'old', 'annotator', ?, ?, '', 0)",
                (ds, action, rows, payload),
            )
    for page in PAGES:
        at = open_page(page)
        assert not at.exception
    at = open_page("export")
    warned = " ".join(w.value for w in at.warning)
    assert "Decision 1 is not applied" in warned and "Decision 2 is not applied" in warned
    at.button(key="exp_write").click().run()
    assert not at.exception and any("Wrote 14 of 14" in s.value for s in at.success)


def test_the_browser_drops_restores_and_edits_any_row(fx):
    ws, ds = fx
    at = open_page("browser")
    at.selectbox(key="br_open").select(9).run()  # "Where do deleted notes go?": no finding names it
    at.button(key="br_drop").click().run()
    assert statuses(ws, ds)[9] == "dropped"
    assert "dropped" in " ".join(h.value for h in at.html) and at.button(key="br_restore").disabled is False
    at.button(key="br_restore").click().run()
    assert statuses(ws, ds)[9] == "kept"
    at.text_area(key="br_edit_9").input("Deleted notes stay in Trash for 60 days.").run()
    at.button(key="br_save_edit").click().run()
    rows = {r.row: r for r in derive(ws.examples(ds), ws.decisions(ds))}
    assert rows[9].status == "edited" and rows[9].turns[-1].content.endswith("60 days.")
    cards = " ".join(h.value for h in at.html)
    assert "60 days" in cards and "the text as edited" in cards  # the current text, not the original
    history = at.dataframe[1].value
    assert history["action"].tolist() == ["drop", "keep", "edit"]
    at.button(key="br_undo").click().run()
    assert statuses(ws, ds)[9] == "kept"


def test_the_browser_bulk_drops_a_search_and_one_undo_restores_it(fx):
    ws, ds = fx
    at = open_page("browser")
    at.text_input(key="br_search").input("password").run()
    at.button(key="br_bulk_drop").click().run()
    assert [statuses(ws, ds)[r] for r in (0, 1, 2)] == ["dropped"] * 3
    at.button(key="br_undo").click().run()
    assert set(statuses(ws, ds).values()) == {"unchanged"}


def test_the_browser_finds_misspelled_text(fx):
    at = open_page("browser")
    at.text_input(key="br_search").input("pasword").run()
    assert not at.dataframe  # the exact search finds nothing
    at.checkbox(key="br_fuzzy").check().run()
    assert set(at.dataframe[0].value["row"].tolist()) == {0, 1, 2}


def test_a_finding_whose_rows_were_decided_elsewhere_leaves_the_queue_as_settled(fx):
    ws, ds = fx
    review.decide_rows(ws, ds, "drop", [4], {}, "bob", "annotator", reason="outdated price")
    review.decide_rows(ws, ds, "keep", [3], {}, "bob", "annotator")
    at = open_page("contradictions")
    pro = next(f for f in ws.findings(ds) if set(f.rows) == {3, 4})
    assert pro.finding_id not in [o for o in at.selectbox(key="contradiction_focus").options]
    at.selectbox(key="contradiction_status").select("settled elsewhere").run()
    assert at.selectbox(key="contradiction_focus").value == pro.finding_id
    assert "settled by decisions elsewhere" in " ".join(c.value for c in at.caption)


def _disagreement_workspace(tmp_path):
    """Five rows about one fact (three say $12, two say $15) and three pairwise findings."""
    import json

    from curation.schema import Finding
    from curation.store import Workspace
    from curation.workbench import ingest_file

    qs = [
        "How much is Pro?",
        "What does Pro cost per month?",
        "Price of the Pro plan?",
        "Pro price?",
        "Tell me the Pro plan price.",
    ]
    answers = [
        "Pro is $12 per month.",
        "It costs $12 a month.",
        "$12 per month.",
        "Pro is $15 per month.",
        "The Pro plan is $15 monthly.",
    ]
    data = tmp_path / "pro.jsonl"
    data.write_text("".join(json.dumps({"prompt": q, "response": a}) + "\n" for q, a in zip(qs, answers)))
    ws = Workspace(tmp_path / "ws")
    ds, _, _ = ingest_file(ws, data)
    sides = {"0": "$12 per", "1": "$12 a", "2": "$12 per", "3": "$15 per", "4": "$15 monthly"}
    labels = {"0": "12", "1": "12", "2": "12", "3": "15", "4": "15"}
    ev = {
        "disagreement": "dis-pro",
        "disagreement_rows": [0, 1, 2, 3, 4],
        "sides": labels,
        "conflicts": ["different numbers: 12 vs 15"],
    }
    findings = [
        Finding("contradiction", "contradiction", p, 0.9 - n / 100, f"Rows {p[0]} and {p[1]} differ.", ev)
        for n, p in enumerate([(0, 3), (1, 4), (2, 3)])
    ]
    ws.add_scan(ds.id, findings, settings={}, timings={"total": 0.0})
    assert sides  # the labels the detector would write are the asserted values
    return ws, ds.id


def test_a_disagreement_is_one_item_and_one_decision_settles_every_pair(tmp_path, monkeypatch):
    ws, ds = _disagreement_workspace(tmp_path)
    monkeypatch.setenv("CURATE_WORKSPACE", str(ws.root))
    monkeypatch.delenv("CURATE_TEAM_MODE", raising=False)
    at = open_page("contradictions")
    assert len(at.selectbox(key="contradiction_focus").options) == 1  # three pairs, one item
    headers = " ".join(m.value for m in at.markdown)
    assert "Side 1: 12" in headers and "3 row(s)" in headers and "Side 2: 15" in headers and "2 row(s)" in headers
    at.button(key="con_side_1").click().run()
    (d,) = ws.decisions(ds)
    assert d.action == "pick" and d.payload["keep_rows"] == [0, 1, 2] and len(d.payload["covers"]) == 3
    assert {r.row: r.status for r in derive(ws.examples(ds), ws.decisions(ds))} == {
        0: "kept",
        1: "kept",
        2: "kept",
        3: "dropped",
        4: "dropped",
    }
    assert {s.status for s in review.states(ws, ds).values()} == {"resolved"}
    assert at.success and "Nothing left here" in at.success[0].value
