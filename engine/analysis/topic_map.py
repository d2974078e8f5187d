"""Distances between topics and the intertopic map: Jensen–Shannon distances between the
columns of Φ, classical MDS (pyLDAvis's ``js_PCoA``), topic similarity.

Φ is (W, T) with φ_wt = p(w|t). Pure NumPy; nothing here draws.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def topic_distributions(phi: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Columns of Φ restricted to the tokens in ``mask`` and renormalized to sum to 1.

    Parameters
    ----------
    phi : ndarray of shape (W, T)
    mask : ndarray of shape (W,), bool, optional
        Tokens to keep (typically one modality). All tokens when omitted.

    Returns
    -------
    ndarray of shape (W', T), float64; a dead topic (all-zero column) stays all zero.
    """
    p = np.asarray(phi, dtype=np.float64)
    if mask is not None:
        p = p[np.asarray(mask, dtype=bool)]
    s = p.sum(axis=0, keepdims=True)
    return np.divide(p, s, out=np.zeros_like(p), where=s > 0)


def js_distance_matrix(p: np.ndarray, q: np.ndarray | None = None) -> np.ndarray:
    """Jensen–Shannon distances between the columns of ``p`` and those of ``q``.

    JS(a, b) = ½ KL(a‖m) + ½ KL(b‖m), m = ½(a + b), in bits (so 0 ≤ JS ≤ 1); the distance is
    √JS, a metric. A zero column is treated as the uniform distribution, so it never yields NaN.

    Parameters
    ----------
    p : ndarray of shape (W, T)
        Column-stochastic.
    q : ndarray of shape (W, S), optional
        Column-stochastic; ``p`` itself when omitted.

    Returns
    -------
    ndarray of shape (T, S), float64, entries in [0, 1]; the diagonal is 0 when ``q`` is omitted.
    """
    p = _fill_dead(np.asarray(p, dtype=np.float64))
    same = q is None
    q = p if same else _fill_dead(np.asarray(q, dtype=np.float64))
    T, S = p.shape[1], q.shape[1]
    out = np.empty((T, S))
    plogp = _xlogx(p).sum(axis=0)
    qlogq = _xlogx(q).sum(axis=0)
    for t in range(T):
        m = 0.5 * (p[:, [t]] + q)  # (W, S)
        # KL(a||m) = Σ a log a − Σ a log m
        logm = np.log2(np.where(m > 0, m, 1.0))
        kl_p = plogp[t] - (p[:, [t]] * logm).sum(axis=0)
        kl_q = qlogq - (q * logm).sum(axis=0)
        out[t] = 0.5 * (kl_p + kl_q)
    out = np.sqrt(np.clip(out, 0.0, 1.0))
    if same:
        out = 0.5 * (out + out.T)
        np.fill_diagonal(out, 0.0)
    return out


def _xlogx(a: np.ndarray) -> np.ndarray:
    return np.where(a > 0, a * np.log2(np.where(a > 0, a, 1.0)), 0.0)


def _fill_dead(p: np.ndarray) -> np.ndarray:
    dead = p.sum(axis=0) <= 0
    if dead.any() and p.shape[0]:
        p = p.copy()
        p[:, dead] = 1.0 / p.shape[0]
    return p


def topic_similarity(phi: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Topic similarity 1 − JS distance between the topics' token distributions.

    Returns
    -------
    ndarray of shape (T, T), entries in [0, 1], ones on the diagonal.
    """
    return 1.0 - js_distance_matrix(topic_distributions(phi, mask))


def classical_mds(dist: np.ndarray, k: int = 2) -> np.ndarray:
    """Classical (Torgerson) multidimensional scaling, pyLDAvis's ``js_PCoA``.

    B = −½ J D² J with J = I − 11ᵀ/n; the coordinates are the top-k eigenvectors of B scaled by
    √λ (negative eigenvalues clipped to 0). Signs are fixed so the largest |coordinate| of each
    axis is positive, which makes the layout deterministic.

    Parameters
    ----------
    dist : ndarray of shape (n, n), symmetric, zero diagonal
    k : int

    Returns
    -------
    ndarray of shape (n, k)
    """
    d = np.asarray(dist, dtype=np.float64)
    n = d.shape[0]
    if n == 0:
        return np.zeros((0, k))
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d**2) @ j
    vals, vecs = np.linalg.eigh(0.5 * (b + b.T))
    order = np.argsort(vals)[::-1][:k]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0.0, None))
    for a in range(coords.shape[1]):
        i = np.argmax(np.abs(coords[:, a]))
        if coords[i, a] < 0:
            coords[:, a] *= -1
    if coords.shape[1] < k:
        coords = np.hstack([coords, np.zeros((n, k - coords.shape[1]))])
    return coords


def intertopic_map(phi: np.ndarray, n_t: np.ndarray, topic_names: Sequence[str],
                   background: np.ndarray | None = None, labels: Sequence[str] | None = None,
                   mask: np.ndarray | None = None) -> pd.DataFrame:
    """Topics placed in 2-D by classical MDS of their Jensen–Shannon distances.

    Parameters
    ----------
    phi : ndarray of shape (W, T)
    n_t : ndarray of shape (T,)
        Topic mass n_t = Σ_w n_wt; its share Σ-normalized is the marker size.
    topic_names : T names
    background : ndarray of shape (T,), bool, optional
    labels : T display labels, optional (defaults to names)
    mask : ndarray of shape (W,), bool, optional — tokens to compare on (one modality)

    Returns
    -------
    DataFrame with columns topic, label, x, y, mass (share of n_t, sums to 1), background.
    """
    T = phi.shape[1]
    dist = js_distance_matrix(topic_distributions(phi, mask))
    xy = classical_mds(dist, 2)
    n_t = np.clip(np.asarray(n_t, dtype=np.float64), 0, None)
    total = n_t.sum()
    mass = n_t / total if total > 0 else np.full(T, 1.0 / max(T, 1))
    return pd.DataFrame({
        "topic": list(topic_names),
        "label": list(labels) if labels is not None else list(topic_names),
        "x": xy[:, 0],
        "y": xy[:, 1],
        "mass": mass,
        "background": np.zeros(T, bool) if background is None else np.asarray(background, bool),
    })


