"""Document links: edge-list upload and the view (linked documents' topic agreement)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.figures.families import link_agreement_hist
from engine.families.links.model import agreement, edges_from_frame, random_agreement
from engine.families.links.trainer import LinksOptions, load_links, trainer_class


def form(corpus, key):
    up = st.file_uploader("Edge list (CSV: source, target[, weight] — document ids)", type=["csv"], key=f"{key}_file")
    tau = st.number_input("τ of links", 0.0, 1e6, 20.0, key=f"{key}_tau")
    if up is None:
        st.caption("One row per link (reply-to, citation, same thread); ids must match the corpus's id column.")
        return None
    links = edges_from_frame(pd.read_csv(up, dtype=str), corpus.documents, up.name)
    st.caption(f"{links.nnz // 2} links between {int((links.getnnz(axis=1) > 0).sum())} documents.")
    return {"tau": float(tau), "links": links}


def trainer_cls(options):
    opts = dict(options)
    links = opts.pop("links")
    return trainer_class(LinksOptions.from_dict(opts), links)


def render(run, corpus, ws, key):
    opts, links = load_links(ws, run.run_id, corpus.n_docs)
    theta = run.model.theta.T
    agr, rows, cols = agreement(theta, links)
    rnd = random_agreement(theta, max(2000, len(agr)))
    st.caption(f"{len(agr)} links, τ = {opts.tau:g}: mean agreement {agr.mean():.3f} for linked documents "
               f"vs {rnd.mean():.3f} for random pairs (1 = identical topic mixtures).")
    st.plotly_chart(link_agreement_hist(agr, rnd), key=f"{key}_hist")
    ids = corpus.documents["id"].astype(str).to_numpy()
    worst = agr.argsort()[:10]
    st.markdown("**Least agreeing links**")
    st.dataframe(pd.DataFrame({"source": ids[rows[worst]], "target": ids[cols[worst]], "agreement": agr[worst]}),
                 hide_index=True)
