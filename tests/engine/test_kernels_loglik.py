"""The E-step's one-modality log-likelihood: a running float64 product of p_dw^n (n_dw = 1..4),
folded into the sum before it can underflow, equals Σ n_dw ln p_dw token by token."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from engine.em import _kernels as K


def _problem(D=6, W=4000, T=3, seed=0):
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for d in range(D):
        n = 3000 if d == 2 else int(rng.integers(1, 40))  # document 2: p^n products reach 1e-250 many times
        ws = np.sort(rng.choice(W, n, replace=False))
        rows += [d] * n
        cols += ws.tolist()
        vals += rng.choice([1.0, 1.0, 2.0, 3.0, 4.0, 0.5, 2.5, 7.0], n).tolist()  # p^n by products: 1-4
    m = sp.csr_matrix((np.array(vals, np.float32), (rows, cols)), shape=(D, W))
    m.sort_indices()
    phi = rng.random((W, T)).astype(np.float32)
    phi[7] = 0.0  # a token with p_dw = 0 everywhere: BigARTM's ln(n_dw / n_d) fallback
    phi /= phi.sum(axis=0, keepdims=True)
    theta = rng.random((D, T)).astype(np.float32)
    theta /= theta.sum(axis=1, keepdims=True)
    return m, phi, theta


def _reference_loglik(m, phi, theta_final):
    """Σ n ln p_dw with p_dw = Σ_t φ_wt θ_td (float32 like the kernel), token by token in float64."""
    total, zeros = 0.0, 0
    for d in range(m.shape[0]):
        a, b = m.indptr[d], m.indptr[d + 1]
        n_d = float(m.data[a:b].astype(np.float64).sum())
        for w, n in zip(m.indices[a:b], m.data[a:b]):
            p = float(np.dot(phi[w], theta_final[d]))
            if p < K.EPS:
                zeros += 1
                total += float(n) * np.log(float(n) / n_d)
            else:
                total += float(n) * np.log(p)
    return total, zeros


def test_estep_loglik_product_equals_sum_of_logs(kernels_ready):
    m, phi, theta = _problem()
    D, T = theta.shape
    W = phi.shape[0]
    tok_mod = np.zeros(W, np.int32)
    tok_weight = np.ones(W, np.float32)
    z = np.zeros(T, np.float32)
    out = np.empty_like(theta)
    ratio = np.empty(m.nnz, np.float32)
    logs = np.zeros((3, 1))
    K.estep_chunk(0, D, m.indptr, m.indices, m.data, tok_weight, tok_mod, phi, theta, out, False, 2,
                  z, z, np.zeros((0, T), np.float32), ratio, logs[0], logs[1], logs[2])
    want, zeros = _reference_loglik(m, phi, out)
    assert zeros > 0 and logs[2, 0] == zeros
    assert logs[1, 0] == float(m.data.astype(np.float64).sum())
    np.testing.assert_allclose(logs[0, 0], want, rtol=1e-9)

    theta2 = np.empty_like(theta)  # inference (θ from 1/T) takes the same path
    logs2 = np.zeros((3, 1))
    K.infer_chunk(0, D, m.indptr, m.indices, m.data, tok_weight, tok_mod, phi, theta2, 3, z, z,
                  np.zeros((0, T), np.float32), logs2[0], logs2[1], logs2[2])
    want2, _ = _reference_loglik(m, phi, theta2)
    np.testing.assert_allclose(logs2[0, 0], want2, rtol=1e-9)
