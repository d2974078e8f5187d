"""Document links: edge-list upload and the view (linked documents' topic agreement)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import csvsafe
from app.figures.families import link_agreement_hist
from engine import validate_name
from engine import links as Links


def form(corpus, key, ws):
    up = st.file_uploader("Edge list (CSV: source, target[, weight] — document ids)", type=["csv"], key=f"{key}_file")
    tau = st.number_input("τ of links", 0.0, 1e6, 20.0, key=f"{key}_tau")
    if up is None:
        st.caption("One row per link (reply-to, citation, same thread); ids must match the corpus's id column.")
        return None
    frame = pd.read_csv(up, dtype=str)
    links = Links.edges_from_frame(frame, corpus.documents, up.name)  # checked before it is kept
    st.caption(f"{links.nnz // 2} links between {int((links.getnnz(axis=1) > 0).sum())} documents.")
    folder = ws.root / "edges"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / validate_name(up.name, "edge list name")
    csvsafe.to_csv(frame, path)  # the run copies the edges; this file only feeds the start
    return Links.LinksOptions(edges=str(path), tau=float(tau)).to_dict()


config = Links.links_config


def render(run, corpus, ws, key):
    opts = Links.LinksOptions.from_dict(run.config.get("options"))
    links = Links.links_from_arrays(run.arrays, corpus.n_docs)
    theta = run.model.theta.T
    agr, rows, cols = Links.agreement(theta, links)
    rnd = Links.random_agreement(theta, max(2000, len(agr)))
    st.caption(f"{len(agr)} links, τ = {opts.tau:g}: mean agreement {agr.mean():.3f} for linked documents "
               f"vs {rnd.mean():.3f} for random pairs (1 = identical topic mixtures).")
    st.plotly_chart(link_agreement_hist(agr, rnd), key=f"{key}_hist")
    ids = corpus.documents["id"].astype(str).to_numpy()
    worst = agr.argsort()[:10]
    st.markdown("**Least agreeing links**")
    st.dataframe(pd.DataFrame({"source": ids[rows[worst]], "target": ids[cols[worst]], "agreement": agr[worst]}),
                 hide_index=True)
