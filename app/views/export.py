"""Export (curators): choose a format, see what changes and why before writing, then write
the curated set and its manifest into the workspace exports/ folder."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app.components import text
from app.components.context import require
from app.lib import paths
from curation import review
from curation.export import EXPORT_FORMATS, plan
from curation.workbench import export_dataset

EXT = {"jsonl": ".jsonl", "json": ".json", "parquet": ".parquet", "csv": ".csv", "hf": ""}


@st.cache_resource(show_spinner="Deriving the curated set...", max_entries=2)
def counts(_ws, root: str, dataset_id: int, as_of: int) -> dict:
    """export.plan of the curated set as of the latest decision (recomputed when one is added),
    with the decisions that cannot be applied."""
    ledger = _ws.ledger(dataset_id)
    rows = ledger.curated(_ws.examples(dataset_id))
    return {**plan(rows), "unapplied": dict(ledger.problems)}


ctx = require("export")
ws, ds = ctx.ws, ctx.dataset
st.title(f"Export · {text.md(ds.name)}")
decisions = ws.decisions(ds.id)
as_of = decisions[-1].id if decisions else 0
summary = counts(ws, str(ws.root), ds.id, as_of)

c = st.columns(4)
c[0].metric("Source examples", f"{summary['n_source']:,}")
c[1].metric("Exported", f"{summary['n_out']:,}", delta=summary["n_out"] - summary["n_source"])
c[2].metric("Dropped", f"{summary['by_status'].get('dropped', 0):,}")
c[3].metric("Edited / added", f"{summary['by_status'].get('edited', 0)} / {summary['by_status'].get('added', 0)}")
st.markdown("**What changes and why**")
if summary["by_reason"]:
    st.dataframe(
        pd.DataFrame([{"change": k, "examples": v} for k, v in summary["by_reason"].items()]),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("No decision changes anything yet: the export equals the source.")
for decision_id, why in summary["unapplied"].items():
    st.warning(
        text.md(
            f"Decision {decision_id} is not applied: {why}. A curator can retract it "
            "(Example browser, or `curate decisions retract`)."
        )
    )
states = review.states(ws, ds.id)
open_ = ws.count_findings(ds.id) - sum(s.status == "resolved" for s in states.values())
disputed = sum(s.status == "disputed" for s in states.values())
if open_ > 0:
    st.warning(f"{open_} finding(s) are not resolved yet; their examples are exported unchanged.")
if disputed:
    st.warning(f"{disputed} item(s) wait for adjudication (Team review).")

source_kind = ds.source.get("kind")
fmt = st.selectbox(
    "Format",
    EXPORT_FORMATS,
    key="exp_format",
    index=EXPORT_FORMATS.index(source_kind) if source_kind in EXPORT_FORMATS else 0,
    format_func=lambda f: {"hf": "hf (datasets folder)"}.get(f, f),
)
name = st.text_input(
    "File name (inside the workspace exports/ folder)", value=f"{ds.name}-curated{EXT[fmt]}", key=f"exp_name_{fmt}"
)
if st.button("Write export", key="exp_write", type="primary"):
    try:
        out = paths.export_path(ws, name)
        manifest = export_dataset(ws, ds, out, fmt, actor=ctx.user)
    except (paths.PathError, ValueError, ImportError) as err:
        st.error(text.md(err))
    else:
        st.session_state["exp_last"] = (str(out), manifest)
last = st.session_state.get("exp_last")
if last:
    out, manifest = last
    st.success(
        text.md(
            f"Wrote {manifest['n_out']} of {manifest['n_source']} examples to {out} "
            f"(manifest {out}.manifest.json, sha256 {manifest['output_sha256'][:12]}...)."
        )
    )
    with st.expander("Manifest"):
        st.json(json.loads(json.dumps(manifest, default=str)))
    path = paths.Path(out)
    if path.is_file():
        st.download_button("Download", path.read_bytes(), file_name=path.name, key="exp_download")
existing = (
    sorted(p.name for p in ws.exports_dir.iterdir() if not p.name.startswith(".")) if ws.exports_dir.exists() else []
)
if existing:
    st.caption("In exports/: " + text.md(", ".join(existing)))
