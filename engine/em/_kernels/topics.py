"""Topic kernels with Φ fixed: p(t|w), the one-pass θ (TARTM), p(t|d,w_i) of token positions."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def one_pass_theta(indptr, indices, data, tok_weight, p_tw, theta_out):
    """θ_td = Σ_w (τ n_dw / n_d) p(t|w) for every row of n_dw (TARTM's one-pass estimate).

    p_tw : ndarray (W, T), float32 — p(t|w) = norm_t(φ_wt n_t), rows may be zero.
    theta_out : ndarray (D, T), float32 — receives θ (rows sum to 1, 0 for empty documents).
    """
    D = indptr.shape[0] - 1
    T = p_tw.shape[1]
    acc = np.empty(T, dtype=np.float64)
    for d in range(D):
        acc[:] = 0.0
        for i in range(indptr[d], indptr[d + 1]):
            w = indices[i]
            x = data[i] * tok_weight[w]
            if x > 0.0:
                for k in range(T):
                    acc[k] += x * p_tw[w, k]
        s = 0.0
        for k in range(T):
            s += acc[k]
        inv = 1.0 / s if s > 0.0 else 0.0
        for k in range(T):
            theta_out[d, k] = acc[k] * inv


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def mass_dot(phi, w, n_t, T):
    """Σ_t φ_wt n_t in float64, reassociated so that it vectorizes (the normalizer of p(t|w); every
    kernel that needs it calls this one, so p(t|w) is the same number everywhere)."""
    s = 0.0
    for k in range(T):
        s += phi[w, k] * n_t[k]
    return s


@njit(cache=True, nogil=True)
def p_t_given_w(phi, n_t, out):
    """p(t|w) = norm_t(φ_wt n_t); rows of tokens with no mass are 0.

    phi : (W, T) float32; n_t : (T,) float64; out : (W, T) float32.
    """
    W, T = phi.shape
    for w in range(W):
        s = mass_dot(phi, w, n_t, T)
        inv = 1.0 / s if s > 0.0 else 0.0
        for k in range(T):
            out[w, k] = phi[w, k] * n_t[k] * inv


@njit(cache=True, nogil=True)
def token_topics(phi, theta_d, tokens, out):
    """p(t|d,w_i) = norm_t(φ_{w_i t} θ_td) for every position i of one document.

    phi : (W, T) float32; theta_d : (T,) float32; tokens : (n,) int token ids;
    out : (T, n) float32 — column i is the topic distribution of position i (0 when
    Σ_t φ θ = 0).
    """
    T = phi.shape[1]
    n = tokens.shape[0]
    for i in range(n):
        w = tokens[i]
        s = 0.0
        for k in range(T):
            s += phi[w, k] * theta_d[k]
        inv = 1.0 / s if s > 0.0 else 0.0
        for k in range(T):
            out[k, i] = phi[w, k] * theta_d[k] * inv
