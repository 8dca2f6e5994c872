"""curation.review: queues, skips, conflicts, undo, blind routing, agreement, A/B statistics."""

from __future__ import annotations

import pytest
from test_app_fixture import build_workspace

from curation import agreement, review
from curation.curate import derive
from curation.store import ConflictError


@pytest.fixture
def fx(tmp_path):
    return build_workspace(tmp_path, users=False)


def ids(page: review.QueuePage) -> list[str]:
    return [i.finding.finding_id for i in page.items]


def first(ws, ds, kind, viewer="ann", **kw) -> review.QueueItem:
    return review.queue(ws, ds, kind, viewer, **kw).items[0]


def test_queue_orders_by_score_and_pages(fx):
    ws, ds = fx
    everything = review.queue(ws, ds, None, "ann", page_size=100)
    scores = [i.finding.score for i in everything.items]
    assert everything.total == 8 and scores == sorted(scores, reverse=True)
    pages = [ids(review.queue(ws, ds, None, "ann", page=p, page_size=3)) for p in (1, 2, 3)]
    assert [fid for page in pages for fid in page] == ids(everything)
    assert review.queue(ws, ds, None, "ann", page_size=3).n_pages == 3


def test_queue_page_loads_examples_and_reference_prompts(fx):
    ws, ds = fx
    gap = first(ws, ds, "coverage_gap")
    assert sorted(gap.references) == [0, 1] and "share a notebook" in gap.references[0].user_request
    assert sorted(gap.examples) == [9, 10]
    dup = first(ws, ds, "duplicate")
    assert set(dup.examples) == set(dup.finding.rows)


@pytest.mark.parametrize(
    "search, expected",
    [
        ("password", 1),  # example text only
        ("PRO PRICE", 1),  # reason, case-insensitive
        ("$15", 1),  # evidence
        ("100%_literal", 0),  # LIKE wildcards are escaped
    ],
)
def test_search_looks_in_reason_evidence_and_example_text(fx, search, expected):
    ws, ds = fx
    assert review.queue(ws, ds, None, "ann", search=search).total == expected


def test_skipped_items_come_back_after_open_ones_for_that_viewer_only(fx):
    ws, ds = fx
    top = first(ws, ds, "contradiction")
    review.decide(ws, ds, top.finding.finding_id, top.state.version, "skip", (), {}, "ann", "annotator")
    mine = review.queue(ws, ds, "contradiction", "ann")
    assert ids(mine)[-1] == top.finding.finding_id and mine.items[-1].state.status == "skipped"
    assert ids(review.queue(ws, ds, "contradiction", "bob"))[0] == top.finding.finding_id
    assert review.queue(ws, ds, "contradiction", "ann", statuses=("skipped",)).total == 1


def test_a_stale_version_raises_conflict_and_the_fresh_one_wins(fx):
    ws, ds = fx
    item = first(ws, ds, "duplicate")
    fid, rows = item.finding.finding_id, item.finding.rows
    review.decide(ws, ds, fid, item.state.version, "merge", rows, {"keep_row": rows[0]}, "bob", "annotator")
    with pytest.raises(ConflictError):
        review.decide(ws, ds, fid, item.state.version, "keep", rows, {}, "ann", "annotator")
    fresh = review.load_items(ws, ds, [fid])[0]
    assert fresh.state.status == "resolved"
    review.decide(ws, ds, fid, fresh.state.version, "keep", rows, {}, "ann", "annotator")


def test_edit_into_the_right_answer_is_one_event_and_one_undo(fx):
    ws, ds = fx
    item = first(ws, ds, "contradiction")
    rows = item.finding.rows
    recorded = review.decide(
        ws,
        ds,
        item.finding.finding_id,
        item.state.version,
        "pick",
        rows,
        {"keep_row": rows[0], "answer": "The Pro plan costs $12."},
        "ann",
        "annotator",
    )
    assert len(recorded) == 1
    statuses = {r.row: r for r in derive(ws.examples(ds), ws.decisions(ds))}
    assert statuses[rows[0]].status == "edited" and statuses[rows[1]].status == "dropped"
    assert statuses[rows[0]].turns[-1].content == "The Pro plan costs $12."
    assert review.undo_last(ws, ds, "ann") == recorded
    assert {r.status for r in derive(ws.examples(ds), ws.decisions(ds))} == {"unchanged"}
    assert review.undo_last(ws, ds, "ann") == []


def test_route_is_stable_and_picks_two():
    people = ["ann", "bob", "cy", "dee"]
    picks = [review.route(f"dup-{i}", people) for i in range(200)]
    assert all(len(set(p)) == 2 for p in picks)
    assert picks == [review.route(f"dup-{i}", list(reversed(people))) for i in range(200)]
    load = {p: sum(p in pick for pick in picks) for p in people}
    assert min(load.values()) > 60  # roughly balanced: 100 each on average


def blind(ws, ds, people=("ann", "bob")) -> review.ReviewSettings:
    settings = review.ReviewSettings(True, people)
    review.save_settings(ws, ds, settings)
    assert review.load_settings(ws, ds) == settings
    return settings


def test_blind_votes_leave_the_curated_set_alone_until_they_agree(fx):
    ws, ds = fx
    blind(ws, ds)
    item = first(ws, ds, "duplicate", "ann")
    fid, rows = item.finding.finding_id, item.finding.rows
    merge = ("merge", rows, {"keep_row": rows[0]})
    review.decide(ws, ds, fid, item.state.version, *merge, "ann", "annotator")
    assert {r.status for r in derive(ws.examples(ds), ws.decisions(ds))} == {"unchanged"}
    assert review.load_items(ws, ds, [fid], review.states(ws, ds, "ann"))[0].state.status == "voted"
    assert fid in ids(review.queue(ws, ds, "duplicate", "bob"))  # bob does not see ann's vote
    review.decide(ws, ds, fid, 0, *merge, "bob", "annotator")
    assert review.states(ws, ds)[fid].status == "resolved"
    dropped = [r.row for r in derive(ws.examples(ds), ws.decisions(ds)) if r.status == "dropped"]
    assert sorted(dropped) == sorted(rows[1:])
    assert review.agreement(ws, ds)["kappa"] == 1.0


