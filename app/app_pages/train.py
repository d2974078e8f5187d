"""Model & training: topics, modality weights, regularizer cards with τ trajectories, presets;
start a background job, then steer it live (pause/resume/stop/more/roll back, τ edits that apply
at the next iteration) while a polling fragment shows scores, τ, top tokens and the ETA."""
from __future__ import annotations

import streamlit as st

from app import memory_note, resources, state, widgets
from app.live import job_panel
from engine.errors import EngineError

P = "train"
K = lambda name: state.key(P, name)  # noqa: E731
PRESETS = {"PLSA": "plsa", "LDA": "lda", "Interpretable ARTM": "interpretable"}


def generation() -> int:
    return st.session_state.setdefault(K("gen"), 0)


def bump() -> None:
    st.session_state[K("gen")] = generation() + 1


def apply_preset() -> None:
    """Callback: replace the edited config with the chosen preset (keeps T and iterations)."""
    from engine.em.config import preset

    old = state.get(state.CONFIG) or {}
    cfg = preset(PRESETS[st.session_state[K("preset")]], n_topics=int(old.get("n_topics", 20)),
                 iterations=int(old.get("iterations", 30)),
                 **({"n_background": int(old.get("n_background", 1))} if st.session_state[K("preset")] != "PLSA" else {}))
    state.set(state.CONFIG, cfg.to_dict())
    bump()


def edit_config(cfg: dict, corpus, prefix: str, live: bool = False, applied: dict | None = None) -> dict:
    """Widgets for every field of a ``ModelConfig.to_dict()``; returns the edited dict."""
    from engine.em.config import ModelConfig

    out = dict(cfg)
    c = st.columns(6)
    out["n_topics"] = int(c[0].number_input("Subject topics", 1, 2000, int(cfg["n_topics"]), key=f"{prefix}_T", disabled=live))
    out["n_background"] = int(c[1].number_input("Background topics", 0, 100, int(cfg["n_background"]), key=f"{prefix}_B",
                                                disabled=live))
    out["iterations"] = int(c[2].number_input("Iterations", 1, 100_000, int(cfg["iterations"]), key=f"{prefix}_it",
                                              disabled=live, help="During training use “more iterations”."))
    out["inner_passes"] = int(c[3].number_input("Inner passes", 1, 100, int(cfg["inner_passes"]), key=f"{prefix}_inner"))
    out.pop("seed", None)  # old name of random_state (the RNG seed of the initial Φ)
    out["random_state"] = int(c[4].number_input("Seed", 0, 2**31, int(cfg.get("random_state", cfg.get("seed", 1))),
                                                key=f"{prefix}_seed", disabled=live))
    out["regularizers_off_last"] = int(c[5].number_input("Regularizers off for the last", 0, 1000,
                                                         int(cfg.get("regularizers_off_last", 0)), key=f"{prefix}_off",
                                                         help="iterations (unbiased final estimates)"))
    if len(corpus.modalities) > 1:
        cols = st.columns(len(corpus.modalities))
        out["modality_weights"] = {m: float(col.number_input(f"weight τ_m of {m}", 0.0, 1e6,
                                                             float(cfg["modality_weights"].get(m, 1.0)), format="%g",
                                                             key=f"{prefix}_w_{m}"))
                                   for col, m in zip(cols, corpus.modalities)}
    names = ModelConfig(n_topics=out["n_topics"], n_background=out["n_background"]).topic_names
    ctx = {"topics": names, "modalities": list(corpus.modalities)}
    regs = []
    for i, reg in enumerate(cfg["regularizers"]):
        edited, remove = widgets.regularizer_card(reg, out["iterations"], f"{prefix}_r{i}_{reg['name']}", ctx,
                                                  applied=(applied or {}).get(reg["name"]))
        if not remove:
            regs.append(edited)
    out["regularizers"] = regs
    from engine.em.regularizers import REGULARIZERS

    a1, a2 = st.columns([2, 1])
    kind = a1.selectbox("Add a regularizer", list(REGULARIZERS), key=f"{prefix}_addkind", label_visibility="collapsed")
    if a2.button("Add regularizer", key=f"{prefix}_add", icon=":material/add:"):
        out["regularizers"] = regs + [REGULARIZERS[kind](name=f"{kind}_{len(regs) + 1}").to_dict()]
        bump()
    removed = len(regs) != len(cfg["regularizers"])
    if removed:
        bump()
    return out


