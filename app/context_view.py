"""Self-contained Streamlit blocks for topics inside the text (context-ARTM, segmentation,
one-pass vectorization of pasted text). A page calls :func:`render_document` with
(run, corpus, document index) and :func:`render_paste` with (run, corpus).

All computation is in ``engine.context`` (the context family, through the facade) (pure, cached here per run and document); all drawing in
``app.figures.context``.
"""
from __future__ import annotations

import json

import numpy as np
import streamlit as st

import engine

from app.figures import context as CF
from app.figures import documents as DF
from engine import EngineError, analysis

WINDOW = 120  # token positions shown at once


def _options(run, workspace=None):
    """The run's context options (saved beside it) or the default context reading."""
    opts = None
    if workspace is not None:
        try:
            opts = engine.context.load_options(workspace, run.run_id)
        except EngineError:
            opts = None
    return opts or engine.ContextOptions()


@st.cache_data(show_spinner=False, max_entries=64)
def _doc_analysis(_run, _corpus, run_key: str, d: int, opts_json: str, threshold: float, window: float):
    """(plain (T,n), context (T,n), segments, boundary scores) of document d; cached per run/doc."""
    opts = engine.ContextOptions.from_dict(json.loads(opts_json))
    ctx_opts = opts if opts.mode == "context" else engine.ContextOptions.from_dict({**opts.to_dict(), "mode": "context"})
    model = _run.model
    tokens = _corpus.sequences.of(d)[0]
    plain = engine.token_topics(model, _corpus, d)
    context = engine.context.token_topics(model, tokens, ctx_opts, iteration=10_000, corpus=_corpus)
    segs = engine.segment(model, _corpus, d, threshold=threshold, options=ctx_opts, window=window)
    scores = engine.context.boundary_scores(context.T, window) if context.shape[1] else np.zeros(0)
    return plain, context, segs, scores


def render_document(run, corpus, d: int, *, key: str = "ctx", workspace=None) -> None:
    """Segments, segment-annotated text and plain-vs-context heatmaps of document ``d``."""
    model = run.model
    labels = analysis.topic_names_for(run)  # one naming everywhere: label, else two top words
    bg = list(model.background)
    if corpus.sequences is None:
        st.info("This corpus was imported as bag-of-words: there is no running text to segment.")
        return
    opts = _options(run, workspace)
    c1, c2 = st.columns(2)
    window = c1.slider("Context window (tokens)", 2, 60, int(round(opts.window(10_000))), key=f"{key}_window",
                       help="Width of the left and right moving averages (γ = 1/window).")
    threshold = c2.slider("Boundary threshold", 0.05, 1.0, 0.3, step=0.05, key=f"{key}_threshold",
                          help="A boundary needs this much difference between the left and right topic contexts.")
    try:
        plain, context, segs, scores = _doc_analysis(run, corpus, f"{run.run_id}:{getattr(run, 'updated_at', '')}:"
                                                     f"{corpus.name}:{corpus.n_docs}",
                                                     int(d), json.dumps(opts.to_dict()), float(threshold),
                                                     float(window))
    except EngineError as e:
        st.error(str(e))
        return
    n = plain.shape[1]
    if n == 0:
        st.info("No in-vocabulary tokens in this document.")
        return
    text = str(corpus.documents["text"].iloc[d] or "")
    st.markdown(f"**{len(segs)} segment{'s' if len(segs) != 1 else ''}** — the text split where the topics "
                "of the left and right contexts differ most")
    st.plotly_chart(CF.segment_strip(segs, labels, background=bg), key=f"{key}_strip")
    st.html(CF.segmented_text(text, segs, labels, background=bg))
    st.dataframe(CF.segments_table_rows(segs, labels), hide_index=True, key=f"{key}_table")
    with st.expander("Boundary scores"):
        bounds = [s["token_start"] for s in segs[1:]]
        toks = corpus.vocab["token"].to_numpy()[corpus.sequences.of(d)[0]]
        st.plotly_chart(CF.boundary_plot(scores, threshold, bounds, tokens=toks), key=f"{key}_scores")
    start = 0
    if n > WINDOW:
        start = st.slider("Token positions", 0, n - 1, 0, step=max(1, WINDOW // 2), key=f"{key}_pos_{d}")
    stop = min(n, start + WINDOW)
    toks = corpus.vocab["token"].to_numpy()[corpus.sequences.of(d)[0]]
    st.markdown("**p(t|d,w) per token: plain ARTM (θ of the document) vs context-ARTM (θ of each "
                "token's context)**")
    st.plotly_chart(CF.compare_token_heatmaps(plain[:, start:stop], context[:, start:stop], toks[start:stop],
                                              labels, offset=start,
                                              boundaries=[s["token_start"] for s in segs[1:]]),
                    key=f"{key}_heatmaps")


def render_paste(run, corpus, *, key: str = "paste", workspace=None) -> None:
    """A text box: any pasted text gets its topics (one-pass θ, no iterations) and its per-token
    topic heatmap at once."""
    model = run.model
    labels = analysis.topic_names_for(run)  # one naming everywhere: label, else two top words
    bg = list(model.background)
    text = st.text_area("Paste any text", key=f"{key}_text", height=140,
                        placeholder="A paragraph, an article, a message…")
    if not text or not text.strip():
        return
    try:
        n_dw, seqs = engine.vectorize_texts(corpus, [text])
    except EngineError as e:
        st.error(str(e))
        return
    tokens = seqs.of(0)[0]
    if len(tokens) == 0:
        st.warning("None of the words of this text is in the model's vocabulary.")
        return
    theta = engine.one_pass_theta(model, n_dw)[:, 0]
    opts = _options(run, workspace)
    mode = st.segmented_control("Per-token topics", ["one-pass", "context"], default="one-pass",
                                key=f"{key}_mode") or "one-pass"
    ptd = engine.context.token_topics(model, tokens, {"mode": "one_pass"} if mode == "one-pass"
                         else {**opts.to_dict(), "mode": "context"}, iteration=10_000, corpus=corpus)
    st.caption(f"{len(tokens)} tokens in the vocabulary · topics by one-pass vectorization "
               "θ_t = Σ_w (n_w/n) p(t|w)")
    st.plotly_chart(DF.theta_bar(theta, labels, background=bg, min_share=0.01), key=f"{key}_theta")
    best = np.argmax(ptd, axis=0)
    probs = ptd[best, np.arange(ptd.shape[1])]
    st.html(DF.highlighted_text(text, seqs.start[:len(tokens)], seqs.end[:len(tokens)], best, probs, labels,
                                background=bg, window=(0, min(len(tokens), 400))))
    surface = [text[int(a):int(b)] for a, b in zip(seqs.start, seqs.end)]
    st.plotly_chart(DF.token_heatmap(ptd[:, :WINDOW * 2], surface[:WINDOW * 2], labels), key=f"{key}_heatmap")
