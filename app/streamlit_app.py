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

# group → (page file in app_pages/, title, Material icon); the first page is the default one
PAGES = {
    "Start": [("home", "Home", "home"), ("data", "Data", "database")],
    "Build": [("train", "Model & training", "model_training"), ("live", "Live training", "monitoring")],
    "Inspect": [("topics", "Topics", "bubble_chart"), ("documents", "Documents", "article"),
                ("trends", "Trends", "timeline"), ("runs", "Runs", "history")],
    "Themes": [("seeds", "Seed words", "manage_search"), ("families", "Model families", "category")],
    "Structure": [("hierarchy", "Hierarchy", "account_tree"), ("sweep", "How many topics?", "query_stats")],
}
pages = {group: [st.Page(f"app_pages/{file}.py", title=title, icon=f":material/{icon}:", default=file == "home")
                 for file, title, icon in items] for group, items in PAGES.items()}
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
