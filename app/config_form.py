"""The model-configuration form shared by the set-up page and the live steering panel: every
field of a ``ModelConfig.to_dict()`` (topics, iterations, modality weights, regularizer cards
with τ trajectories) and the reading mode. Widgets only; the caller decides what to do."""
from __future__ import annotations

import importlib.util

import streamlit as st

import engine
from app import glossary, widgets

READING = {"standard": "Standard E-step", "one_pass": "One-pass (naive TARTM)", "tartm": "TARTM (modified EM)",
           "context": "Context-ARTM"}


def generation(key: str) -> int:
    """Widget generation of a form: bumped to rebuild its widgets from a new config."""
    return st.session_state.setdefault(f"{key}_gen", 0)


def bump(key: str) -> None:
    st.session_state[f"{key}_gen"] = generation(key) + 1


def edit_config(cfg: dict, corpus, prefix: str, live: bool = False, applied: dict | None = None,
                on_change_key: str | None = None, later: list | None = None, in_form: bool = False) -> dict:
    """Widgets for every field of a ``ModelConfig.to_dict()``; returns the edited dict.

    ``live``: the fields that cannot change during training are shown disabled.
    ``applied``: {regularizer: {iteration: τ}} drawn on each card's τ chart.
    ``later``: a list to collect the cards' τ charts in, to draw after the caller acted
    (see :func:`app.widgets.regularizer_card`); None draws them in place.
    ``in_form``: the widgets sit in an ``st.form`` (no buttons allowed there): "Remove" is a
    checkbox and "Add" a choice, both acted on when the form is submitted.
    """
    out = dict(cfg)
    c = st.columns(6)
    out["n_topics"] = int(c[0].number_input("Subject topics", 1, 2000, int(cfg["n_topics"]), key=f"{prefix}_T",
                                            disabled=live, help="Topics the model learns (themes)."))
    out["n_background"] = int(c[1].number_input(
        "Background topics", 0, 100, int(cfg["n_background"]), key=f"{prefix}_B", disabled=live,
        help="Extra topics that soak up general language (function words, boilerplate)."))
    out["iterations"] = int(c[2].number_input("Iterations", 1, 100_000, int(cfg["iterations"]), key=f"{prefix}_it",
                                              disabled=live, help=glossary.tip("iteration", "During training use “more iterations”.")))
    out["inner_passes"] = int(c[3].number_input("Inner passes", 1, 100, int(cfg["inner_passes"]), key=f"{prefix}_inner",
                                                help=glossary.tip("inner passes")))
    out.pop("seed", None)  # old name of random_state (the RNG seed of the initial Φ)
    out["random_state"] = int(c[4].number_input("Seed", 0, 2**31, int(cfg.get("random_state", cfg.get("seed", 1))),
                                                key=f"{prefix}_seed", disabled=live,
                                                help="Random seed of the initial Φ: the same seed gives the same model."))
    out["regularizers_off_last"] = int(c[5].number_input("Regularizers off for the last", 0, 1000,
                                                         int(cfg.get("regularizers_off_last", 0)), key=f"{prefix}_off",
                                                         help="iterations (unbiased final estimates)"))
    if len(corpus.modalities) > 1:
        cols = st.columns(len(corpus.modalities))
        out["modality_weights"] = {m: float(col.number_input(f"weight τ_m of {glossary.modality(m)}", 0.0, 1e6,
                                                             float(cfg["modality_weights"].get(m, 1.0)), format="%g",
                                                             key=f"{prefix}_w_{m}", help=glossary.tip("τ_m")))
                                   for col, m in zip(cols, corpus.modalities)}
    names = engine.ModelConfig(n_topics=out["n_topics"], n_background=out["n_background"]).topic_names
    ctx = {"topics": names, "modalities": list(corpus.modalities)}
    regs = []
    for i, reg in enumerate(cfg["regularizers"]):
        edited, remove = widgets.regularizer_card(reg, out["iterations"], f"{prefix}_r{i}_{reg['name']}", ctx,
                                                  applied=(applied or {}).get(reg["name"]), later=later, in_form=in_form)
        if not remove:
            regs.append(edited)
    out["regularizers"] = regs
    a1, a2 = st.columns([2, 1])
    if in_form:
        kind = a1.selectbox("Add a regularizer (when you click a button below)", [None, *engine.REGULARIZERS],
                            format_func=lambda k: "—" if k is None else k, key=f"{prefix}_addkind",
                            help=glossary.tip("SmoothSparsePhi"))
        add = kind is not None
    else:
        kind = a1.selectbox("Add a regularizer", list(engine.REGULARIZERS), key=f"{prefix}_addkind",
                            label_visibility="collapsed", help=glossary.tip("SmoothSparsePhi"))
        add = a2.button("Add regularizer", key=f"{prefix}_add", icon=":material/add:")
    if add:
        out["regularizers"] = regs + [engine.REGULARIZERS[kind](name=f"{kind}_{len(regs) + 1}").to_dict()]
    return out


