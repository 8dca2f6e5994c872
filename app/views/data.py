"""Data & scans (curators): add a dataset (upload, or a file inside the allowed folders),
configure and start a scan as a background job, and follow its progress."""

from __future__ import annotations

import json
import time

import pandas as pd
import streamlit as st

from app.components import text
from app.components.context import require
from app.lib import jobs, paths
from curation.formats import DataError
from curation.workbench import ingest_file

ctx = require("scan", need_dataset=False)
ws = ctx.ws
st.title("Data & scans")


def ingest(path, is_reference: bool) -> None:
    try:
        ds, created, result = ingest_file(ws, path, is_reference=is_reference)
    except (DataError, ValueError) as err:
        st.error(text.md(f"Could not read {path.name}: {err}"))
        return
    verb = "Ingested" if created else "Already in the workspace:"
    st.success(text.md(f"{verb} {ds.name}: {ds.n_examples:,} examples ({ds.format})"
                       + (f", {len(result.skipped)} bad rows skipped" if result.skipped else "")))


st.subheader("Add a dataset")
tab_up, tab_path = st.tabs(["Upload", "From a folder"])
with tab_up:
    up = st.file_uploader(f"Dataset file (at most {paths.MAX_UPLOAD_MB} MB)", type=["jsonl", "json", "csv", "parquet"],
                          key="data_upload")
    ref_up = st.checkbox("This is a reference prompt set", key="data_upload_ref")
    if up is not None and st.button("Ingest the upload", key="data_ingest_upload"):
        try:
            target = paths.upload_path(ws, up.name, up.size)
        except paths.PathError as err:
            st.error(text.md(err))
        else:
            target.write_bytes(up.getbuffer())
            ingest(target, ref_up)
with tab_path:
    raw = st.text_input("File path", key="data_path",
                        help="Allowed: " + ", ".join(str(p) for p in paths.import_roots(ws)))
    ref_path = st.checkbox("This is a reference prompt set", key="data_path_ref")
    if raw and st.button("Ingest the file", key="data_ingest_path"):
        try:
            ingest(paths.import_path(ws, raw), ref_path)
        except paths.PathError as err:
            st.error(text.md(err))

st.subheader("Scan")
sets = ws.datasets(include_reference=False)
refs = [d for d in ws.datasets() if d.is_reference]
try:
    from curation.scan import ScanSettings
except ImportError:
    ScanSettings = None
if not sets:
    st.caption("Add a dataset first.")
elif ScanSettings is None:
    st.info("The detectors (curation.scan) are not installed in this build.")
else:
    names = {d.id: d.name for d in sets}
    target_id = st.selectbox("Dataset", list(names), format_func=names.get, index=len(sets) - 1, key="scan_dataset")
    ref_names = {0: "none", **{d.id: d.name for d in refs}}
    ref_id = st.selectbox("Reference prompt set (for coverage gaps)", list(ref_names), format_func=ref_names.get,
                          index=len(ref_names) - 1, key="scan_reference")
    defaults = ScanSettings()
    fields = getattr(ScanSettings, "model_fields", {})
    if fields:
        with st.expander("What the settings mean"):
            st.dataframe(pd.DataFrame([{"setting": k, "meaning": v.description or (v.annotation.__doc__ or "")
                                        .strip().split("\n")[0]} for k, v in fields.items()]),
                         hide_index=True, width="stretch")
    raw_settings = st.text_area("Settings (JSON)", value=defaults.model_dump_json(indent=2), height=220,
                                key="scan_settings")
    if st.button("Start the scan in the background", key="scan_start", type="primary"):
        try:
            settings = ScanSettings.model_validate(json.loads(raw_settings))
        except ValueError as err:  # JSON and pydantic validation errors are ValueErrors naming the field
            st.error(text.md(f"Invalid settings: {err}"))
        else:
            dataset = ws.dataset(int(target_id))
            reference = ws.dataset(int(ref_id)) if ref_id else None
            run_id = jobs.start_scan(ws, dataset, reference, settings, ctx.user)
            st.success(f"Scan started ({run_id}); you can keep reviewing meanwhile.")


@st.fragment(run_every=2.0)
def job_table() -> None:
    runs = [r for r in ws.runs() if r["kind"] in ("scan", "map")][:20]
    if not runs:
        st.caption("No background job yet.")
        return
    for r in runs:
        status, m = jobs.job_status(r), r["metrics"]
        label = f"{r['kind']} {r['id']} · {r['config'].get('dataset')} · {status}"
        if status == "running":
            st.progress(min(1.0, m.get("done", 0) / max(1, m.get("total", 1))),
                        text=text.md(f"{label} · {m.get('stage')}"))
        elif status == "failed":
            st.error(text.md(f"{label}: {m.get('error')}"))
        else:
            ago = time.time() - r["updated_at"]
            details = ", ".join(f"{k} {v}" for k, v in m.items() if k != "path")
            st.caption(text.md(f"{label} · {details} · {ago:.0f}s ago"))


st.subheader("Background jobs")
job_table()
