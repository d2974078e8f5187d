"""Author–topic model: options form and views (profiles, author map, an author's documents)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from app.figures.families import author_map, author_profiles_heatmap
from engine import author as Author

config = Author.author_config


def form(corpus, key, ws):
    cols = [c for c in corpus.documents.columns if c not in ("id", "text", "date")]
    if not cols:
        st.info("This corpus has no metadata column with authors (import it with one).")
        return None
    c1, c2, c3 = st.columns(3)
    column = c1.selectbox("Author column", cols, key=f"{key}_col", help="Speaker, party, channel, category…")
    sep = c2.text_input("Separator of several authors", "", key=f"{key}_sep", help="e.g. ; — empty: one per value")
    mode = c3.selectbox("θ_cd", ["fixed", "learned"], key=f"{key}_mode",
                        help="fixed: 1/|authors of d| (classic author–topic); learned: EM over the listed authors")
    return Author.AuthorOptions(column=column, sep=sep, mode=mode).to_dict()


def render(run, corpus, ws, key):
    fit = Author.fit_of(run, corpus)
    model = run.model
    labels = [model.label(t) for t in range(model.n_topics)]
    counts = fit.documents_per_author
    C = len(fit.authors)
    n = C if C <= 3 else st.slider("Authors shown (most documents first)", 3, min(200, C), min(30, C), key=f"{key}_n")
    top = np.argsort(-counts)[:n]
    names = [fit.authors[c] for c in top]
    st.caption(f"{len(fit.authors)} authors from column “{fit.options.column}”, θ_cd {fit.options.mode}.")
    left, right = st.columns(2)
    left.plotly_chart(author_profiles_heatmap(fit.psi[:, top], names, labels), key=f"{key}_heat")
    xy = Author.author_map(fit.psi[:, top])
    right.plotly_chart(author_map(xy, names, [labels[int(t)] for t in fit.psi[:, top].argmax(0)], counts[top]),
                       key=f"{key}_map")
    c1, c2 = st.columns(2)
    who = c1.selectbox("Author", names, key=f"{key}_who")
    c = fit.authors.index(who)
    t = c2.selectbox("Topic", range(len(labels)), index=int(np.argmax(fit.psi[:, c])),
                     format_func=lambda i: labels[i], key=f"{key}_topic")
    docs = corpus.documents
    for d, p in Author.top_documents(fit, who, int(t), n=5):
        st.markdown(f"**{docs['id'].iloc[d]}** · p(t, c | d) = {p:.2f}  \n{str(docs['text'].iloc[d] or '')[:400]}")
