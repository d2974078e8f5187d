"""The sentence model's view: a document with every sentence coloured by its one topic (also
shown on the Documents page for a sentence-model run, :func:`is_sentence_run` / :func:`show`)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app import resources
from app.figures.documents import highlighted_text, topic_legend
from engine import hypergraph as Hypergraph


@st.cache_resource(show_spinner="Cutting the corpus into sentences…", max_entries=4)
def _edges(name: str, fingerprint: str, options: str, _corpus):
    """Sentence edges of a corpus (cached per corpus version and options)."""
    return Hypergraph.edges_of(_corpus, json.loads(options))


def is_sentence_run(run) -> bool:
    """A run of the sentence model (hypergraph family, sentences as edges)."""
    cfg = (run.config or {}) if run is not None else {}
    return cfg.get("family") == "hypergraph" and (cfg.get("options") or {}).get("edges", "sentences") == "sentences"


def _sentence_edges(run, corpus):
    opts = Hypergraph.HypergraphOptions.from_dict(run.config.get("options")).to_dict()
    return _edges(corpus.name, corpus.fingerprint(), json.dumps(opts, sort_keys=True), corpus)


def show(run, corpus, d: int, key: str) -> None:
    """Document ``d``'s text with every sentence coloured by argmax_t p(t|d,s), and the table
    of its sentences with p(t|d,s)."""
    model = run.model
    labels = resources.short_labels(run.run_id, resources.run_stamp(run.run_id), 3)
    table, _ = Hypergraph.sentence_table(model, corpus, _sentence_edges(run, corpus), d)
    if table.empty:
        st.info("This document has no sentence with in-vocabulary tokens.")
        return
    pos = {name: t for t, name in enumerate(model.topic_names)}
    best = table["topic"].map(pos).fillna(0).astype(int).to_numpy()
    text = str(corpus.documents["text"].iloc[d])
    st.html(highlighted_text(text, table["start"].to_numpy(), table["end"].to_numpy(), best, table["p"].to_numpy(),
                             labels, background=list(model.background)))
    st.html(topic_legend(labels, best, background=list(model.background)))
    st.dataframe(pd.DataFrame({"topic": [labels[t] for t in best], "p(t|d,s)": table["p"].round(3),
                               "sentence": table["text"].str.slice(0, 200)}), hide_index=True, key=f"{key}_table")


def render(run, corpus, ws, key):
    edges = _sentence_edges(run, corpus)
    n_sent = int((edges.start >= 0).sum())
    st.caption(f"{n_sent:,} sentences in {corpus.n_docs:,} documents; each sentence is one edge "
               "p(s|d) = Σ_t θ_td Π_w φ_wt^n_sw, so it gets one topic (argmax_t p(t|d,s)).")
    d = int(st.number_input("Document number", 0, corpus.n_docs - 1, 0, key=f"{key}_doc"))
    st.markdown(f"**{corpus.documents['id'].iloc[d]}** — each sentence coloured by its topic")
    show(run, corpus, d, key)