def test_disagreeing_votes_go_to_adjudication(fx):
    ws, ds = fx
    blind(ws, ds)
    item = first(ws, ds, "contradiction", "ann")
    fid, rows = item.finding.finding_id, item.finding.rows
    review.decide(ws, ds, fid, 0, "pick", rows, {"keep_row": rows[0]}, "ann", "annotator")
    review.decide(ws, ds, fid, 0, "drop", rows, {}, "bob", "annotator")
    queue = review.adjudication_queue(ws, ds)
    assert ids(queue) == [fid] and {v.actor for v in queue.items[0].state.votes} == {"ann", "bob"}
    agree = review.agreement(ws, ds)
    assert agree["n_items"] == 1 and agree["n_agree"] == 0
    review.decide(
        ws, ds, fid, queue.items[0].state.version, "drop", rows, {}, "cora", "curator", settings=review.ReviewSettings()
    )
    assert review.adjudication_queue(ws, ds).total == 0


def test_blind_queue_shows_only_routed_items(fx):
    ws, ds = fx
    settings = blind(ws, ds, ("ann", "bob", "cy"))
    seen = {fid for fid in ids(review.queue(ws, ds, None, "ann", page_size=100))}
    every = {fid for fid in ids(review.queue(ws, ds, None, "zed", page_size=100))}
    assert seen == {fid for fid in every if "ann" in review.route(fid, settings.annotators)}
    left = {p["person"]: p["left"] for p in review.progress(ws, ds)}
    assert left["ann"] == len(seen)


@pytest.mark.parametrize(
    "pairs, expected",
    [
        ([], None),
        ([("keep", "keep")] * 4, 1.0),
        ([("a", "a"), ("b", "b"), ("a", "b"), ("b", "a")], 0.0),
        ([("a", "a")] * 20 + [("a", "b")] * 5 + [("b", "a")] * 10 + [("b", "b")] * 15, 0.4),  # textbook table
    ],
    ids=["empty", "perfect", "chance", "textbook"],
)
def test_cohen_kappa(pairs, expected):
    got = agreement.cohen_kappa(pairs)
    assert got == expected if expected is None else got == pytest.approx(expected)


def test_progress_counts_live_decisions_per_person(fx):
    ws, ds = fx
    for who in ("ann", "bob"):
        item = first(ws, ds, "duplicate", who)
        review.decide(
            ws, ds, item.finding.finding_id, item.state.version, "keep", item.finding.rows, {}, who, "annotator"
        )
    review.undo_last(ws, ds, "bob")
    people = {p["person"]: p for p in review.progress(ws, ds)}
    assert people["ann"]["keep"] == 1 and people["ann"]["items"] == 1 and "bob" not in people


@pytest.mark.parametrize("k, n, p", [(9, 10, 0.021484375), (5, 10, 1.0), (0, 0, 1.0), (10, 10, 0.001953125)])
def test_binomial_two_sided(k, n, p):
    assert agreement.binom_two_sided(k, n) == pytest.approx(p)


def test_ab_summary_counts_ties_as_half_and_checks_position():
    j = (
        [{"left": "curated", "right": "raw", "verdict": "A"}] * 6
        + [{"left": "raw", "right": "curated", "verdict": "B"}] * 2
        + [{"left": "raw", "right": "curated", "verdict": "A"}] * 2
        + [{"left": "raw", "right": "curated", "verdict": "tie"}] * 2
        + [{"left": "base", "right": "raw", "verdict": "A"}] * 3
    )
    s = agreement.ab_summary(j, "curated", "raw")
    assert (s["n"], s["wins"], s["losses"], s["ties"]) == (12, 8, 2, 2)
    assert s["win_rate"] == pytest.approx(9 / 12)
    assert 0 < s["ci"][0] < s["win_rate"] < s["ci"][1] < 1
    assert (s["left_wins"], s["right_wins"]) == (8, 2)
    assert s["position_p"] == pytest.approx(agreement.binom_two_sided(8, 10))
    assert agreement.ab_summary([], "a", "b")["win_rate"] is None


try:  # the throwaway PostgreSQL server of the store tests (skips itself without the binaries)
    from test_postgres import pg_url
except ImportError:  # pragma: no cover
    pg_url = None


@pytest.mark.slow
@pytest.mark.skipif(pg_url is None, reason="tests/test_postgres.py is missing")
def test_queues_votes_and_browsing_on_postgres(pg_url, tmp_path, monkeypatch):
    from app.lib import browse

    monkeypatch.setenv("CURATE_DB_URL", pg_url)
    ws, ds = build_workspace(tmp_path / "pg", users=False)
    assert ws.engine.dialect.name == "postgresql"
    assert review.queue(ws, ds, None, "ann", search="PASSWORD").total == 1
    blind(ws, ds)
    item = first(ws, ds, "contradiction")
    for who, action in (("ann", "drop"), ("bob", "keep")):
        review.decide(ws, ds, item.finding.finding_id, 0, action, item.finding.rows, {}, who, "annotator")
    assert review.adjudication_queue(ws, ds).total == 1 and review.agreement(ws, ds)["n_agree"] == 0
    assert browse.facets(ws, ds)["category"]["account"] == 3
    assert browse.browse(ws, ds, category="billing").total == 2
