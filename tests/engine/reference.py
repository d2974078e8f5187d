"""Slow, obvious NumPy versions of the kernels in engine/_kernels.py (test-only, float64).

Each follows the formulas of DESIGN §3 and the BigARTM order of operations documented in
engine/_kernels.py, one document at a time, with dense arrays.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-16


def norm_positive(v: np.ndarray) -> np.ndarray:
    """max(v, 0) / Σ max(v, 0); values below 1e-16 become 0; all ≤ 0 gives 0."""
    v = np.maximum(v, 0.0)
    s = v.sum()
    if s <= 0:
        return np.zeros_like(v)
    out = v / s
    out[out < EPS] = 0.0
    return out


def estep(n_dw, tok_weight, tok_mod, n_mod, phi, theta_in, reset, inner_passes,
          add=None, mult=None, add_doc=None):
    """Reference offline E-step.

    Returns theta (D, T), n_wt (W, T) = Σ_d τ n_dw φ_wt θ_td / p_dw, loglik (M,), n_tok (M,).
    """
    n_dw = np.asarray(n_dw, np.float64)
    phi = np.asarray(phi, np.float64)
    D, W = n_dw.shape
    T = phi.shape[1]
    add = np.zeros(T) if add is None else np.asarray(add, np.float64)
    mult = np.zeros(T) if mult is None else np.asarray(mult, np.float64)
    theta = np.zeros((D, T))
    n_wt = np.zeros((W, T))
    loglik = np.zeros(n_mod)
    n_tok = np.zeros(n_mod)
    for d in range(D):
        x = n_dw[d] * tok_weight
        ws = np.flatnonzero(x > 0)
        if len(ws) == 0:
            continue
        th = np.asarray(theta_in[d], np.float64).copy()
        if reset or th.sum() <= 0:
            th = np.full(T, 1.0 / T)
        for _ in range(inner_passes):
            p = phi[ws] @ th
            ok = p >= EPS
            n_td = th * ((x[ws][ok] / p[ok]) @ phi[ws][ok])
            r = add + mult * n_td + (0 if add_doc is None or len(add_doc) == 0 else add_doc[d])
            th = norm_positive(n_td + r)
        p = phi[ws] @ th
        n_dm = np.zeros(n_mod)
        np.add.at(n_dm, tok_mod[ws], n_dw[d, ws])
        for j, w in enumerate(ws):
            m = tok_mod[w]
            n = n_dw[d, w]
            n_tok[m] += n
            if p[j] < EPS:
                loglik[m] += n * np.log(n / n_dm[m])
            else:
                loglik[m] += n * np.log(p[j])
                n_wt[w] += x[w] * phi[w] * th / p[j]
        theta[d] = th
    return theta, n_wt, loglik, n_tok


def mstep(x, tok_mod, n_mod):
    """φ_wt = max(x, 0) normalized over the tokens of each modality (zero columns stay 0)."""
    x = np.maximum(np.asarray(x, np.float64), 0.0)
    phi = np.zeros_like(x)
    for m in range(n_mod):
        rows = tok_mod == m
        s = x[rows].sum(axis=0)
        block = np.divide(x[rows], s, out=np.zeros_like(x[rows]), where=s > 0)
        block[block < EPS] = 0.0
        phi[rows] = block
    return phi


def one_pass_theta(n_dw, tok_weight, phi, n_t):
    """θ_td = Σ_w (τ n_dw / n_d) norm_t(φ_wt n_t)."""
    n_dw = np.asarray(n_dw, np.float64) * tok_weight
    q = phi * n_t
    s = q.sum(axis=1, keepdims=True)
    p_tw = np.divide(q, s, out=np.zeros_like(q), where=s > 0)
    acc = n_dw @ p_tw
    tot = acc.sum(axis=1, keepdims=True)
    return np.divide(acc, tot, out=np.zeros_like(acc), where=tot > 0)


def token_topics(phi, theta_d, tokens):
    """(T, n) with column i = norm_t(φ_{w_i t} θ_td)."""
    q = phi[tokens] * theta_d
    s = q.sum(axis=1, keepdims=True)
    return np.divide(q, s, out=np.zeros_like(q), where=s > 0).T


def cooccurrence(n_dw, token_ids):
    """(df (K,), co (K, K)) document counts over the binary presence matrix."""
    b = (np.asarray(n_dw)[:, token_ids] > 0).astype(np.float64)
    return b.sum(axis=0), b.T @ b
