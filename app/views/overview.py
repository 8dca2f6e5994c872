"""Overview: dataset size, findings by kind and status, progress per person, charts (lengths,
a 2-D map of the examples, coverage per edge-case category)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from app.components import text
from app.components.context import require
from app.lib import datamap, jobs
from curation import review


@st.fragment(run_every=2.0)
def wait_for_map() -> None:
    """Polls for the background map job and reruns the page once its file is there."""
    if datamap.load(ctx.ws, ctx.dataset) is not None:
        st.rerun(scope="app")


ctx = require("review")
ws, ds = ctx.ws, ctx.dataset
st.title(f"Overview · {text.md(ds.name)}")

view = ctx.visible()  # double-blind: another annotator's vote shows in no count
states = review.states(ws, ds.id, ledger=view)
scan_id = ws.latest_scan_id(ds.id)
findings = ws.findings(ds.id) if scan_id else []
counts = Counter((f.kind, states.get(f.finding_id, review.OPEN).status) for f in findings)
by_status: Counter = Counter()
for (_, status), n in counts.items():
    by_status[status] += n

cols = st.columns(5)
cols[0].metric("Examples", f"{ds.n_examples:,}")
cols[1].metric("Findings", f"{len(findings):,}")
cols[2].metric("Open", f"{by_status.get('open', 0) + by_status.get('voted', 0):,}")
cols[3].metric("Resolved", f"{by_status.get('resolved', 0):,}")
cols[4].metric("Skipped / disputed", f"{by_status.get('skipped', 0)} / {by_status.get('disputed', 0)}")
if scan_id is None:
    st.info("No scan yet: a curator can start one on the Data & scans page.")
else:
    info = ws.scan_info(scan_id)
    st.caption(f"Scan {scan_id}, {len(findings)} findings, {sum(info['timings'].values()):.1f}s.")

left, right = st.columns(2)
with left:
    st.subheader("Findings by kind and status")
    if counts:
        table = pd.DataFrame([{"kind": k, "status": s, "findings": n} for (k, s), n in sorted(counts.items())])
        st.plotly_chart(px.bar(table, x="kind", y="findings", color="status", height=300), key="kinds_chart")
        st.dataframe(
            table.pivot_table(index="kind", columns="status", values="findings", fill_value=0), width="stretch"
        )
with right:
    st.subheader("Review progress per person")
    people = review.progress(ws, ds.id, ledger=view, viewer=ctx.user)
    if people:
        st.dataframe(pd.DataFrame(people).drop(columns=["last_at"]), hide_index=True, width="stretch")
    else:
        st.caption("No decisions yet.")

st.subheader("Examples")
job_key = f"map:{ws.root}:{ds.id}"
data = datamap.load(ws, ds)
if data is None:
    jobs.start(
        ws, "map", job_key, {"dataset": ds.name}, ds.content_hash, lambda progress: datamap.compute(ws, ds, progress)
    )
    jobs.wait(job_key, 3.0)  # small datasets are ready at once; big ones keep computing in the background
    data = datamap.load(ws, ds)
if data is None:
    failed = [r for r in ws.runs(kind="map") if r["status"] == "failed"]
    if failed and failed[0]["config"].get("dataset") == ds.name:
        st.error(text.md(f"The map failed: {failed[0]['metrics'].get('error')}"))
    else:
        st.info("Computing the example map and length statistics in the background (once per dataset)...")
        wait_for_map()
else:
    rows = data["rows"]
    kind_of = {}
    for f in sorted(findings, key=lambda f: f.score):
        kind_of.update({r: f.kind for r in f.rows})
    c1, c2 = st.columns(2)
    lengths = pd.DataFrame({"request characters": data["request_len"], "answer characters": data["answer_len"]})
    c1.plotly_chart(
        px.histogram(
            lengths.melt(var_name="part", value_name="characters"),
            x="characters",
            color="part",
            barmode="overlay",
            nbins=60,
            opacity=0.7,
            height=340,
            title="Length distributions",
        ),
        key="length_chart",
    )
    colour = c2.radio("Colour the map by", ["finding", "cluster"], horizontal=True, key="map_colour")
    shown = np.arange(len(rows))
    if len(shown) > 20000:  # a sample keeps the browser responsive; the clusters use every row
        shown = np.random.default_rng(0).choice(shown, 20000, replace=False)
    points = pd.DataFrame(
        {
            "x": data["x"][shown],
            "y": data["y"][shown],
            "row": rows[shown],
            "finding": [kind_of.get(int(r), "none") for r in rows[shown]],
            "cluster": [f"c{c}" for c in data["cluster"][shown]],
        }
    )
    c2.plotly_chart(
        px.scatter(
            points,
            x="x",
            y="y",
            color=colour,
            hover_data=["row"],
            render_mode="webgl",
            color_discrete_map={"none": "#c8c8c8"},
            opacity=0.8,
            height=340,
            title=f"Map of examples ({data['method']})",
        ),
        key="map_chart",
    )

st.subheader("Coverage per edge-case category")
scan = ws.scan_info(scan_id) if scan_id else None
ref_id = scan["reference_dataset_id"] if scan else None
if not ref_id:
    st.caption("The latest scan has no reference prompt set, so coverage was not measured.")
else:
    refs = ws.examples(ref_id)
    gapped = {r for f in findings if f.kind == "coverage_gap" for r in f.reference_rows}
    label_of = {
        r: str(f.evidence.get("label", "gap")) for f in findings if f.kind == "coverage_gap" for r in f.reference_rows
    }
    rows = Counter()
    for ex in refs:
        cat = str(ex.record.get("category") or label_of.get(ex.row) or "uncategorised")
        rows[(cat, ex.row in gapped)] += 1
    cats = sorted({c for c, _ in rows})
    cover = pd.DataFrame(
        [
            {
                "category": c,
                "covered": rows[(c, False)],
                "gap": rows[(c, True)],
                "coverage": rows[(c, False)] / max(1, rows[(c, False)] + rows[(c, True)]),
            }
            for c in cats
        ]
    )
    st.plotly_chart(
        px.bar(
            cover,
            x="category",
            y=["covered", "gap"],
            height=320,
            title="Reference prompts covered by the training data",
        ),
        key="coverage_chart",
    )
    st.dataframe(cover, hide_index=True, width="stretch")
