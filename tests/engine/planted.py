"""Synthetic corpora with planted topics, shared by the engine tests.

A plain module with a unique name (not conftest), so ``from planted import planted_corpus``
never picks up another folder's conftest.py when the whole suite runs in one process.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY, Corpus


def planted_corpus(n_topics: int = 3, words_per_topic: int = 6, n_docs: int = 60,
                   doc_len: int = 40, seed: int = 0, extra_modality: str | None = None,
                   n_background_words: int = 0, empty_docs: int = 0, noise: int = 0) -> Corpus:
    """Block-diagonal corpus: document d is about topic d % K and uses only that topic's
    words (plus ``n_background_words`` shared words, if any). Token ``w{t}_{j}`` belongs to
    topic t. With ``extra_modality`` every document also carries a label token ``label{t}``.
    ``noise`` tokens per document are drawn uniformly from all words (topics then overlap).
    ``empty_docs`` all-zero rows are appended.
    """
    rng = np.random.default_rng(seed)
    W0 = n_topics * words_per_topic
    tokens = [f"w{t}_{j}" for t in range(n_topics) for j in range(words_per_topic)]
    tokens += [f"bg{j}" for j in range(n_background_words)]
    mods = [DEFAULT_MODALITY] * len(tokens)
    if extra_modality:
        tokens += [f"label{t}" for t in range(n_topics)]
        mods += [extra_modality] * n_topics
    W = len(tokens)
    rows = np.zeros((n_docs + empty_docs, W), np.float32)
    for d in range(n_docs):
        t = d % n_topics
        own = rng.multinomial(doc_len, np.full(words_per_topic, 1 / words_per_topic))
        rows[d, t * words_per_topic:(t + 1) * words_per_topic] = own
        if n_background_words:
            rows[d, W0:W0 + n_background_words] = rng.multinomial(
                doc_len // 4, np.full(n_background_words, 1 / n_background_words))
        if noise:
            n_words = W0 + n_background_words
            rows[d, :n_words] += rng.multinomial(noise, np.full(n_words, 1 / n_words))
        if extra_modality:
            rows[d, W - n_topics + t] = 1
    n_dw = sp.csr_matrix(rows)
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": tokens, "modality": mods,
                          "tf": rows.sum(0).astype(np.float64),
                          "df": (rows > 0).sum(0).astype(np.int64)})
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(len(rows))], "text": [""] * len(rows)})
    return Corpus(name="planted", documents=docs, vocab=vocab, n_dw=n_dw)
