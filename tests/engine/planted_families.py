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


def author_corpus(n_topics=4, n_authors=12, words_per_topic=8, n_docs=500, doc_len=50, seed=0,
                  coauthors=False):
    """Author a has a planted topic profile ψ_·a (mostly one or two topics); a document by
    authors A_d draws words from φ (Σ_a ψ_·a / |A_d|). Column ``author`` holds ``"a1; a5"``
    when ``coauthors``. Returns (corpus, phi (W, T), psi (T, C), author names)."""
    rng = np.random.default_rng(seed)
    W = n_topics * words_per_topic
    phi = np.zeros((W, n_topics))
    for t in range(n_topics):
        phi[t * words_per_topic:(t + 1) * words_per_topic, t] = 1 / words_per_topic
    psi = np.full((n_topics, n_authors), 0.02)
    for a in range(n_authors):
        psi[a % n_topics, a] += 0.8
        psi[(a // n_topics) % n_topics, a] += 0.3
    psi /= psi.sum(0)
    names = [f"a{a:02d}" for a in range(n_authors)]
    rows, col = [], []
    for d in range(n_docs):
        k = rng.integers(1, 3) if coauthors else 1
        who = rng.choice(n_authors, size=k, replace=False)
        rows.append(rng.multinomial(doc_len, phi @ psi[:, who].mean(1)))
        col.append("; ".join(names[a] for a in who))
    tokens = [f"w{t}_{j}" for t in range(n_topics) for j in range(words_per_topic)]
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(n_docs)], "text": [""] * n_docs, "author": col})
    return _corpus(np.stack(rows), tokens, docs), phi, psi, names
