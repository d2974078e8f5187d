"""Document links (relational ARTM): edges between documents, their Θ term and agreement.

R(Θ) = τ Σ_{d,c} n_dc Σ_t θ_td θ_tc over an undirected weighted edge list (reply-to, citation,
same thread). Its Θ term for the E-step is r_td = θ_td ∂R/∂θ_td = τ θ_td Σ_c n_dc θ_tc (both
directions of every edge), evaluated at the previous pass's Θ: a document is pulled toward the
topics of the documents it is linked to.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.errors import InputError
from engine.families.tables import read_user_table


def read_edges(path, documents: pd.DataFrame, source_col: str = "source", target_col: str = "target",
               weight_col: str = "weight", allow_unknown: bool = False) -> sp.csr_matrix:
    """Symmetric (D, D) CSR of link weights n_dc from a CSV/Parquet edge list of document ids.

    Errors name the file and column: missing file or columns, no edges, unknown ids (unless
    ``allow_unknown``, then those edges are dropped), non-positive/NaN weights. Self-links are
    dropped; repeated edges add up.
    """
    df = read_user_table(path, "edge list")
    return edges_from_frame(df, documents, Path(path).name, source_col, target_col, weight_col, allow_unknown)


def edges_from_frame(df: pd.DataFrame, documents: pd.DataFrame, name: str = "edges",
                     source_col: str = "source", target_col: str = "target", weight_col: str = "weight",
                     allow_unknown: bool = False) -> sp.csr_matrix:
    for col in (source_col, target_col):
        if col not in df.columns:
            raise InputError(f"edge list {name}: no column {col!r} (columns: {', '.join(map(str, df.columns))}); "
                             "give one row per link with the two documents' ids")
    if df.empty:
        raise InputError(f"edge list {name} has no edges")
    ids = pd.Index(documents["id"].astype(str))
    s = ids.get_indexer(df[source_col].astype(str))
    t = ids.get_indexer(df[target_col].astype(str))
    if weight_col in df.columns:
        w = pd.to_numeric(df[weight_col], errors="coerce").to_numpy(np.float64)
        if np.isnan(w).any() or (w <= 0).any():
            raise InputError(f"edge list {name}: column {weight_col!r} must hold positive numbers "
                             f"({int(np.isnan(w).sum())} missing/non-numeric, {int((w <= 0).sum())} ≤ 0)")
    else:
        w = np.ones(len(df))
    unknown = (s < 0) | (t < 0)
    if unknown.all():
        raise InputError(f"edge list {name}: none of its document ids is in the corpus "
                         f"(e.g. {df[source_col].astype(str).iloc[0]!r}); ids must match the corpus's id column")
    if unknown.any() and not allow_unknown:
        bad = np.where(s < 0, df[source_col].astype(str), df[target_col].astype(str))[unknown][:3]
        raise InputError(f"edge list {name}: {int(unknown.sum())} edges name documents not in the corpus "
                         f"(e.g. {', '.join(map(repr, bad))}); fix them or allow unknown ids to drop them")
    keep = ~unknown & (s != t)
    if not keep.any():
        raise InputError(f"edge list {name} has no edge between two different documents of the corpus")
    s, t, w = s[keep], t[keep], w[keep]
    D = len(ids)
    m = sp.coo_matrix((np.r_[w, w], (np.r_[s, t], np.r_[t, s])), shape=(D, D)).tocsr()
    m.sum_duplicates()
    return m


def theta_term(theta_dt: np.ndarray, links: sp.csr_matrix, tau: float) -> np.ndarray:
    """r_td = τ θ_td Σ_c n_dc θ_tc: (D, T) float32."""
    th = np.asarray(theta_dt, np.float32)
    return (tau * th * (links @ th)).astype(np.float32)


def agreement(theta_dt: np.ndarray, links: sp.csr_matrix) -> np.ndarray:
    """Bhattacharyya coefficient Σ_t √(θ_td θ_tc) of every edge (d < c), in CSR order."""
    up = sp.triu(links, k=1).tocoo()
    r = np.sqrt(np.maximum(np.asarray(theta_dt, np.float64), 0.0))
    return np.einsum("nt,nt->n", r[up.row], r[up.col]), up.row, up.col


def random_agreement(theta_dt: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """The same coefficient for ``n`` random document pairs (the baseline of the view)."""
    rng = np.random.default_rng(seed)
    D = theta_dt.shape[0]
    a, b = rng.integers(0, D, n), rng.integers(0, D, n)
    r = np.sqrt(np.maximum(np.asarray(theta_dt, np.float64), 0.0))
    return np.einsum("nt,nt->n", r[a], r[b])
