"""The in-place Φ-regularizer path (add_phi_term + the fused M-step kernel) equals the NumPy one."""
from __future__ import annotations

import numpy as np
import pytest

from engine.em import _kernels as K
from engine.em.trainer import _CLIP
from engine.em.regularizers import REGULARIZERS, Decorrelator, RegContext, SmoothSparsePhi

REQUIRED = {"SeedWords": {"lexicon": {"topic_0": ["w1_0", "w1_1"]}}}


@pytest.fixture
def corpus(make_corpus):
    return make_corpus(n_topics=3, n_background_words=5, extra_modality="@time", seed=4, noise=6)


def context(corpus, tau, T=5, n_background=1):
    names = [f"topic_{i}" for i in range(T - n_background)] + ["background_0"]
    return RegContext(corpus=corpus, topic_names=names,
                      background=np.array([False] * (T - n_background) + [True] * n_background),
                      modalities=corpus.modalities, token_modality=corpus.token_modality,
                      iteration=2, tau=tau, n_t=np.arange(T, dtype=float), cache={})


@pytest.mark.parametrize("reg", [
    SmoothSparsePhi(tau=1.0), SmoothSparsePhi(tau=1.0, topics="subject", modalities=["@time"]),
    SmoothSparsePhi(tau=1.0, token_weights={"w1_0": 3.0}, topic_weights={"topic_1": 2.0},
                    default_token_weight=0.5),
    Decorrelator(tau=1.0), Decorrelator(tau=1.0, topics="all", modalities=["@default_class"]),
] + [REGULARIZERS[k](tau=1.0, **REQUIRED.get(k, {})) for k in sorted(REGULARIZERS)
     if not getattr(REGULARIZERS[k], "NEEDS_RUN_DATA", False)],  # those are tested with their family
    ids=lambda r: r.kind)
def test_add_phi_term_equals_phi_term(reg, corpus):
    rng = np.random.default_rng(1)
    W, T = corpus.n_tokens, 5
    phi = rng.random((W, T)).astype(np.float32)
    n_wt = (rng.random((W, T)) * 10).astype(np.float32)
    for tau in (-2.5, 0.7):
        ctx = context(corpus, tau)
        start = rng.random((W, T))
        out = start.copy()
        reg.add_phi_term(phi, n_wt, ctx, out)
        expected = start + reg.phi_term(phi, n_wt, ctx)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        assert np.any(out != start) or not reg.acts_on_phi or np.all(expected == start)


def test_mstep_reg_equals_numpy_guards():
    rng = np.random.default_rng(2)
    W, T = 40, 6
    n_wt = (rng.random((W, T)) * 5).astype(np.float32)
    r_wt = rng.normal(0, 3, (W, T))
    r_wt[0, 0], r_wt[1, 1], r_wt[2, 2] = np.nan, np.inf, -np.inf
    r_wt[:, 3] = -100.0  # a dead topic
    r_wt[5, 4] = 1e300
    tok_mod = (np.arange(W) % 2).astype(np.int32)
    x = np.clip(np.nan_to_num(r_wt + n_wt, nan=0.0), -_CLIP, _CLIP).astype(np.float32)
    want, want_nt = np.empty((W, T), np.float32), np.zeros((2, T))
    K.mstep(x, tok_mod, 2, want, want_nt)
    got, got_nt = np.empty((W, T), np.float32), np.zeros((2, T))
    K.mstep_reg(n_wt, r_wt, _CLIP, tok_mod, 2, got, got_nt)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_nt, want_nt)
    assert np.all(got[:, 3] == 0) and np.all(np.isfinite(got))
