"""Model families (issue 13): train a family model (regression on Θ, author–topic, …) and see
the family's view of the selected run. Each family lives in ``app/family_views/<name>.py``."""
from __future__ import annotations

import streamlit as st

from app import resources, state, widgets
from app.family_views import FAMILIES, TITLES, view_of
from engine import Trainer, preset

P = "families"
K = lambda name: f"{P}_{name}"  # noqa: E731 - page-local keys (own prefix, not in state.PAGES)

st.title("Model families")
corpus = widgets.require_corpus()
ws = resources.workspace()
view, train = st.tabs(["View", "Train"])

with train:
    fam = st.selectbox("Family", list(FAMILIES), format_func=TITLES.get, key=K("family"))
    module = FAMILIES[fam]
    c1, c2, c3 = st.columns(3)
    topics = c1.number_input("Topics", 1, 500, 20, key=K("topics"))
    iterations = c2.number_input("Iterations", 1, 1000, 20, key=K("iterations"))
    name = c3.text_input("Run name", "", key=K("name"))
    try:
        options = module.form(corpus, K(fam), ws)
    except Exception as e:  # noqa: BLE001 - a bad option is shown, not a crash
        widgets.error_box(e)
        options = None
    if options is not None and st.button("Train", type="primary", key=K("go"), icon=":material/play_arrow:"):
        try:
            config = module.config(preset("plsa", n_topics=int(topics), iterations=int(iterations)), options)
            Trainer(corpus, config).close()  # bad family input fails here, before a job exists
            job_id = resources.job_registry().start(ws, corpus, config, owner=resources.session_owner(),
                                                    name=name or None)
        except Exception as e:  # noqa: BLE001 - the message names the column/file to fix
            widgets.error_box(e)
        else:
            state.set(state.JOB, job_id)
            st.switch_page("app_pages/train.py")

with view:
    rid = state.run_id()
    run = resources.run(rid) if rid else None
    family = view_of(run)
    if family is None:
        st.info("The selected run is a plain topic model. Train a family model in the **Train** tab, "
                "then pick its run in the sidebar.")
    else:
        st.subheader(TITLES[family])
        try:
            FAMILIES[family].render(run, corpus, ws, K(f"view_{family}"))
        except Exception as e:  # noqa: BLE001 - e.g. the corpus changed since training
            widgets.error_box(e)
