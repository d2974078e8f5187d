"""Home: what ARTM Studio is, and the two ways in — train a demo model on the bundled sample,
or import your own corpus. Draws nothing heavy, so it is the first thing a visitor sees."""
from __future__ import annotations

import streamlit as st

from app import state

P = "home"
K = lambda name: state.key(P, name)  # noqa: E731


def train_demo() -> None:
    from app import resources  # loads the engine: only when asked to train (keeps the first paint light)

    bg = resources.background()
    with st.spinner("Preparing the sample corpus…"):
        bg.sample_ready.wait(300)
    name = bg.sample_name or state.corpus()
    if not name:
        st.error(bg.error or "No corpus to train on: import one first.")
        return
    state.set(state.CORPUS, name)
    try:
        job_id = resources.start_demo_job(name)
    except Exception as e:  # noqa: BLE001 - an EngineError (bad corpus, …) shown to the user
        st.error(str(e))
        return
    state.set(state.JOB, job_id)
    st.switch_page("app_pages/live.py")


st.title("ARTM Studio")
st.markdown(
    "Find the **topics** in a collection of texts — speeches, articles, comments — and **steer the model while "
    "it trains**: make topics sharper or smoother, push them apart, pull chosen words into chosen topics, and see "
    "the effect after the next pass. Topic models with *additive regularization* (ARTM), as in BigARTM, in your "
    "browser; nothing leaves this machine.")
c1, c2 = st.columns(2)
with c1.container(border=True, height="stretch"):  # both cards as tall as the taller one
    st.markdown("#### Try it in one click")
    st.caption("12 topics + 1 background topic on the bundled sample (UK House of Commons speeches), "
               "20 passes, about a minute.")
    if st.button("Train a demo model", type="primary", key=K("demo"), icon=":material/play_arrow:"):
        train_demo()
with c2.container(border=True, height="stretch"):
    st.markdown("#### Bring your texts")
    st.caption("CSV, JSON lines, Parquet, plain-text folders or BigARTM/Vowpal Wabbit files; dates and metadata "
               "become trends and modalities.")
    if st.button("Import your corpus", key=K("import"), icon=":material/upload:"):
        st.switch_page("app_pages/data.py")

st.markdown("##### What you can do next")
st.markdown(
    "- **Model & training** — pick a preset, adjust the regularizers (each τ is a strength), start.\n"
    "- **Live training** — scores and top words after every pass; pause, change τ, roll back.\n"
    "- **Topics, Documents, Trends** — name topics, read documents coloured by topic, follow topics over time.\n"
    "- **Runs** — compare runs, export tables, download a printable report.")

