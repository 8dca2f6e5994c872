"""The decision model (curation.decisions): one meaning everywhere, validated before it is
stored, idempotent, atomic, retractable; the CLI and the app agree on every status."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_app_fixture import build_workspace
from typer.testing import CliRunner

from curation import decisions as model
from curation import review
from curation.cli import app as cli
from curation.decisions import DecisionError
from curation.schema import Decision, Turn
from curation.store import ConflictError, Workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fx(tmp_path):
    return build_workspace(tmp_path, users=True)


def item(ws, ds, kind, viewer="ann"):
    return review.queue(ws, ds, kind, viewer, statuses=("open", "skipped", "voted", "disputed", "resolved")).items[0]


# validation -----------------------------------------------------------------------------------
PICK = {"keep_row": 3}
BAD_DECISIONS = [  # (action, rows, payload, finding, field named)
    ("delete", [3], {}, None, "action"),
    ("drop", [], {}, None, "rows"),
    ("drop", [99], {}, None, "rows"),
    ("drop", [-5], {}, None, "rows"),
    ("drop", ["3"], {}, None, "rows"),
    ("drop", [True], {}, None, "rows"),
    ("pick", [3, 4], {}, "con", "keep_row"),
    ("pick", [3, 4], {"keep_row": 7}, "con", "keep_row"),
    ("pick", [3, 4], {"keep_row": "3"}, "con", "keep_row"),
    ("merge", [0, 1, 2], {"keep_rows": [0, 9]}, "dup", "keep_rows"),
    ("merge", [0, 1, 2], {"keep_rows": []}, "dup", "keep_rows"),
    ("edit", [3], {}, None, "answer"),
    ("edit", [3], {"answer": "   "}, None, "answer"),
    ("edit", [3], {"answer": 12}, None, "answer"),
    ("edit", [], {"answer": "Yes."}, None, "rows"),
    ("pick", [3, 4], {"keep_row": 3, "answer": ["x"]}, "con", "answer"),
    ("add", [], {"messages": "Hi"}, None, "messages"),
    ("add", [], {"messages": []}, None, "messages"),
    ("add", [], {"messages": [{"role": "tool", "content": "x"}]}, None, "messages[0].role"),
    ("add", [], {"messages": [{"role": "user", "content": 5}]}, None, "messages[0].content"),
    ("add", [], {"messages": [{"role": "assistant", "content": "only an answer"}]}, None, "messages"),
    ("add", [3], {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}, None, "rows"),
    ("undo", [], {}, None, "undoes"),
    ("skip", [], {}, None, "finding_id"),
    ("judge", [], {"kind": "other"}, None, "payload.kind"),
    ("keep", [3], {}, "con-000000000000", "finding_id"),
]


@pytest.mark.parametrize(
    "action, rows, payload, finding, field",
    BAD_DECISIONS,
    ids=[f"{a}-{f}-{i}" for i, (a, _, _, _, f) in enumerate(BAD_DECISIONS)],
)
def test_a_bad_decision_is_refused_naming_its_field_and_nothing_is_stored(fx, action, rows, payload, finding, field):
    ws, ds = fx
    fids = {f.kind[:3]: f.finding_id for f in ws.findings(ds)}
    fid = fids.get(finding, finding)
    before = ws.decisions(ds)
    with pytest.raises(DecisionError) as err:
        ws.record_decision(ds, action, "ann", rows, fid, payload)
    assert field in [p.field for p in err.value.problems], err.value.problems
    assert ws.decisions(ds) == before


def test_every_problem_reads_as_one_line():
    p = model.Problem("keep_row", "7 is not among the rows [3, 4]")
    assert str(p) == "field 'keep_row': 7 is not among the rows [3, 4]" and "\n" not in str(p)


# one meaning everywhere --------------------------------------------------------------------------
def cli_statuses(ws: Workspace) -> dict[str, str]:
    out = CliRunner().invoke(cli, ["findings", "-w", str(ws.root), "--json", "--limit", "0"])
    assert out.exit_code == 0, out.output
    return {json.loads(x)["finding_id"]: json.loads(x)["status"] for x in out.output.splitlines() if x.strip()}


def app_statuses(ws: Workspace, ds: int) -> dict[str, str]:
    """What the app's queues show: each status filter of the queue pages, for no one viewer."""
    out = {}
    for status in ("open", "skipped", "voted", "disputed", "resolved"):
        page = review.queue(ws, ds, None, None, statuses=(status,), page_size=1000)
        out.update({i.finding.finding_id: i.state.status for i in page.items})
        assert all(i.state.status == status for i in page.items)
    return out


