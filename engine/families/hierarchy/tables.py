"""DataFrames for the hierarchy views: the topic tree, one parent's children, Ψ as a long table.

Node ids are ``L{level}:{topic name}``; a child's ``parent`` is its strongest parent
(argmax_t p(t|s)); ``mass`` is the topic's share n_t / Σ_t n_t within its level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.analysis.tables import top_tokens
from engine.families.hierarchy.model import Hierarchy
from engine.families.hierarchy.psi import p_parent_given_child, parent_of

TREE_COLUMNS = ["node", "level", "topic", "index", "label", "parent", "mass", "psi", "top_tokens"]


def _mass(n_t: np.ndarray) -> np.ndarray:
    n_t = np.asarray(n_t, np.float64)
    s = n_t.sum()
    return n_t / s if s > 0 else np.full(len(n_t), 1.0 / max(len(n_t), 1))


def _tokens_text(h: Hierarchy, k: int, n: int) -> list[str]:
    m = h.levels[k].model
    modality = m.modalities[0] if m.modalities else None
    tt = top_tokens(m, h.tokens, n=n, modality=modality)
    words = tt.groupby("topic", sort=False)["token"].apply(lambda s: ", ".join(s.astype(str)))
    return [words.get(name, "") for name in m.topic_names]


def tree_table(h: Hierarchy, n_tokens: int = 6) -> pd.DataFrame:
    """One row per topic of every level: node, level, topic, index, label, parent (node id or
    "" at the top), mass, psi (p(topic|parent), NaN at the top), top_tokens."""
    rows = []
    for k, lv in enumerate(h.levels):
        m = lv.model
        mass = _mass(m.n_t)
        words = _tokens_text(h, k, n_tokens)
        par = parent_of(lv.psi) if lv.psi is not None else np.full(m.n_topics, -1)
        for s in range(m.n_topics):
            parent = h.node_id(k - 1, int(par[s])) if k and par[s] >= 0 else ""
            psi = float(lv.psi[s, par[s]]) if k and par[s] >= 0 else np.nan
            rows.append((h.node_id(k, s), k, m.topic_names[s], s, m.label(s), parent, float(mass[s]),
                         psi, words[s]))
    return pd.DataFrame(rows, columns=TREE_COLUMNS)


def children_table(h: Hierarchy, k: int, t: int, n_tokens: int = 8) -> pd.DataFrame:
    """Children of topic ``t`` of level ``k`` (kept edges, strongest first): child index, topic,
    label, psi = p(child|parent), p_parent = p(parent|child), strongest, mass, top_tokens."""
    cols = ["child", "topic", "label", "psi", "p_parent", "strongest", "mass", "top_tokens"]
    if k + 1 >= len(h.levels):
        return pd.DataFrame(columns=cols)
    e = h.edges(k + 1)
    e = e[e["parent"] == t].sort_values("psi", ascending=False, kind="stable")
    m = h.levels[k + 1].model
    mass = _mass(m.n_t)
    words = _tokens_text(h, k + 1, n_tokens)
    out = pd.DataFrame({
        "child": e["child"].astype(int).to_numpy(),
        "topic": [m.topic_names[s] for s in e["child"]],
        "label": [m.label(int(s)) for s in e["child"]],
        "psi": e["psi"].to_numpy(), "p_parent": e["p_parent"].to_numpy(),
        "strongest": e["strongest"].to_numpy(),
        "mass": [float(mass[int(s)]) for s in e["child"]],
        "top_tokens": [words[int(s)] for s in e["child"]],
    })
    return out[cols].reset_index(drop=True)


def psi_table(h: Hierarchy, k: int) -> pd.DataFrame:
    """Ψ between level k−1 and k as a long table: parent, child (labels), psi, p_parent,
    strongest (the child's strongest parent), edge (kept as an edge)."""
    lv = h.level(k)
    if lv.psi is None:
        return pd.DataFrame(columns=["parent", "child", "psi", "p_parent", "strongest", "edge"])
    pm, cm = h.levels[k - 1].model, lv.model
    psi = np.asarray(lv.psi, np.float64)
    p = p_parent_given_child(psi)
    best = parent_of(psi)
    kept = {(int(r.parent), int(r.child)) for r in h.edges(k).itertuples()}
    S, T = psi.shape
    ss, tt = np.meshgrid(np.arange(S), np.arange(T), indexing="ij")
    return pd.DataFrame({
        "parent": [pm.label(int(t)) for t in tt.ravel()],
        "child": [cm.label(int(s)) for s in ss.ravel()],
        "psi": psi.ravel(), "p_parent": p.ravel(),
        "strongest": (best[ss.ravel()] == tt.ravel()),
        "edge": [(int(t), int(s)) in kept for s, t in zip(ss.ravel(), tt.ravel())],
    })


def quality_table(h: Hierarchy) -> pd.DataFrame:
    """One row per parent → child link (level k−1 → k) with the :mod:`.quality` scores."""
    rows = [{"link": f"{k} → {k + 1}", **q} for k, q in enumerate(h.quality)]
    return pd.DataFrame(rows)


def edge_nodes(h: Hierarchy, k: int) -> pd.DataFrame:
    """Kept edges between level k−1 and k with node ids: parent_node, child_node, psi, strongest."""
    e = h.edges(k)
    return pd.DataFrame({"parent_node": [h.node_id(k - 1, int(t)) for t in e["parent"]],
                         "child_node": [h.node_id(k, int(s)) for s in e["child"]],
                         "psi": e["psi"].to_numpy(float), "strongest": e["strongest"].to_numpy(bool)})
