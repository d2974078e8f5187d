"""ARTM Studio — entry script: page config, one-time warm-up, shared sidebar and routing only.

Run with ``artm-studio app`` (or ``streamlit run app/streamlit_app.py``); the workspace is
$ARTM_STUDIO_HOME (default ~/.artm-studio).
"""
from __future__ import annotations

import streamlit as st

from app import resources, state, widgets

st.set_page_config(page_title="ARTM Studio", page_icon=":material/hub:", layout="wide")
state.init()
resources.warmup()
try:
    resources.ensure_sample()
except Exception as e:  # noqa: BLE001 - the app still works on other corpora
    st.warning(f"The bundled sample corpus could not be imported: {e}")

pages = {
    "Build": [
        st.Page("app_pages/data.py", title="Data", icon=":material/database:", default=True),
        st.Page("app_pages/train.py", title="Model & training", icon=":material/model_training:"),
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
widgets.sidebar()
message = state.flash()
if message:
    st.toast(message)
page.run()