def setup(corpus) -> None:
    from engine.em.config import ModelConfig, preset

    if not state.get(state.CONFIG):
        state.set(state.CONFIG, preset("interpretable", n_topics=12, iterations=30).to_dict())
    st.segmented_control("Preset", list(PRESETS), default="Interpretable ARTM", key=K("preset"))
    st.button("Apply preset", key=K("apply_preset"), on_click=apply_preset,
              help="PLSA: no regularizers · LDA: smoothing priors α, β · Interpretable ARTM: smooth background "
                   "+ gradually sparse subject topics + decorrelation")
    before = state.get(state.CONFIG)
    cfg = edit_config(before, corpus, K(f"g{generation()}"))
    state.set(state.CONFIG, cfg)
    if len(cfg["regularizers"]) != len(before["regularizers"]):
        st.rerun()
    try:
        config = ModelConfig.from_dict(cfg).check_corpus(corpus)
    except EngineError as e:
        widgets.error_box(e)
        return
    reading = reading_mode(corpus)
    c1, c2 = st.columns([2, 1])
    name = c1.text_input("Run name", f"{corpus.name}-T{config.n_topics}", key=K("name"))
    fits = memory_note.show(corpus, config)
    if c2.button("Start training", type="primary", key=K("start"), icon=":material/play_arrow:", disabled=not fits):
        try:
            job_id = resources.start_job(corpus.name, config, name=name or None, reading=reading)
        except EngineError as e:
            widgets.error_box(e)
            return
        state.set(state.JOB, job_id)
        st.query_params["job"] = job_id
        st.rerun()


READING = {"standard": "Standard E-step", "one_pass": "One-pass (naive TARTM)", "tartm": "TARTM (modified EM)",
           "context": "Context-ARTM"}


def reading_mode(corpus) -> dict | None:
    """How the E-step reads documents: standard, one-pass vectorization or context-ARTM."""
    c1, c2, c3 = st.columns([2, 1, 1])
    mode = c1.segmented_control("Reading mode", list(READING), format_func=READING.get, default="standard",
                                key=K("reading"), help="Context-ARTM gives each token the topics of its left and right "
                                                       "context (needs token sequences, i.e. a text corpus). The context "
                                                       "is the token's neighbours, not the token itself (the seed's literal "
                                                       "formula includes it): with itself inside, a word predicts itself, "
                                                       "perplexity looks better than it is and words collapse onto single "
                                                       "topics (bench/README §6).") or "standard"
    if mode == "standard":
        return None
    if corpus.sequences is None and mode == "context":
        st.warning("Context-ARTM needs running text; this corpus is bag-of-words.")
        return None
    opts = {"mode": mode}
    if mode == "context":
        opts["window"] = float(c2.number_input("Context window", 2.0, 200.0, 10.0, key=K("ctx_window")))
        opts["beta"] = float(c3.slider("β (left weight)", 0.0, 1.0, 0.5, key=K("ctx_beta")))
    return opts


def live_editor(job, corpus) -> None:
    """Regularizer cards bound to the running job's config; “Apply” takes effect next iteration."""
    from engine.em.config import ModelConfig

    st.subheader("Steer the running model")
    snap = job.snapshot()
    applied: dict = {}
    for r in snap.reports:
        for name, tau in r.tau.items():
            applied.setdefault(name, {})[r.iteration] = tau
    if st.session_state.get(K("live_job")) != job.job_id or not st.session_state.get(K("live_cfg")):
        st.session_state[K("live_cfg")] = job.config.to_dict()
        st.session_state[K("live_job")] = job.job_id
    before = st.session_state[K("live_cfg")]
    cfg = edit_config(before, corpus, K(f"live{generation()}"), live=True, applied=applied)
    st.session_state[K("live_cfg")] = cfg
    if len(cfg["regularizers"]) != len(before["regularizers"]):
        st.rerun()
    if st.button("Apply changes to the running job", type="primary", key=K("apply_live"), icon=":material/bolt:"):
        try:
            new = ModelConfig.from_dict({**cfg, "iterations": job.config.iterations})
            resources.job_registry().control(job.job_id, resources.session_owner(), "update_config", new)
        except EngineError as e:
            widgets.error_box(e)
            return
        st.session_state[K("live_cfg")] = None
        state.flash("Applied: the next iteration uses the new settings.")
        bump()
        st.rerun()


def attach_from_url() -> None:
    """A refresh keeps ?job=<id> in the URL: re-attach to that job if this server runs it."""
    jid = st.query_params.get("job")
    if not state.job_id() and jid and resources.job(jid) is not None:
        resources.job_registry().attach(jid, resources.session_owner())
        state.set(state.JOB, jid)


st.title("Model & training")
corpus = widgets.require_corpus()
attach_from_url()
job = resources.job(state.job_id())
if job is None:
    setup(corpus)
    others = [j for j in resources.job_registry().jobs() if not j.snapshot().done]
    if others:
        st.subheader("Jobs running on this server")
        for j in others:
            s = j.snapshot()
            c1, c2 = st.columns([3, 1])
            c1.write(f"**{s.name}** · {s.status} · iteration {s.iteration}/{s.total_iterations}")
            if c2.button("Open and control", key=K(f"attach_{j.job_id}")):
                resources.job_registry().attach(j.job_id, resources.session_owner())
                state.set(state.JOB, j.job_id)
                st.query_params["job"] = j.job_id
                st.rerun()
else:
    job_panel(job)
    if not job.snapshot().done:
        live_editor(job, resources.corpus(job.corpus.name) if job.corpus.name else corpus)