def reading_mode(corpus, key) -> dict | None:
    """How the E-step reads documents: standard, one-pass vectorization or context-ARTM."""
    c1, c2, c3 = st.columns([2, 1, 1])
    mode = c1.segmented_control("Reading mode", list(READING), format_func=READING.get, default="standard",
                                key=key("reading"), help="Context-ARTM gives each token the topics of its left and "
                                                         "right context (needs running text). The context is the "
                                                         "token's neighbours, not the token itself (the seed's literal "
                                                         "formula includes it): with itself inside, a word predicts "
                                                         "itself, perplexity looks better than it is and words collapse "
                                                         "onto single topics (bench/README §6).") or "standard"
    if mode == "standard":
        return None
    if corpus.sequences is None and mode == "context":
        st.warning("Context-ARTM needs running text; this corpus is bag-of-words.")
        return None
    opts = {"mode": mode}
    if mode == "context":
        opts["window"] = float(c2.number_input("Context window", 2.0, 200.0, 10.0, key=key("ctx_window"),
                                               help="How many neighbouring words count as context."))
        opts["beta"] = float(c3.slider("β (left weight)", 0.0, 1.0, 0.5, key=key("ctx_beta"), help=glossary.tip("β")))
    return opts


DASK = {"here": "This server", "local": "Dask: local cluster", "scheduler": "Dask: a running scheduler"}


def out_of_core(corpus, config, key):
    """The options of a corpus stored as batches (Θ on disk or not, online EM, where the E-step
    runs: here or on Dask workers); returns ``config`` in the batched family."""
    st.markdown(f"**Out of core** — this corpus is stored as {corpus.n_batches:,} batches on disk "
                f"({corpus.n_docs:,} documents): they stream through memory two at a time.")
    c1, c2, c3 = st.columns(3)
    theta = c1.segmented_control("Θ between passes", ["disk", "none"], default="disk", key=key("ooc_theta"),
                                 format_func={"disk": "kept on disk", "none": "from uniform"}.get,
                                 help="Kept: each document's θ starts where the last pass left it (a file on "
                                      "disk, not memory). From uniform: BigARTM's default, nothing kept.") or "disk"
    online = None
    if c2.toggle("Online EM", key=key("ooc_online"),
                 help="Φ updated every k batches with weight ρ = (τ₀ + i)^(−κ) (BigARTM's fit_online): "
                      "for corpora seen once or streams."):
        k = int(c2.number_input("Update every k batches", 1, 10_000, 1, key=key("ooc_k")))
        tau0 = float(c2.number_input("τ₀", 1.0, 1e6, 1024.0, key=key("ooc_tau0")))
        kappa = float(c2.number_input("κ", 0.51, 1.0, 0.7, 0.05, key=key("ooc_kappa"),
                                      help="Must be > 0.5 for online EM to converge."))
        online = {"update_every": k, "tau0": tau0, "kappa": kappa}
    has_dask = importlib.util.find_spec("distributed") is not None
    where = c3.radio("E-step runs on", list(DASK), format_func=DASK.get, key=key("ooc_where"),
                     disabled=not has_dask,
                     help=None if has_dask else "Dask is not installed: pip install 'artm-studio[distributed]'")
    dask = None
    if where == "local":
        n = int(c3.number_input("Workers (processes)", 1, 64, 2, key=key("ooc_workers")))
        dask = f"local:{n}"
    elif where == "scheduler":
        addr = c3.text_input("Scheduler address", "tcp://127.0.0.1:8786", key=key("ooc_addr"),
                             help="Its workers must see the corpus folder at the same path.").strip()
        dask = addr or None
    return engine.batched_config(config, theta=theta, online=online, dask=dask)
