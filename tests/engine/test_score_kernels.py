"""The one-pass score kernels (engine/em/_kernels/scores.py) give the numpy formulations' values."""
import numpy as np
import pytest

from engine.em._kernels import scores as KS
from engine.em.scores.distance import pairwise_topic_distance
from engine.em.topics import kernel_stats


def _sparse_phi(W=300, T=12, seed=0):
    rng = np.random.default_rng(seed)
    phi = rng.random((W, T)).astype(np.float32)
    phi[rng.random((W, T)) < 0.6] = 0.0
    phi[:7] = 0.0  # tokens no topic has
    phi[:, 3] = 0.0  # a dead topic
    s = phi.sum(axis=0)
    return np.divide(phi, s, out=np.zeros_like(phi), where=s > 0), rng


def test_count_small_per_modality_and_topic():
    phi, rng = _sparse_phi()
    codes = rng.integers(0, 3, phi.shape[0]).astype(np.int32)
    out = np.zeros((3, phi.shape[1]), np.int64)
    KS.count_small(phi, codes, np.float32(1e-37), out)
    for m in range(3):
        np.testing.assert_array_equal(out[m], (phi[codes == m] < 1e-37).sum(axis=0))


def test_kernel_sums_equal_kernel_stats():
    phi, rng = _sparse_phi(seed=1)
    n_t = rng.random(phi.shape[1]) * 100
    rows = np.flatnonzero(rng.random(phi.shape[0]) < 0.7).astype(np.int64)
    size, purity, contrast, _ = kernel_stats(phi[rows], n_t, 0.25, no_mass="zero")
    s, p, c = np.zeros(phi.shape[1], np.int64), np.zeros(phi.shape[1]), np.zeros(phi.shape[1])
    KS.kernel_sums(phi, rows, n_t, 0.25, s, p, c)
    assert size.sum() > 0
    np.testing.assert_array_equal(s, size)
    np.testing.assert_allclose(p, purity, rtol=1e-12)
    np.testing.assert_allclose(np.divide(c, s, out=np.zeros_like(c), where=s > 0), contrast, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 2])
def test_hellinger_gram_equals_dense_formula(seed):
    phi, _ = _sparse_phi(seed=seed)
    p = phi.astype(np.float64)
    s = p.sum(axis=0, keepdims=True)
    p = np.divide(p, s, out=np.zeros_like(p), where=s > 0)
    r = np.sqrt(p)
    want = np.sqrt(np.clip(1.0 - np.clip(r.T @ r, 0.0, 1.0), 0.0, 1.0))
    got = pairwise_topic_distance(phi)
    off = ~np.eye(len(want), dtype=bool)  # the diagonal is √(rounding of 1 − 1): ~1e-8 either way
    np.testing.assert_allclose(got[off], want[off], atol=1e-12)
    np.testing.assert_allclose(np.diag(got), np.diag(want), atol=1e-7)
