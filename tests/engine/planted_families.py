"""Planted corpora for the model families (regression, author–topic, links, biterm, …).

Each generator returns a Corpus plus the planted truth, so a test can check recovery.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY, Corpus


def _corpus(rows: np.ndarray, tokens: list, docs: pd.DataFrame, mods=None) -> Corpus:
    n_dw = sp.csr_matrix(rows.astype(np.float32))
    n_dw.indices = n_dw.indices.astype(np.int32)
    mods = mods or [DEFAULT_MODALITY] * len(tokens)
    vocab = pd.DataFrame({"token": tokens, "modality": mods, "tf": rows.sum(0).astype(np.float64),
                          "df": (rows > 0).sum(0).astype(np.int64)})
    return Corpus(name="planted", documents=docs, vocab=vocab, n_dw=n_dw)


def mixture_corpus(n_topics=4, words_per_topic=8, n_docs=400, doc_len=60, alpha=0.3,
                   overlap=0.0, seed=0):
    """Documents mixing topics θ_d ~ Dir(α); topic t uses words w{t}_j (plus ``overlap`` of its
    mass spread over all words). Returns (corpus, phi (W, T), theta (D, T))."""
    rng = np.random.default_rng(seed)
    W = n_topics * words_per_topic
    phi = np.full((W, n_topics), overlap / W)
    for t in range(n_topics):
        phi[t * words_per_topic:(t + 1) * words_per_topic, t] += (1 - overlap) / words_per_topic
    theta = rng.dirichlet(np.full(n_topics, alpha), size=n_docs)
    rows = np.stack([rng.multinomial(doc_len, phi @ theta[d]) for d in range(n_docs)])
    tokens = [f"w{t}_{j}" for t in range(n_topics) for j in range(words_per_topic)]
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(n_docs)], "text": [""] * n_docs})
    return _corpus(rows, tokens, docs), phi, theta
