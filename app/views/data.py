"""Data & scans (curators): add a dataset (upload, or a file inside the allowed folders),
configure and start a scan as a background job, and follow its progress.

A file is added in one role, chosen here: a dataset to curate, a coverage reference (prompts
users really ask: the scan finds coverage gaps against it) or an eval set (held-out prompts:
the scan finds train/eval leakage against it). The list of files says each one's role."""

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


ROLES = {
    "data": "Dataset to curate (training data)",
    "coverage": "Coverage reference: prompts users really ask (finds coverage gaps)",
    "eval": "Eval set: held-out prompts a model is scored on (finds train/eval leakage)",
}


def ingest(path, role: str) -> None:
    try:
        ds, created, result = ingest_file(ws, path, reference_role=None if role == "data" else role)
    except (DataError, ValueError) as err:
        st.error(text.md(f"Could not read {path.name}: {err}"))
        return
    verb = "Ingested" if created else "Already in the workspace:"
    role = f" as {ds.role_label}" if ds.role != "data" else ""
    st.success(
        text.md(
            f"{verb} {ds.name}{role}: {ds.n_examples:,} examples ({ds.format})"
            + (f", {len(result.skipped)} bad rows skipped" if result.skipped else "")
        )
    )


def role_choice(key: str) -> str:
    return st.radio(
        "What is this file?",
        list(ROLES),
        format_func=ROLES.get,
        key=key,
        help="A file has one role. A coverage reference and an eval set are both prompt sets, used "
        "in opposite ways: training rows close to a coverage prompt are wanted (coverage), "
        "training rows close to an eval prompt are leakage.",
    )


st.subheader("Add a dataset")
tab_up, tab_path = st.tabs(["Upload", "From a folder"])
with tab_up:
    up = st.file_uploader(
        f"Dataset file (at most {paths.MAX_UPLOAD_MB} MB)", type=["jsonl", "json", "csv", "parquet"], key="data_upload"
    )
    role_up = role_choice("data_upload_role")
    if up is not None and st.button("Ingest the upload", key="data_ingest_upload"):
        try:
            target = paths.upload_path(ws, up.name, up.size)
        except paths.PathError as err:
            st.error(text.md(err))
        else:
            target.write_bytes(up.getbuffer())
            ingest(target, role_up)
with tab_path:
    raw = st.text_input(
        "File path", key="data_path", help="Allowed: " + ", ".join(str(p) for p in paths.import_roots(ws))
    )
    role_path = role_choice("data_path_role")
    if raw and st.button("Ingest the file", key="data_ingest_path"):
        try:
            ingest(paths.import_path(ws, raw), role_path)
        except paths.PathError as err:
            st.error(text.md(err))

every = ws.datasets()
if every:
    st.subheader("Files in this workspace")
    st.dataframe(
        pd.DataFrame(
            [
                {"name": d.name, "role": d.role_label, "examples": d.n_examples, "format": d.format, "id": d.id}
                for d in every
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Scan")
sets = ws.datasets(role="data")
refs = ws.datasets(role="coverage")
evals = ws.datasets(role="eval")
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
    ref_id = st.selectbox(
        "Coverage reference (finds coverage gaps)",
        list(ref_names),
        format_func=ref_names.get,
        index=len(ref_names) - 1,
        key="scan_reference",
    )
    eval_names = {0: "none", **{d.id: d.name for d in evals}}
    eval_id = st.selectbox(
        "Eval set (finds train/eval leakage)",
        list(eval_names),
        format_func=eval_names.get,
        index=len(eval_names) - 1,
        key="scan_eval",
    )
    defaults = ScanSettings()
    fields = getattr(ScanSettings, "model_fields", {})
    if fields:
        with st.expander("What the settings mean"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {"setting": k, "meaning": v.description or (v.annotation.__doc__ or "").strip().split("\n")[0]}
                        for k, v in fields.items()
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    raw_settings = st.text_area(
        "Settings (JSON)", value=defaults.model_dump_json(indent=2), height=220, key="scan_settings"
    )
    if st.button("Start the scan in the background", key="scan_start", type="primary"):
        try:
            settings = ScanSettings.model_validate(json.loads(raw_settings))
        except ValueError as err:  # JSON and pydantic validation errors are ValueErrors naming the field
            st.error(text.md(f"Invalid settings: {err}"))
        else:
            dataset = ws.dataset(int(target_id))
            reference = ws.dataset(int(ref_id)) if ref_id else None
            eval_set = ws.dataset(int(eval_id)) if eval_id else None
            run_id = jobs.start_scan(ws, dataset, reference, settings, ctx.user, eval_set=eval_set)
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
            st.progress(
                min(1.0, m.get("done", 0) / max(1, m.get("total", 1))),
                text=text.md(f"{label} · {jobs.progress_text(m)}"),
            )
        elif status == "failed":
            st.error(text.md(f"{label}: {m.get('error')}"))
        else:
            ago = time.time() - r["updated_at"]
            details = ", ".join(f"{k} {v}" for k, v in m.items() if k != "path")
            st.caption(text.md(f"{label} · {details} · {ago:.0f}s ago"))


st.subheader("Background jobs")
job_table()
