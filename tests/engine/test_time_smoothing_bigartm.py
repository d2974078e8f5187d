"""TimeSmoothing against BigARTM's SmoothTimeInTopicsPhi loop (re-implemented here line by line
from smooth_time_in_topics_phi.cc): time tokens by value, interior points, sign(0) = −1."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import Corpus
from engine.em.regularizers import RegContext, TimeSmoothing, regularizer_from_dict, time_order


def bigartm_loop(p):
    """The C++ loop over the (sorted) time tokens of one class: result for index_prev."""
    out = np.zeros_like(p)
    for i in range(1, len(p) - 1):
        prev, cur, nxt = p[i - 1], p[i], p[i + 1]
        out[i] = cur * ((1.0 if prev - cur > 0 else -1.0) + (1.0 if nxt - cur > 0 else -1.0))
    return out


def _ctx(tokens):
    W = len(tokens) + 1
    vocab = pd.DataFrame({"token": ["word"] + tokens, "modality": ["@default_class"] + ["@time"] * len(tokens),
                          "tf": np.ones(W), "df": np.ones(W, np.int64)})
    c = Corpus(name="t", documents=pd.DataFrame({"id": ["d"], "text": [""]}), vocab=vocab,
               n_dw=sp.csr_matrix(np.ones((1, W), np.float32)))
    return RegContext(corpus=c, topic_names=["a", "b"], background=np.zeros(2, bool),
                      modalities=["@default_class", "@time"], token_modality=c.token_modality, tau=2.0)


def test_bigartm_rule_with_value_order_and_ties():
    tokens = ["2019-10", "2019-9", "2019-11", "2019-12", "2020-1"]   # string order ≠ time order
    rng = np.random.default_rng(0)
    phi = rng.random((len(tokens) + 1, 2)).astype(np.float32)
    phi[3, 0] = phi[2, 0]  # a tie (sign(0) = −1 in BigARTM)
    ctx = _ctx(tokens)
    r = TimeSmoothing(tau=2.0).phi_term(phi, None, ctx)
    order = 1 + time_order(tokens)
    assert [tokens[i - 1] for i in order] == ["2019-9", "2019-10", "2019-11", "2019-12", "2020-1"]
    for t in range(2):
        expect = 2.0 * bigartm_loop(phi[order, t].astype(np.float64))
        np.testing.assert_allclose(r[order, t], expect)
    assert np.all(r[order[[0, -1]]] == 0) and np.all(r[0] == 0)   # ends and other modalities untouched
    sym = TimeSmoothing(tau=2.0, rule="symmetric").phi_term(phi, None, ctx)
    assert np.any(sym[order[[0, -1]]] != 0)
    assert regularizer_from_dict(TimeSmoothing(rule="symmetric").to_dict()).rule == "symmetric"


def test_numeric_years_order():
    assert list(time_order(["2010", "999", "2001"])) == [1, 2, 0]
