"""Online EM follows BigARTM 0.9.2's ``fit_online`` schedule exactly (issue 14).

BigARTM (python ``ARTM.fit_online`` + C++ ``ArtmExecutor::ExecuteOnlineAlgorithm``): the batches of
a pass are cut into groups of ``update_every`` (the last group may be shorter); each group is
processed with the current Φ into n̂_wt, then n_wt ← (1 − ρ) n_wt + ρ n̂_wt and Φ ← norm(n_wt), with
ρ = (τ₀ + update_count)^(−κ) and update_count = 1, 2, … counted across calls; n_wt starts as the
initial Φ (``initialize`` builds n_wt like p_wt). The reference below is an independent NumPy
transcription of that schedule in float64 (θ from 1/T for every document, one inner pass).
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from engine.corpus.batch_writer import write_batches
from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.batched.estep import OnlineOptions
from engine.families.batched.family import batched_config


def _batch_nwt(X: sp.csr_matrix, phi: np.ndarray) -> np.ndarray:
    """n̂_wt of one batch: θ from 1/T, one inner iteration, then n̂_wt = φ_wt Σ_d n_dw θ_td / p_dw."""
    D, T = X.shape[0], phi.shape[1]
    th = np.full((D, T), 1.0 / T)
    for _ in range(2):  # pass 1 updates θ, pass 2 (with the new θ) gives n̂_wt
        rows = np.repeat(np.arange(D), np.diff(X.indptr))
        p = np.einsum("ij,ij->i", phi[X.indices], th[rows])
        A = sp.csr_matrix((X.data / p, X.indices, X.indptr), shape=X.shape)
        if _ == 0:
            ntd = (A @ phi) * th
            th = ntd / ntd.sum(axis=1, keepdims=True)
    return phi * (A.T @ th)


def _reference(n_dw: sp.csr_matrix, bounds, phi0, passes, update_every, tau0, kappa):
    phi = phi0.astype(np.float64)
    n_wt = phi.copy()
    count = 0
    for _ in range(passes):
        groups = [bounds[i:i + update_every] for i in range(0, len(bounds), update_every)]
        for group in groups:
            hat = sum(_batch_nwt(n_dw[a:b], phi) for a, b in group)
            count += 1
            rho = (tau0 + count) ** (-kappa)
            n_wt = (1 - rho) * n_wt + rho * hat
            phi = n_wt / n_wt.sum(axis=0, keepdims=True)
    return phi, count


@pytest.mark.parametrize("update_every", [1, 3])
def test_online_phi_equals_bigartm_schedule(tmp_path, make_corpus, update_every):
    c = make_corpus(n_topics=4, words_per_topic=8, n_docs=700, doc_len=30, noise=3, seed=5)
    bc = write_batches(c, tmp_path / "b", batch_docs=100)  # 7 batches: groups of 3 end with one of 1
    T, tau0, kappa, passes = 4, 2.0, 0.6, 2  # a small τ₀ makes ρ large, so an index shift shows
    rng = np.random.default_rng(3)
    phi0 = rng.random((c.n_dw.shape[1], T)).astype(np.float32) + 0.05
    phi0 /= phi0.sum(axis=0, keepdims=True)
    cfg = ModelConfig(n_topics=T, iterations=passes, seed=1, inner_passes=1, reuse_theta=False, threads=1)
    cfg = batched_config(cfg, theta="none",
                         online={"update_every": update_every, "tau0": tau0, "kappa": kappa})
    tr = Trainer(bc, cfg, phi0=phi0)
    for _ in range(passes):
        tr.step()
    bounds = [bc.doc_range(b) for b in range(bc.n_batches)]
    ref, updates = _reference(sp.csr_matrix(c.n_dw, dtype=np.float64), bounds, phi0, passes, update_every,
                              tau0, kappa)
    assert tr.estep._updates == updates
    assert np.abs(tr.model.phi - ref).max() < 2e-5
    # the schedule with ρ one step off (τ₀ + i from i = 0) gives a visibly different Φ
    shifted, _ = _reference(sp.csr_matrix(c.n_dw, dtype=np.float64), bounds, phi0, passes, update_every,
                            tau0 - 1.0, kappa)
    assert np.abs(shifted - ref).max() > 1e-3


def test_rho_counts_updates_from_one():
    o = OnlineOptions(update_every=1, tau0=1024.0, kappa=0.7)
    assert o.rho(0) == pytest.approx(1025.0 ** -0.7)  # BigARTM's first update: update_count = 1
    assert o.rho(9) == pytest.approx(1034.0 ** -0.7)