def test_keep_then_skip_is_resolved_for_the_cli_and_the_app(fx):
    ws, ds = fx
    it = item(ws, ds, "duplicate")
    review.decide(ws, ds, it.finding.finding_id, it.state.version, "keep", it.finding.rows, {}, "ann", "annotator")
    fresh = review.load_items(ws, ds, [it.finding.finding_id])[0]
    with pytest.raises(DecisionError, match="already resolved"):
        review.decide(ws, ds, it.finding.finding_id, fresh.state.version, "skip", (), {}, "ann", "annotator")
    assert cli_statuses(ws)[it.finding.finding_id] == app_statuses(ws, ds)[it.finding.finding_id] == "resolved"


def test_one_row_now_applies_the_decisions_that_name_other_rows_too(fx):
    """The Example browser opens one row: a pick over rows it shares with others must apply."""
    ws, ds = fx
    it = item(ws, ds, "contradiction")
    a, b = it.finding.rows[:2]
    review.decide(
        ws,
        ds,
        it.finding.finding_id,
        it.state.version,
        "pick",
        it.finding.rows,
        {"keep_row": a, "answer": "The corrected answer."},
        "ann",
        "annotator",
    )
    ledger = ws.ledger(ds)
    fetch = lambda rows: ws.examples(ds, rows=rows)  # noqa: E731
    assert ledger.related_rows(b) == sorted(it.finding.rows)
    assert ledger.current(b, fetch).status == "dropped"
    now = ledger.current(a, fetch)
    assert now.status == "edited" and now.turns[-1].content == "The corrected answer."
    whole = {c.row: c.status for c in ledger.curated(ws.examples(ds))}
    assert whole[a] == "edited" and whole[b] == "dropped"


def reference_rows(examples, events):
    """A slow, independent reading of the decision model: per row, scan every live event."""
    withdrawn = {e.undoes for e in events if e.action in ("undo", "retract")}
    live = [
        e for e in sorted(events, key=lambda e: e.id) if e.action not in ("undo", "retract") and e.id not in withdrawn
    ]
    out = {}
    for ex in examples:
        text, edited, last = ex.turns, False, None
        for e in live:
            if e.action not in ("keep", "drop", "edit", "pick", "merge") or ex.row not in e.rows:
                continue
            keeps = e.payload.get("keep_rows") or ([e.payload["keep_row"]] if "keep_row" in e.payload else [])
            changes_text = e.action == "edit" or (
                e.action in ("pick", "merge") and ex.row in keeps and ("answer" in e.payload or "messages" in e.payload)
            )
            if changes_text:
                if e.payload.get("messages"):
                    text = tuple(Turn(m["role"], m["content"]) for m in e.payload["messages"])
                else:
                    text = text[:-1] + (Turn("assistant", e.payload["answer"]),)
                edited = True
            if e.action != "edit":
                last = e.action == "keep" or (e.action in ("pick", "merge") and ex.row in keeps)
            elif last is None:
                last = True
        status = "unchanged" if last is None else "dropped" if not last else "edited" if edited else "kept"
        out[ex.row] = (status, text)
    added = [tuple(Turn(m["role"], m["content"]) for m in e.payload["messages"]) for e in live if e.action == "add"]
    return out, added


