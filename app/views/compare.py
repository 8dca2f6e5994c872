"""Compare models: each prompt with the arms' answers side by side, and a blind A/B mode
(random order, hidden labels, revealed after judging; judgements stored as ``judge``
decisions) with the running win rate, its 95% CI and a left/right position-bias check."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from app.components import keys, launch, text
from app.components.context import flash, require
from app.lib import comparison
from curation import agreement

VERDICTS = {"A": "A is better", "B": "B is better", "tie": "Tie", "both_bad": "Both bad"}

ctx = require("review")
ws, ds = ctx.ws, ctx.dataset
st.title("Compare models")
text.style()
if ctx.can("train"):
    launch.panel(ctx)
folders = comparison.candidates(ws)
if not folders:
    st.info(
        text.md(
            f"No comparison yet. A comparison writes report.json and eval_rows.jsonl into a folder under {ws.runs_dir}."
        )
    )
    st.stop()
folder = st.selectbox("Comparison", folders, format_func=lambda p: p.name, key="cmp_folder")
cmp = comparison.load(Path(folder))
h = cmp.headline
if "difference" in h:
    m = st.columns(3)
    m[0].metric(f"curated − baseline ({h.get('primary_metric', 'primary metric')})", f"{h['difference']:+.3f}")
    m[1].metric("95% CI", f"{h.get('ci95_low', float('nan')):+.3f} … {h.get('ci95_high', float('nan')):+.3f}")
    m[2].metric("sign test p", f"{h.get('p_value', float('nan')):.3g}")
    text.plain(h.get("verdict", ""), "verdict")
if cmp.metrics:
    st.dataframe(pd.DataFrame(cmp.metrics).T, width="stretch")


def judgements(actor: str | None = None) -> list[dict]:
    """Live A/B judgements on this comparison (everyone's, or one person's)."""
    return [
        d.payload | {"id": d.id, "actor": d.actor}
        for d in ws.ledger(ds.id).live
        if d.action == "judge"
        and (actor is None or d.actor == actor)
        and d.payload.get("kind") == "ab"
        and d.payload.get("comparison") == cmp.name
    ]


def judge(pid: str, left: str, right: str, verdict: str) -> None:
    ws.record_decision(
        ds.id,
        "judge",
        ctx.user,
        (),
        None,
        {"kind": "ab", "comparison": cmp.name, "prompt_id": pid, "left": left, "right": right, "verdict": verdict},
        reason=f"blind A/B: {VERDICTS[verdict]}",
        role=ctx.role,
    )
    st.session_state["cmp_reveal"] = (pid, left, right, verdict)


def undo_judgement() -> None:
    mine = judgements(ctx.user)
    if mine:
        ws.undo(ds.id, mine[-1]["id"], ctx.user)
        st.session_state.pop("cmp_reveal", None)
        flash("info", "Withdrew your last judgement.")


side, blind = st.tabs(["Side by side", "Blind A/B"])
with side:
    per_page = 5
    n_pages = max(1, -(-len(cmp.prompts) // per_page))
    page = int(st.number_input(f"Page (of {n_pages})", 1, n_pages, 1, key="cmp_page"))
    for p in cmp.prompts[(page - 1) * per_page : page * per_page]:
        with st.container(border=True):
            text.plain(
                p["prompt"] or "(the prompt text is not in the comparison output)",
                f"prompt {p['id']}" + (f" · {p['category']}" if p.get("category") else ""),
            )
            if p.get("reference"):
                text.plain(p["reference"], "reference")
            arms = [a for a in cmp.arms if a in p["answers"]]
            for col, arm in zip(st.columns(max(1, len(arms))), arms):
                with col, st.container(border=True):
                    text.plain(p["answers"][arm], arm)

with blind:
    keys_slot = st.container()
    if len(cmp.arms) < 2:
        st.info("A blind comparison needs two arms.")
        st.stop()
    c1, c2 = st.columns(2)
    first = c1.selectbox("Arm", cmp.arms, index=len(cmp.arms) - 2, key="cmp_arm1")
    others = [a for a in cmp.arms if a != first]
    second = c2.selectbox("against", others, index=len(others) - 1, key="cmp_arm2")
    pair = {first, second}
    done = {j["prompt_id"] for j in judgements(ctx.user) if {j["left"], j["right"]} == pair}
    todo = sorted(
        (p for p in cmp.prompts if pair <= set(p["answers"]) and p["id"] not in done),
        key=lambda p: hashlib.sha1(f"{ctx.user}|{cmp.name}|{p['id']}".encode()).hexdigest(),
    )
    reveal = st.session_state.get("cmp_reveal")
    if reveal:
        pid, left, right, verdict = reveal
        text.plain(f"Prompt {pid}: A was {left}, B was {right}; you chose: {VERDICTS[verdict]}.", "revealed")
    if todo:
        p = todo[0]
        swap = int(hashlib.sha1(f"{ctx.user}|{p['id']}|{sorted(pair)}".encode()).hexdigest(), 16) % 2
        left, right = (second, first) if swap else (first, second)
        st.caption(f"{len(todo)} prompt(s) left for you in this pair.")
        text.plain(p["prompt"], "prompt")
        for col, (name, arm) in zip(st.columns(2), (("answer A", left), ("answer B", right))):
            with col, st.container(border=True):
                text.plain(p["answers"][arm], name)
        bindings = [
            keys.Binding(n, label, judge, (p["id"], left, right, key))
            for n, (key, label) in zip("1234", VERDICTS.items())
        ]
        cols = st.columns(5)
        for col, b, key in zip(cols, bindings, VERDICTS):
            col.button(keys.hint(b.label, b.key), key=f"cmp_{key}", width="stretch", on_click=judge, args=b.args)
        cols[4].button(keys.hint("Undo", "u"), key="cmp_undo", width="stretch", on_click=undo_judgement)
    else:
        bindings = []
        st.success("You judged every prompt of this pair.")
        st.button("Undo my last judgement", key="cmp_undo_done", on_click=undo_judgement)
    with keys_slot:
        keys.bind("compare", [*bindings, keys.Binding("u", "undo my last judgement", undo_judgement)])
    everyone = judgements()
    stats = agreement.ab_summary(everyone, second, first)
    if stats["n"]:
        lo, hi = stats["ci"]
        m = st.columns(4)
        m[0].metric(f"{second} win rate vs {first}", f"{stats['win_rate']:.0%}", help="Ties and both-bad count half.")
        m[1].metric("95% CI", f"{lo:.0%} – {hi:.0%}")
        m[2].metric("Judgements", f"{stats['n']} ({stats['ties']} ties)")
        m[3].metric(
            "Left answer won",
            f"{stats['left_wins']} of {stats['left_wins'] + stats['right_wins']}",
            help=f"Position-bias check: two-sided binomial p = {stats['position_p']:.3f}",
        )
        if stats["position_p"] < 0.05:
            st.warning("The left-shown answer wins more often than chance: judgements may be position-biased.")
