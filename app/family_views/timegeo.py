"""Time and place: a @time modality from the date column (TimeSmoothing over it) and
GeoSmoothing over a place modality with an uploaded similarity CSV (a, b[, weight]); the view
shows the topics over the @time tokens and how alike similar places' topic mixtures are.

Runs of this view are plain ARTM runs with a TimeSmoothing and/or GeoSmoothing regularizer
(:func:`applies`); the derived corpora are stored as ``NAME-time`` / ``NAME-place``, as the
CLI's ``time add`` / ``place add`` do.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import state
from app.figures.families import time_topics_chart
from engine import parse_regularizer
from engine import timegeo as TimeGeo

KINDS = ("TimeSmoothing", "GeoSmoothing")
SKIP = ("id", "text", "date")


def applies(run) -> bool:
    """A run with a TimeSmoothing or GeoSmoothing regularizer."""
    return any(r.get("kind") in KINDS for r in (run.config or {}).get("regularizers") or [])


def _derive(ws, corpus, build, suffix: str, key: str) -> None:
    """A button storing ``build(corpus)`` as a new corpus (nothing is written if it fails) and
    switching to it."""
    name = st.text_input("New corpus name", f"{corpus.name}-{suffix}", key=f"{key}_name")
    if st.button(f"Store “{name}”", key=f"{key}_go", icon=":material/add:"):
        if ws.has_corpus(name):
            st.error(f"A corpus named “{name}” already exists: choose another name (or select it in the sidebar).")
            return
        derived, info = build(corpus)
        ws.save_corpus(derived, name)  # refuses an existing name
        state.set(state.CORPUS, name)
        state.flash(f"Stored “{name}” with modality {info['modality']} ({info['tokens']} tokens).")
        st.rerun()


def _time_form(corpus, key, ws) -> dict | None:
    st.markdown("**Time** — TimeSmoothing over a @time modality")
    if "@time" in corpus.modalities:
        info = corpus.manifest.get("time_modality") or {}
        st.caption(f"@time: {info.get('tokens', '?')} bins ({info.get('bin', '?')}), {info.get('first', '?')} … "
                   f"{info.get('last', '?')}. Neighbouring bins get similar p(bin|t).")
        tau = st.number_input("τ of TimeSmoothing (0: off)", 0.0, 1e6, 1.0, key=f"{key}_ttau",
                              help="R = −τ Σ_t Σ_i |φ_it − φ_(i−1)t| over the bins in time order (BigARTM's rule)")
        return {"tau": float(tau), "modality": "@time"} if tau > 0 else None
    if "date" not in corpus.documents.columns:
        st.caption("This corpus has no date column: import it with a date column to derive a @time modality.")
        return None
    st.caption("This corpus has dates but no @time modality: store a copy with one (a token per document, "
               "its day, month or year), then train on it.")
    unit = st.selectbox("Time bin", ("auto",) + TimeGeo.BINS, key=f"{key}_bin",
                        help="auto: the finest of day/month/year with at most 180 bins over the date range")
    _derive(ws, corpus, lambda c: TimeGeo.add_time_modality(c, unit), "time", f"{key}_time")
    return None


def _place_form(corpus, key, ws) -> dict | None:
    st.markdown("**Place** — GeoSmoothing over a location modality")
    mods = [m for m in corpus.modalities if m not in ("@default_class", "@time")]
    mod = st.selectbox("Place modality", ["(none)"] + mods, key=f"{key}_mod")
    with st.expander("Make a @place modality from a column"):
        cols = [c for c in corpus.documents.columns if c not in SKIP]
        if not cols:
            st.caption("This corpus has no metadata column.")
        else:
            column = st.selectbox("Column holding each document's place", cols, key=f"{key}_col")
            _derive(ws, corpus, lambda c: TimeGeo.add_place_modality(c, column), "place", f"{key}_place")
    if mod == "(none)":
        return None
    up = st.file_uploader("Similarity of places (CSV: a, b[, weight] — names of the modality's tokens)",
                          type=["csv", "gz"], key=f"{key}_sim")
    tau = st.number_input("τ of GeoSmoothing", 0.0, 1e6, 0.001, format="%g", key=f"{key}_gtau",
                          help="R = −τ/2 Σ S_gg' Σ_t n_t² (φ_gt/n_g − φ_g't/n_g')²: useful τ are small "
                               "(0.001–0.002 in the planted test; larger τ can empty the modality)")
    if up is None:
        st.caption("Upload the similarity: one row per pair of similar places.")
        return None
    tokens = corpus.vocab["token"][corpus.vocab["modality"] == mod].reset_index(drop=True)
    path, info = TimeGeo.store_similarity(ws, up.getvalue(), up.name, tokens)  # checked before it is kept
    st.caption(f"{info['pairs']:,} pairs between {info['places']:,} of the {len(tokens):,} places.")
    return {"tau": float(tau), "modality": mod, "similarity": str(path)}


def form(corpus, key, ws):
    time_opts = _time_form(corpus, key, ws)
    place_opts = _place_form(corpus, key, ws)
    if time_opts is None and place_opts is None:
        st.info("Choose TimeSmoothing (a corpus with @time) and/or GeoSmoothing (a place modality and its similarity).")
        return None
    return {"time": time_opts, "geo": place_opts}


def config(cfg, options):
    regs = []
    if options.get("time"):
        t = options["time"]
        regs.append(parse_regularizer(f"TimeSmoothing(tau={t['tau']:g}, modality={t['modality']})"))
    if options.get("geo"):
        g = options["geo"]
        regs.append(parse_regularizer(f"GeoSmoothing(tau={g['tau']:g}, modality={g['modality']}, "
                                      f"similarity={g['similarity']})"))
    return cfg.with_changes(regularizers=tuple(cfg.regularizers) + tuple(regs))


def render(run, corpus, ws, key):
    regs = [r for r in run.config.get("regularizers") or [] if r.get("kind") in KINDS]
    model = run.model
    for r in regs:
        tau = r.get("tau")
        tau = tau.get("value", tau) if isinstance(tau, dict) else tau
        if r["kind"] == "TimeSmoothing":
            st.markdown(f"**Topics over {r['modality']}** (TimeSmoothing τ = {tau})")
            prof = TimeGeo.time_profiles(model, corpus, r["modality"])
            labels = list(dict.fromkeys(prof["label"]))
            spread = prof.groupby("label", sort=False)["p_topic_given_time"].std().sort_values(ascending=False)
            shown = st.multiselect("Topics", labels, spread.index[:5].tolist(), key=f"{key}_topics")
            value = st.segmented_control("Show", ["p(t|time)", "p(time|t)"], default="p(t|time)", key=f"{key}_what")
            col = "p_time_given_topic" if value == "p(time|t)" else "p_topic_given_time"
            st.plotly_chart(time_topics_chart(prof[prof["label"].isin(shown)], col, value or "p(t|time)"),
                            key=f"{key}_chart")
        else:
            st.markdown(f"**Places of {r['modality']}** (GeoSmoothing τ = {tau})")
            places, P = TimeGeo.place_topics(model, corpus, r["modality"])
            eff = TimeGeo.smoothing_effect(P, TimeGeo.read_similarity(r["similarity"], places))
            c1, c2, c3 = st.columns(3)
            c1.metric("similar places, mean L1 of p(t|g)", f"{eff['similar']:.3f}",
                      help=f"over the {eff['similar_pairs']:,} pairs of the similarity file")
            c2.metric("other pairs", f"{eff['other']:.3f}", help=f"{eff['other_pairs']:,} pairs")
            c3.metric("ratio", f"{eff['ratio']:.2f}", help="below 1: similar places share topics more")
            labels = [model.label(t) for t in range(P.shape[1])]
            best = P.argmax(axis=1)
            st.dataframe(pd.DataFrame({"place": places, "main topic": [labels[t] for t in best],
                                       "p(t|g)": P.max(axis=1).round(3)}), hide_index=True, key=f"{key}_places")
