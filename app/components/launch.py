"""Launching a fine-tune comparison from the Compare models page (curators: ``train``).

It trains a LoRA on the source data and one on the curated set of the open dataset (with
training's random control) and evaluates them on an eval set inside the allowed folders;
the job runs in the background (``app.lib.jobs.start_comparison``) and its report appears
in the comparison picker when done.
"""

from __future__ import annotations

import streamlit as st

from app.components import text
from app.components.context import Ctx
from app.lib import jobs, paths


def panel(ctx: Ctx) -> None:
    with st.expander("Launch a fine-tune comparison (curated vs source data)"):
        try:
            from training.config import PRESETS
        except ImportError:
            st.info("The training package is not installed in this build.")
            return
        demo_eval = paths.REPO_DATA / "demo" / "eval.jsonl"
        preset_name = st.selectbox(
            "Preset", list(PRESETS), key="launch_preset", help="quick: the demo on 2 CPU cores in about 20 minutes"
        )
        eval_raw = st.text_input(
            "Eval set (JSONL of {id, messages, reference, checks})",
            value=str(demo_eval) if demo_eval.exists() else "",
            key="launch_eval",
        )
        general_raw = st.text_input("General prompts for a forgetting check (optional)", key="launch_general")
        policy = st.checkbox(
            "Fill in the findings nobody decided with the no-review policy",
            value=True,
            key="launch_policy",
            help="The curated arm is the data with the recorded decisions; "
            "with this, copies nobody decided are merged (same wording, same answer) and a "
            "disagreement nobody decided takes its suggested side only when the evidence is "
            "decisive, otherwise its rows stay (never both sides dropped). A recorded decision "
            "always wins; the report counts what the policy did.",
        )
        merge = st.checkbox(
            "Also merge rewordings (same answer, reworded request)",
            value=False,
            key="launch_merge_rewordings",
            disabled=not policy,
            help="Off: rewordings stay, they teach the model to generalise.",
        )
        c1, c2, c3 = st.columns(3)
        seeds = int(
            c1.number_input(
                "Seeds per arm",
                1,
                10,
                1,
                key="launch_seeds",
                help="With more than one, the CI is a bootstrap over seeds and prompts",
            )
        )
        match = c2.selectbox(
            "Match arms by",
            ["steps", "epochs"],
            key="launch_match",
            help="steps: every arm trains the same number of optimizer steps (a smaller "
            "curated set is not penalised); epochs: each arm passes over its own data",
        )
        primary = c3.selectbox(
            "Primary metric",
            ["auto", "check_pass", "ref_nll"],
            key="launch_primary",
            help="auto: the check pass rate when most eval prompts have checks or short "
            "references, else ref_nll; named before anything trains",
        )
        if st.button("Launch in the background", key="launch_start", disabled=not eval_raw):
            try:
                eval_path = paths.import_path(ctx.ws, eval_raw)
                general = paths.import_path(ctx.ws, general_raw) if general_raw else None
            except paths.PathError as err:
                st.error(text.md(err))
                return
            try:
                run_id = jobs.start_comparison(
                    ctx.ws,
                    ctx.dataset,
                    eval_path,
                    preset_name,
                    ctx.user,
                    general,
                    policy,
                    merge,
                    seeds=seeds,
                    match=match,
                    primary_metric=primary,
                )
            except ValueError as err:  # a setting the config rejects
                st.error(text.md(err))
                return
            st.success(
                text.md(f"Started {run_id}: it trains and evaluates in the background; follow it in the sidebar.")
            )
        for run in ctx.ws.runs(kind="compare")[:5]:
            status, m = jobs.job_status(run), run["metrics"]
            detail = m.get("error") or m.get("verdict") or m.get("stage") or ""
            st.caption(text.md(f"{run['id']} · {run['config'].get('preset')} · {status} · {detail}"))
