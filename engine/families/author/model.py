"""Authors of documents and the M-steps of Ψ and Θ of the three-matrix model (pure functions).

The author matrix A (D, C) is sparse: a_cd = θ_cd, nonzero only for the document's authors
(from a metadata column; a list-valued column or a separator gives several authors). Classic
author–topic: θ_cd = 1/|A_d| fixed. "Learned": θ_cd = norm_c(n_cd) over the same authors.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.errors import InputError


def _names(value, sep: str) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [str(v) for v in value]
    else:
        items = str(value).split(sep) if sep else [str(value)]
    return [s.strip() for s in items if str(s).strip()]


def author_matrix(documents: pd.DataFrame, column: str, sep: str = "",
                  source: str = "corpus") -> tuple[sp.csr_matrix, list[str]]:
    """(A (D, C) CSR float64 with rows summing to 1 over the document's authors, author names).

    Raises InputError naming the column when it is missing or no document has an author; a
    document without an author gets an empty row (it contributes nothing and its m_d is 0).
    """
    if column not in documents.columns:
        cols = [c for c in documents.columns if c != "text"]
        raise InputError(f"{source}: no author column {column!r}; the columns are {', '.join(map(str, cols))}")
    lists = [_names(v, sep) for v in documents[column].tolist()]
    names = sorted({a for lst in lists for a in lst})
    if not names:
        raise InputError(f"{source}: column {column!r} names no author in any document")
    pos = {a: i for i, a in enumerate(names)}
    rows, cols, vals = [], [], []
    for d, lst in enumerate(lists):
        uniq = list(dict.fromkeys(lst))
        for a in uniq:
            rows.append(d)
            cols.append(pos[a])
            vals.append(1.0 / len(uniq))
    A = sp.csr_matrix((vals, (rows, cols)), shape=(len(lists), len(names)), dtype=np.float64)
    A.sort_indices()
    return A, names


def mixtures(A: sp.csr_matrix, psi: np.ndarray) -> np.ndarray:
    """m (D, T) float32: m_td = Σ_c ψ_tc θ_cd."""
    return np.ascontiguousarray((A @ psi.T).astype(np.float32))


def psi_counts(A: sp.csr_matrix, psi: np.ndarray, g: np.ndarray) -> np.ndarray:
    """n_tc (T, C) = ψ_tc Σ_d θ_cd g_dt."""
    return psi * np.asarray(A.T @ g.astype(np.float64)).T


def theta_counts(A: sp.csr_matrix, psi: np.ndarray, g: np.ndarray) -> sp.csr_matrix:
    """n_cd on A's pattern: θ_cd Σ_t ψ_tc g_dt, as a CSR (D, C)."""
    coo = A.tocoo()
    vals = coo.data * np.einsum("nt,tn->n", g[coo.row].astype(np.float64), psi[:, coo.col])
    return sp.csr_matrix((vals, (coo.row, coo.col)), shape=A.shape)


def norm_columns(x: np.ndarray) -> np.ndarray:
    """Columns normalized to sum 1 (an all-zero column stays 0)."""
    s = x.sum(axis=0, keepdims=True)
    return np.divide(x, s, out=np.zeros_like(x), where=s > 0)


def norm_rows_sparse(m: sp.csr_matrix) -> sp.csr_matrix:
    s = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
    return sp.csr_matrix(sp.diags(inv) @ m)


def author_similarity(psi: np.ndarray) -> np.ndarray:
    """(C, C) Bhattacharyya similarity Σ_t √(ψ_tc ψ_tc') of the authors' topic profiles."""
    r = np.sqrt(np.maximum(psi, 0.0))
    return r.T @ r


def author_map(psi: np.ndarray) -> np.ndarray:
    """(C, 2) coordinates of the authors: classical MDS of the Hellinger distances."""
    C = psi.shape[1]
    if C < 3:
        return np.column_stack([np.arange(C, dtype=float), np.zeros(C)])
    d2 = np.maximum(2.0 - 2.0 * author_similarity(psi), 0.0)
    J = np.eye(C) - 1.0 / C
    B = -0.5 * J @ d2 @ J
    w, v = np.linalg.eigh(B)
    idx = np.argsort(w)[::-1][:2]
    return v[:, idx] * np.sqrt(np.maximum(w[idx], 0.0))
