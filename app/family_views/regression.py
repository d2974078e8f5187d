"""Regression on Θ: options form, and the view (topics ranked by y, prediction for new text)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from app.figures.families import topic_effects_bar
from engine import top_tokens, vectorize_texts
from engine import regression as Regression


def _columns(corpus) -> list[str]:
    return [c for c in corpus.documents.columns if c not in ("id", "text", "date")]


def form(corpus, key, ws):
    cols = _columns(corpus)
    if not cols:
        st.info("This corpus has no metadata column to use as y (import it with one).")
        return None
    c1, c2 = st.columns(2)
    column = c1.selectbox("y column", cols, key=f"{key}_y",
                          help="Numeric, or categorical with positive values below (binary y)")
    values = sorted(map(str, corpus.documents[column].dropna().astype(str).unique()))[:200]
    positive = c2.multiselect("Positive values (binary y; empty = numeric)", values, key=f"{key}_pos")
    c3, c4, c5 = st.columns(3)
    tau = c3.number_input("τ", 0.0, 1e6, 50.0, key=f"{key}_tau", help="Weight of −τ Σ_d (y_d − v·θ_d)², y standardized")
    missing = c4.selectbox("Missing y", ["error", "unlabeled"], key=f"{key}_missing")
    unlabeled = c5.text_input("Leave unsupervised (COL=VALUE)", "", key=f"{key}_unl", help="e.g. split=test")
    return Regression.RegressionOptions(column=column, positive=tuple(positive), unlabeled=unlabeled.strip(),
                             missing=missing, tau=float(tau)).to_dict()


def render(run, corpus, ws, key):
    fit = Regression.fit_of(run)
    model = run.model
    labels = [model.label(t) for t in range(model.n_topics)]
    eff = Regression.topic_effects(labels, fit.v, fit.se, fit.mean, fit.sd)
    tops = top_tokens(model, run.tokens, n=6)
    words = {model.label(model.topic_names.index(t)): ", ".join(g["token"]) for t, g in tops.groupby("topic")}
    eff["words"] = eff["topic"].map(words)
    y = fit.options.column + (" = " + "/".join(fit.options.positive) if fit.options.positive else "")
    o = fit.options
    yv, mask = Regression.targets(corpus.documents, o.column, o.positive, o.unlabeled or None, o.missing)
    sc = Regression.scores(fit, model.theta.T, yv, mask)
    st.caption(f"y = {y}; fit on the labelled documents: R² {sc['r2']:.3f}"
               + (f", AUC {sc['auc']:.3f}" if "auc" in sc else "")
               + ". Bars: ȳ + s_y·v_t, the y of a document entirely about the topic, with 95 % intervals.")
    st.plotly_chart(topic_effects_bar(eff, y, fit.mean), key=f"{key}_effects")
    text = st.text_area("Predict y for new text", key=f"{key}_text", height=100)
    if text.strip():
        n_dw, _ = vectorize_texts(corpus, [text])
        yhat, theta = Regression.predict(model, fit, n_dw)
        top = np.argsort(-theta[:, 0])[:3]
        st.metric(f"predicted {y}", f"{yhat[0]:.3g}")
        st.caption("Main topics: " + ", ".join(f"{labels[t]} ({theta[t, 0]:.0%})" for t in top))


config = Regression.regression_config
