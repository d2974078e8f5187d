"""ARTM Studio — entry script: page config, identity, background start-up, shared sidebar and
routing only.

Run with ``artm-studio app`` (or ``streamlit run app/streamlit_app.py``); the workspace is
$ARTM_STUDIO_HOME (default ~/.artm-studio). The page is drawn first; the engine, the sidebar and
the start-up work (sample import and kernel warm-up in a background thread,
:func:`app.resources.background`) come after it, so the first paint never waits for them.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import identity, state

ICON = Path(__file__).parent / "assets" / "icon.png"  # bundled: no request to a font CDN

st.set_page_config(page_title="ARTM Studio", page_icon=str(ICON), layout="wide")
state.init()
identity.gate()
identity.current()

pages = {
    "Start": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/data.py", title="Data", icon=":material/database:"),
    ],
    "Build": [
        st.Page("app_pages/train.py", title="Model & training", icon=":material/model_training:"),
        st.Page("app_pages/live.py", title="Live training", icon=":material/monitoring:"),
    ],
    "Inspect": [
        st.Page("app_pages/topics.py", title="Topics", icon=":material/bubble_chart:"),
        st.Page("app_pages/documents.py", title="Documents", icon=":material/article:"),
        st.Page("app_pages/trends.py", title="Trends", icon=":material/timeline:"),
        st.Page("app_pages/runs.py", title="Runs", icon=":material/history:"),
    ],
    "Themes": [
        st.Page("app_pages/seeds.py", title="Seed words", icon=":material/manage_search:"),
        st.Page("app_pages/families.py", title="Model families", icon=":material/category:"),
    ],
    "Structure": [
        st.Page("app_pages/hierarchy.py", title="Hierarchy", icon=":material/account_tree:"),
        st.Page("app_pages/sweep.py", title="How many topics?", icon=":material/query_stats:"),
    ],
}
page = st.navigation(pages)
message = state.flash()
if message:
    st.toast(message)
page.run()
# After the page is drawn: the engine (≈1 s to import on a cold server) loads only now, so the
# first paint of the home page never waits for it; then the start-up work and the sidebar.
from app import resources, widgets  # noqa: E402 - deliberately after page.run(), see above

resources.background()
widgets.sidebar()
