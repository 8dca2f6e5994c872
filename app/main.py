"""Entry point of the review workbench: `curate app` runs `streamlit run app/main.py`.

Resolves who is using the app (local mode: $USER as admin; team mode: sign-in and a session
kept in a cookie), draws the sidebar (workspace, dataset picker, person, background jobs)
and the navigation, showing only the pages the person's role allows. Each page checks the
role again. A database that stays busy through the store's retries gets a message, not an
error page.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts app/ first, not the repository
    sys.path.insert(0, str(ROOT))

import streamlit as st

from app.components import context, keys, session_cookie
from app.components.context import Ctx
from app.components.text import md, raw_toggle
from app.lib import jobs
from curation.busy import BusyError, is_busy
from curation.signin import SessionPolicy

PAGES = {  # section -> (file, title, icon, permission)
    "Review": [
        ("overview.py", "Overview", ":material/dashboard:", "review"),
        ("duplicates.py", "Duplicates", ":material/content_copy:", "review"),
        ("contradictions.py", "Contradictions", ":material/compare_arrows:", "review"),
        ("gaps.py", "Coverage gaps", ":material/add_circle:", "review"),
        ("findings.py", "Other findings", ":material/flag:", "review"),
        ("browser.py", "Example browser", ":material/search:", "review"),
    ],
    "Curate": [
        ("data.py", "Data & scans", ":material/database:", "scan"),
        ("team.py", "Team review", ":material/groups:", "adjudicate"),
        ("export.py", "Export", ":material/download:", "export"),
    ],
    "Models": [("compare.py", "Compare models", ":material/balance:", "review")],
    "Admin": [
        ("users.py", "Users", ":material/manage_accounts:", "manage_users"),
        ("audit.py", "Audit log", ":material/policy:", "manage_users"),
    ],
}


def login_page() -> None:
    st.title("Sign in")
    st.caption(
        "This workbench runs in team mode: sign in with the name and password an admin gave you "
        "(`curate users add NAME --role annotator`)."
    )
    ws = context.open_workspace(context.workspace_path())
    session_cookie.keep(None, 0)  # a cookie that brought no valid session is stale
    with st.form("login"):
        name = st.text_input("Name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        outcome = context.sign_in(ws, name, password)
        if outcome.ok:
            st.session_state.pop("_signed_out", None)
            st.rerun()
        st.error(md(outcome.message))


def sidebar(ctx: Ctx) -> None:
    with st.sidebar:
        keys.install()
        if not ctx.team:
            path = st.text_input(
                "Workspace folder",
                value=str(ctx.ws.root),
                key="workspace_input",
                help="Any folder holding a workspace (created by `curate ingest` or `curate demo`).",
            )
            if path != str(ctx.ws.root) and Path(path).expanduser().is_dir():
                st.session_state["workspace_path"] = str(Path(path).expanduser())
                st.session_state.pop("dataset_id", None)
                st.rerun()
        else:
            st.caption(f"Workspace: {md(ctx.ws.root)}")
        sets = ctx.ws.datasets(include_reference=False)
        if sets:
            names = {d.id: f"{d.name} ({d.n_examples:,} examples)" for d in sets}
            st.selectbox("Dataset", list(names), format_func=names.get, key="dataset_id")
        raw_toggle()
        st.caption(
            f"Signed in as **{md(ctx.user)}** ({ctx.role})"
            if ctx.team
            else f"Local mode: **{md(ctx.user)}** ({ctx.role})"
        )
        if ctx.team:
            session_cookie.keep(context.session_token(), SessionPolicy.from_env().absolute)
            c1, c2 = st.columns(2)
            if c1.button("Sign out", key="sign_out", width="stretch"):
                context.sign_out(ctx.ws, ctx.user)
                st.rerun()
            if c2.button(
                "Everywhere",
                key="sign_out_everywhere",
                width="stretch",
                help="Sign out in every browser and tab where you are signed in",
            ):
                context.sign_out(ctx.ws, ctx.user, everywhere=True)
                st.rerun()
        running = [r for r in ctx.ws.runs() if r["status"] == "running" and r["kind"] in ("scan", "map", "compare")]
        for run in running:
            m = run["metrics"]
            left = jobs.time_left(m)
            st.progress(
                min(1.0, m.get("done", 0) / max(1, m.get("total", 1))),
                text=f"{run['kind']}: {m.get('stage')}" + (f" · {left}" if left else ""),
            )


def main() -> None:
    st.set_page_config(page_title="Curation workbench", page_icon=":material/fact_check:", layout="wide")
    ws = context.open_workspace(context.workspace_path())
    who = context.person(ws)
    if who is None:
        st.navigation([st.Page(login_page, title="Sign in", url_path="login")]).run()
        return
    ctx = Ctx(ws, context.pick_dataset(ws), who[0], who[1], context.team_mode())
    context.set_current(ctx)
    sections = {}
    for section, pages in PAGES.items():
        visible = [
            st.Page(f"views/{file}", title=title, icon=icon, default=file == "overview.py")
            for file, title, icon, permission in pages
            if ctx.can(permission)
        ]
        if visible:
            sections[section] = visible
    nav = st.navigation(sections)
    sidebar(ctx)
    context.show_flash()
    nav.run()


def busy_message() -> None:
    st.warning(
        "The workspace is busy right now (a large import or another process is writing to it). "
        "Nothing was lost: try again in a moment.",
        icon=":material/hourglass_top:",
    )


try:
    main()
except BusyError:
    busy_message()
except Exception as err:  # a busy database the store did not retry (a read): a message, not an error page
    if not is_busy(err):
        raise
    busy_message()
