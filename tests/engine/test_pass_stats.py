"""Issue 14, the user's path: the pass's shared sums (engine/em/pass_stats.py) and the compiled
score kernels give the numbers the NumPy formulations give, so the default scores are unchanged."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.em.cooccurrence import Cooccurrence, coherence_per_topic, npmi_coherence
from engine.em.health import model_health
from engine.em.pass_stats import pass_stats
from engine.em.scores import ScoreSet, top_token_ids
from engine.em.topics import kernel_stats
from engine.em.trainer import Trainer


def _trained(corpus, passes=4, **kw):
    tr = Trainer(corpus, ModelConfig(n_topics=4, n_background=1, iterations=10, seed=3, threads=2, **kw))
    for _ in range(passes):
        tr.step()
    return tr


def test_pass_sums_equal_numpy_per_modality(make_corpus):
    corpus = make_corpus(n_topics=4, extra_modality="@labels", noise=3, n_background_words=5)
    tr = _trained(corpus)
    ctx, st = tr.last_context, tr.last_stats
    n_wt, phi, codes = np.asarray(ctx.n_wt), tr.phi, tr.token_modality
    np.testing.assert_array_equal(st.n_t, n_wt.sum(axis=0, dtype=np.float64))
    np.testing.assert_array_equal(tr.n_t, n_wt.sum(axis=0, dtype=np.float64))
    for m in range(2):
        rows = codes == m
        np.testing.assert_array_equal(st.n_t_mod[m], n_wt[rows].sum(axis=0, dtype=np.float64))
        np.testing.assert_array_equal(st.phi_col[m], phi[rows].sum(axis=0, dtype=np.float64))
        np.testing.assert_array_equal(st.phi_small[m], (phi[rows] < np.float32(1e-37)).sum(axis=0))
        size, purity, contrast, _ = kernel_stats(phi[rows], st.n_t_mod[m], 0.25, no_mass="zero")
        np.testing.assert_array_equal(st.kernel_size[m], size)
        np.testing.assert_allclose(st.kernel_purity[m], purity, rtol=1e-12)
        got = np.divide(st.kernel_contrast_sum[m], st.kernel_size[m], out=np.zeros(phi.shape[1]),
                        where=st.kernel_size[m] > 0)
        np.testing.assert_allclose(got, contrast, rtol=1e-12)
    assert st.rows.tolist() == np.bincount(codes, minlength=2).tolist()
    assert st.kernel_size.sum() > 0
    phi0 = phi.copy()
    phi0[::3, 1] = 0.0  # zeros, for the small-entry count
    st0 = pass_stats(n_wt, phi0, codes, 2)
    for m in range(2):
        np.testing.assert_array_equal(st0.phi_small[m], (phi0[codes == m] < np.float32(1e-37)).sum(axis=0))
    assert st0.phi_small.sum() > 0


def test_scores_with_shared_sums_equal_scores_without(make_corpus):
    corpus = make_corpus(n_topics=4, extra_modality="@labels", noise=3, n_background_words=5, empty_docs=2)
    tr = _trained(corpus)
    ctx = replace(tr.last_context, last=True)
    assert ctx.stats is not None
    with_stats = ScoreSet().compute(ctx)
    without = ScoreSet().compute(replace(ctx, stats=None))
    assert with_stats.keys() == without.keys()
    for k, v in without.items():
        assert with_stats[k] == pytest.approx(v, rel=1e-12, abs=1e-15), k
    assert with_stats["sparsity_theta"] > 0  # the empty documents' zeros are counted
    h_stats, h_plain = model_health(tr.model, None, ctx.stats), model_health(tr.model)
    assert h_stats.empty_documents == h_plain.empty_documents == 2
    assert h_stats.dead_topics == h_plain.dead_topics
    assert h_stats.theta_mass == pytest.approx(h_plain.theta_mass, rel=1e-12)


def test_a_different_eps_or_threshold_does_not_read_the_shared_sums(make_corpus):
    from engine.em.scores import SparsityPhi, TopicKernel

    tr = _trained(make_corpus(n_topics=4, noise=3))
    ctx = tr.last_context
    for score in (SparsityPhi(eps=0.05), TopicKernel(threshold=0.6)):
        assert score.compute(ctx) == score.compute(replace(ctx, stats=None))
    assert SparsityPhi(eps=0.05).compute(ctx) != SparsityPhi().compute(ctx)


def _reference_top(phi, mask, topics, k):
    """Sort by (−φ, id) with Python's sort: the documented order."""
    rows = np.flatnonzero(mask)
    out = []
    for t in topics:
        order = sorted((r for r in rows if phi[r, t] > 0), key=lambda r: (-phi[r, t], r))
        out.append(np.array(order[:k], np.int64))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_top_token_ids_keep_the_order_and_ties(dtype):
    rng = np.random.default_rng(5)
    phi = rng.integers(0, 6, (80, 7)).astype(dtype) / 5  # many ties and zeros
    phi[:, 2] = 0.0
    phi[:3, 4] = 0.0
    mask = rng.random(80) < 0.8
    topics = np.array([0, 1, 2, 4, 6])
    for k in (1, 5, 30, 200):
        got = top_token_ids(phi, mask, topics, k)
        want = _reference_top(phi, mask, topics, k)
        assert [g.tolist() for g in got] == [w.tolist() for w in want], k


def test_list_pair_counts_and_coherence_equal_the_sparse_product():
    rng = np.random.default_rng(2)
    n_dw = (rng.random((300, 60)) < 0.15).astype(np.float32) * rng.integers(1, 4, (300, 60))
    co = Cooccurrence(n_dw)
    lists = [rng.choice(60, size=n, replace=False) for n in (10, 10, 7, 1, 2, 10)]
    for ids, counts in zip(lists, co.list_pair_counts(lists)):
        np.testing.assert_array_equal(counts, co.pair_counts(ids))
    again = co.list_pair_counts(lists)  # from the memo, the same
    assert all(np.array_equal(a, b) for a, b in zip(again, co.list_pair_counts(lists)))
    got = coherence_per_topic(co, lists)
    want = [npmi_coherence(co, ids) for ids in lists]
    assert np.isnan(got[3]) and np.isnan(want[3])
    np.testing.assert_allclose([g for g in got if not np.isnan(g)], [w for w in want if not np.isnan(w)],
                               rtol=1e-13)
