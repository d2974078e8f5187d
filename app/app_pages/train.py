"""Model & training: topics, modality weights, regularizer cards with τ trajectories, presets,
reading mode; "Start training" queues a job owned by this session and opens Live training."""
from __future__ import annotations

import streamlit as st

import engine
from app import config_form, memory_note, resources, state, widgets

P = "train"
K = lambda name: state.key(P, name)  # noqa: E731
PRESETS = {"PLSA": "plsa", "LDA": "lda", "Interpretable ARTM": "interpretable"}


def apply_preset() -> None:
    """Callback: replace the edited config with the chosen preset (keeps T and iterations)."""
    old = state.get(state.CONFIG) or {}
    chosen = st.session_state[K("preset")] or "Interpretable ARTM"
    cfg = engine.preset(PRESETS[chosen], n_topics=int(old.get("n_topics", 20)), iterations=int(old.get("iterations", 30)),
                        **({"n_background": int(old.get("n_background", 1))} if chosen != "PLSA" else {}))
    state.set(state.CONFIG, cfg.to_dict())
    config_form.bump(K("form"))


def start(corpus, config, name: str, reading) -> None:
    try:
        job_id = resources.start_job(corpus.name, config, name=name, reading=reading)
    except engine.EngineError as e:
        widgets.error_box(e)
        return
    state.set(state.JOB, job_id)
    st.switch_page("app_pages/live.py")


st.title("Model & training")
corpus = widgets.require_corpus(batched=True)  # a corpus stored as batches trains out of core
if not state.get(state.CONFIG):
    state.set(state.CONFIG, engine.preset("interpretable", n_topics=12, iterations=30).to_dict())
mine = resources.job(state.job_id())
if mine is not None and not mine.snapshot().done:
    st.info(f"Your job “{mine.snapshot().name}” is {mine.snapshot().status}.", icon=":material/model_training:")
    st.page_link("app_pages/live.py", label="Open Live training", icon=":material/monitoring:")
st.segmented_control("Preset", list(PRESETS), default="Interpretable ARTM", key=K("preset"))
st.button("Apply preset", key=K("apply_preset"), on_click=apply_preset,
          help="PLSA: no regularizers · LDA: smoothing priors α, β (Dirichlet) · Interpretable ARTM: smooth "
               "background + gradually sparse subject topics + decorrelation")
before = state.get(state.CONFIG)
cfg = config_form.edit_config(before, corpus, K(f"g{config_form.generation(K('form'))}"))
state.set(state.CONFIG, cfg)
if len(cfg["regularizers"]) != len(before["regularizers"]):
    config_form.bump(K("form"))
    st.rerun()
try:
    config = engine.ModelConfig.from_dict(cfg)
    if getattr(corpus, "is_batched", False):
        config = config_form.out_of_core(corpus, config, K)
    config = config.check_corpus(corpus)
except engine.EngineError as e:
    widgets.error_box(e)
    st.stop()
reading = None if getattr(corpus, "is_batched", False) else config_form.reading_mode(corpus, K)
default_name = f"{corpus.name}-{config.n_topics}-topics"
c1, c2 = st.columns([2, 1])
name = c1.text_input("Run name", placeholder=default_name, key=K("name"),
                     help=f"Empty: “{default_name}” (corpus and number of topics).")
fits = memory_note.show(corpus, config)
if c2.button("Start training", type="primary", key=K("start"), icon=":material/play_arrow:", disabled=not fits):
    start(corpus, config, name.strip() or default_name, reading)
