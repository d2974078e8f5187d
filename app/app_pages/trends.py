"""Trends: n_d-weighted topic prevalence over time (lines or stacked), for chosen subject topics
(background topics never appear), in bins that fit the span (up to decades or n-year bins),
optionally smoothed, split by a modality value or a metadata column; empty periods are gaps."""
from __future__ import annotations

import streamlit as st

from app import figures, glossary, resources, state, widgets
from engine import analysis

P = "trends"
K = lambda name: state.key(P, name)  # noqa: E731
FREQS = {"auto": None, "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y", "decade": "10Y",
         "n years…": "custom"}
MAX_GROUPS = 4


def split_options(corpus) -> list[str]:
    """Modalities other than words, and metadata columns with few distinct values."""
    mods = [m for m in corpus.modalities[1:]]  # (stored as batches: read batch by batch)
    docs = corpus.documents
    cols = []
    for c in docs.columns:
        if c in ("id", "text", "date", "title"):
            continue
        try:
            if 1 < docs[c].nunique(dropna=True) <= 50:
                cols.append(c)
        except TypeError:  # list-valued column
            continue
    return ["(none)"] + mods + cols


def top_groups(trends, k: int) -> list[str]:
    sizes = trends.drop_duplicates(["group", "period"]).groupby("group")["tokens"].sum()
    return sizes.sort_values(ascending=False).head(k).index.tolist()


st.title("Trends")
corpus = widgets.require_corpus(batched=True)  # dates, lengths and Θ: a corpus stored as batches too
if not corpus.has_dates:
    st.info(f"Corpus “{corpus.name}” has no dates. Import it with a date column (Data page) to see trends.")
    st.stop()
run = widgets.require_run()
model = run.model
if model.theta.shape[1] != corpus.n_docs:
    st.error(f"Run “{run.name}” was trained on a different version of corpus “{corpus.name}”.")
    st.stop()
rid, stamp = run.run_id, resources.run_stamp(run.run_id)
names = list(model.topic_names)
label = dict(zip(names, resources.short_labels(rid, stamp)))

c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
freq_name = c1.selectbox("Bins", list(FREQS), key=K("freq"),
                         help="auto: the finest of day … decade giving at most 60 bins over the corpus's span")
freq = FREQS[freq_name]
if freq == "custom":
    freq = f"{int(c1.number_input('Years per bin', 1, 500, 25, key=K('years')))}Y"
smooth = int(c2.number_input("Smoothing (bins)", 1, 25, 1, key=K("smooth"),
                             help="Moving average over this many neighbouring bins (1 = none); empty periods stay gaps."))
kind = c3.segmented_control("View", ["lines", "area"], default="lines", key=K("kind")) or "lines"
by = c4.selectbox("Split by", split_options(corpus), key=K("by"), format_func=glossary.modality,
                  help="A modality (the document's most frequent token of it) or a metadata column")
by = None if by == "(none)" else by

trends = resources.trends(rid, stamp, freq, by, smooth)  # background topics are never in it
subject = [n for i, n in enumerate(names) if not model.background[i]]
growing = analysis.fastest_growing(trends, k=3)
mass = trends.groupby("topic")["weight"].sum().reindex(subject).fillna(0).sort_values(ascending=False)
default = list(dict.fromkeys(growing + mass.index[:6].tolist()))
chosen = st.multiselect("Topics", subject, default=default, format_func=lambda n: label[n], key=K("topics"))
if by:
    groups = top_groups(trends, MAX_GROUPS)
    trends = trends[trends["group"].isin(groups)]
    st.caption(f"Showing the {len(groups)} largest groups of {by}.")
st.plotly_chart(figures.topic_trends(trends, topics=chosen or None, kind=kind, growing=growing, labels=label,
                                     all_topics=names),
                key=K("chart"))
if growing:
    st.caption("▲ fastest-growing topics (largest least-squares slope of their share over time): "
               + ", ".join(label[t] for t in growing))
if st.toggle("Growth table", key=K("table")):
    g = analysis.growth_rates(trends)
    g["topic"] = g["topic"].map(label)
    st.dataframe(g.assign(slope=100 * g["slope"], first=100 * g["first"], last=100 * g["last"])
                 .rename(columns={"slope": "Δ share per bin, pp", "first": "first, %", "last": "last, %"}),
                 hide_index=True)