ACTORS = ("ann", "bob", "cora")
decide = st.tuples(
    st.just("decide"),
    st.sampled_from(ACTORS),
    st.integers(0, 7),
    st.sampled_from(["keep", "drop", "merge", "pick", "pick+edit", "edit", "skip", "add"]),
    st.integers(0, 5),
)
step = st.one_of(  # decisions three times as often as undos and retractions
    decide,
    decide,
    decide,
    st.tuples(st.just("undo"), st.sampled_from(ACTORS), st.just(0), st.just(""), st.just(0)),
    st.tuples(st.just("retract"), st.sampled_from(("cora", "ann")), st.integers(0, 30), st.just(""), st.just(0)),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    ws, ds = build_workspace(root, users=True)
    ws.engine.dispose()
    return root / "ws", ds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_random_decisions_undos_and_retractions_mean_one_thing_everywhere(template, tmp_path_factory, steps):
    src, ds = template
    root = tmp_path_factory.mktemp("case") / "ws"
    shutil.copytree(src, root)
    ws = Workspace(root)
    findings = ws.findings(ds)
    for op, actor, n, action, k in steps:
        role = "curator" if actor == "cora" else "annotator"
        try:
            if op == "undo":
                review.undo_last(ws, ds, actor)
            elif op == "retract":
                live = ws.ledger(ds).live
                if live:
                    review.retract(ws, ds, live[n % len(live)].id, actor, role, "wrong call")
            else:
                f = findings[n % len(findings)]
                rows = list(f.rows) or [k % 14]
                payload = {}
                if action in ("merge", "pick", "pick+edit"):
                    payload["keep_row"] = rows[k % len(rows)]
                if action in ("edit", "pick+edit"):
                    payload["answer"] = f"Answer {k} from {actor}."
                    rows = rows if action == "pick+edit" else rows[:1]
                if action == "add":
                    rows, payload = (
                        [],
                        {
                            "messages": [
                                {"role": "user", "content": f"Q{k}?"},
                                {"role": "assistant", "content": f"A{k}."},
                            ]
                        },
                    )
                version = ws.ledger(ds).item(f.finding_id).version
                review.decide(
                    ws,
                    ds,
                    f.finding_id,
                    version,
                    "pick" if action == "pick+edit" else action,
                    rows,
                    payload,
                    actor,
                    role,
                )
        except DecisionError:
            pass  # refused before anything was stored (e.g. a skip on a resolved item, a retracted retraction)
    assert cli_statuses(ws) == {f.finding_id: app_statuses(ws, ds).get(f.finding_id) for f in findings}
    examples = ws.examples(ds)
    events = ws.decisions(ds)
    got = model.derive(examples, events)
    want, added = reference_rows(examples, events)
    assert {r.row: (r.status, r.turns) for r in got if r.row is not None} == want
    assert [r.turns for r in got if r.row is None] == added
    ws.engine.dispose()


# idempotency, atomicity, retraction -------------------------------------------------------------
def test_a_key_already_stored_records_nothing(fx):
    ws, ds = fx
    d = Decision(0, ds, "drop", "ann", (12,), None, {}, "too short", 0.0, key="file:abc:1")
    first = ws.record(ds, [d, Decision(0, ds, "keep", "ann", (9,), None, {}, "", 0.0, key="file:abc:2")])
    again = ws.record(ds, [d])
    assert (first.new, again.new, again.existing) == (2, 0, 1) and again.ids == first.ids[:1]
    assert len(ws.decisions(ds)) == 2


def test_a_double_click_on_the_same_item_records_once(fx):
    ws, ds = fx
    it = item(ws, ds, "contradiction")
    args = (
        ws,
        ds,
        it.finding.finding_id,
        it.state.version,
        "pick",
        it.finding.rows,
        {"keep_row": it.finding.rows[0], "answer": "The Pro plan costs $12 per month."},
        "ann",
        "annotator",
    )
    assert review.decide(*args) == review.decide(*args)  # the retry finds its own first click
    assert len(ws.decisions(ds)) == 1


def test_two_reviewers_on_one_compound_action_one_wins_the_other_sees_a_conflict(fx):
    ws, ds = fx
    it = item(ws, ds, "contradiction")
    fid, rows, v = it.finding.finding_id, it.finding.rows, it.state.version
    review.decide(ws, ds, fid, v, "pick", rows, {"keep_row": rows[0], "answer": "Pro is $12."}, "ann", "annotator")
    with pytest.raises(ConflictError):
        review.decide(ws, ds, fid, v, "pick", rows, {"keep_row": rows[1], "answer": "Pro is $15."}, "bob", "annotator")
    (d,) = ws.decisions(ds)
    assert d.actor == "ann" and d.payload["answer"] == "Pro is $12."


KILLER = """
import sys, time
from curation import review
from curation.store import Workspace
ws = Workspace(sys.argv[1]); ds = int(sys.argv[2]); fid = sys.argv[3]; rows = [int(r) for r in sys.argv[4].split(",")]
print("ready", flush=True)
n = 0
while True:
    n += 1
    version = ws.ledger(ds).item(fid).version
    review.decide(ws, ds, fid, version, "pick", rows, {"keep_row": rows[n % 2], "answer": f"Answer {n}."},
                  "ann", "annotator")
    review.undo_last(ws, ds, "ann")
"""


@pytest.mark.slow  # long (training or kill -9): the slow suite, run in CI
def test_a_killed_compound_action_leaves_all_of_it_or_none(fx, tmp_path):
    ws, ds = fx
    it = item(ws, ds, "contradiction")
    rows = ",".join(map(str, it.finding.rows))
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for delay in (0.4, 0.9, 1.5):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(ws.root), str(ds), it.finding.finding_id, rows],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    events = Workspace(ws.root).decisions(ds)
    picks = [e for e in events if e.action == "pick"]
    assert picks and all(set(e.payload) == {"keep_row", "answer"} for e in picks)
    with sqlite3.connect(ws.root / "workspace.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows_now = {r.row: r for r in model.derive(ws.examples(ds), events)}
    live_picks = [e for e in Workspace(ws.root).ledger(ds).live if e.action == "pick"]
    if live_picks:  # the pick that stands carries its edit: never a pick without its answer
        last = live_picks[-1]
        kept = rows_now[last.payload["keep_row"]]
        assert kept.status == "edited" and kept.turns[-1].content == last.payload["answer"]


def test_a_curator_retracts_anyones_decision_and_an_annotator_cannot(fx):
    ws, ds = fx
    it = item(ws, ds, "duplicate")
    (did,) = review.decide(
        ws, ds, it.finding.finding_id, it.state.version, "drop", it.finding.rows, {}, "ann", "annotator"
    )
    with pytest.raises(DecisionError, match="curator"):
        review.retract(ws, ds, did, "bob", "annotator", "not a copy")
    with pytest.raises(DecisionError, match="only a curator"):
        ws.undo(ds, did, "bob")  # undo is for one's own decisions
    with pytest.raises(DecisionError, match="says why"):
        review.retract(ws, ds, did, "cora", "curator", "  ")
    rid = review.retract(ws, ds, did, "cora", "curator", "these are two different questions")
    retraction = ws.decision(rid)
    assert (retraction.action, retraction.undoes, retraction.actor) == ("retract", did, "cora")
    assert review.states(ws, ds)[it.finding.finding_id].status == "open"
    assert {r.status for r in model.derive(ws.examples(ds), ws.decisions(ds))} == {"unchanged"}
    with pytest.raises(DecisionError, match="already withdrawn"):
        review.retract(ws, ds, did, "cora", "curator", "again")
    with pytest.raises(DecisionError, match="itself a withdrawal"):
        review.retract(ws, ds, rid, "root", "admin", "undo the retraction")


def test_a_stored_decision_that_cannot_be_applied_is_reported_never_raised(fx, tmp_path):
    """A decision an older version stored without checking (an edit without an answer):
    export and the pages keep working and name it; retracting it clears the warning."""
    ws, ds = fx
    with sqlite3.connect(ws.root / "workspace.db") as conn:
        conn.execute(
            "INSERT INTO decisions (dataset_id, action, actor, role, rows_json, payload_json, reason, "
            "created_at) VALUES (?, 'edit', 'old', 'annotator', '[3]', '{}', '', 0)",
            (ds,),
        )
    (bad,) = ws.decisions(ds)
    from curation.workbench import export_dataset

    manifest = export_dataset(ws, ws.dataset(ds), tmp_path / "out.jsonl")
    assert manifest["unapplied"] == [{"decision_id": bad.id, "problem": manifest["unapplied"][0]["problem"]}]
    assert "answer" in manifest["unapplied"][0]["problem"] and manifest["n_out"] == 14
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "again.jsonl"), "-w", str(ws.root)])
    assert result.exit_code == 0 and f"decision {bad.id} was not applied" in result.output
    review.retract(ws, ds, bad.id, "cora", "curator", "an edit without its text")
    assert export_dataset(ws, ws.dataset(ds), tmp_path / "out2.jsonl")["unapplied"] == []
