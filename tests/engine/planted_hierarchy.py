"""A corpus with a planted two-level topic hierarchy (for the hierarchy tests)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY, Corpus


def planted_hierarchy(n_parents: int = 3, children: int = 3, words: int = 8, n_docs: int = 360,
                      doc_len: int = 60, shared: int = 4, own_share: float = 0.5, seed: int = 0):
    """Each child c of parent p owns ``words`` words; each parent also owns ``shared`` words
    that all its children use. Document d is about child d % (P·C): ``own_share`` of its tokens from the
    child's words, the rest from its parent's shared words. Returns (corpus, true_parent (P·C,))
    where true_parent[c] is the parent of child c and child c's words are ``c{c}_*``.
    """
    rng = np.random.default_rng(seed)
    n_child = n_parents * children
    tokens = [f"c{c}_{j}" for c in range(n_child) for j in range(words)]
    tokens += [f"p{p}_{j}" for p in range(n_parents) for j in range(shared)]
    W = len(tokens)
    rows = np.zeros((n_docs, W), np.float32)
    for d in range(n_docs):
        c = d % n_child
        p = c // children
        own = rng.multinomial(int(doc_len * own_share), np.full(words, 1 / words))
        rows[d, c * words:(c + 1) * words] = own
        base = n_child * words + p * shared
        rows[d, base:base + shared] = rng.multinomial(doc_len - int(doc_len * own_share), np.full(shared, 1 / shared))
    n_dw = sp.csr_matrix(rows)
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": tokens, "modality": [DEFAULT_MODALITY] * W,
                          "tf": rows.sum(0).astype(np.float64), "df": (rows > 0).sum(0).astype(np.int64)})
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(n_docs)], "text": [""] * n_docs,
                         "label": [f"child{d % n_child}" for d in range(n_docs)]})
    corpus = Corpus(name="planted_tree", documents=docs, vocab=vocab, n_dw=n_dw)
    return corpus, np.arange(n_child) // children
