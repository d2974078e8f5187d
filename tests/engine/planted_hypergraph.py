"""Planted data for the hypergraph family: transactions whose topic shows only inside each
transaction (users buy from every topic alike) and documents whose sentences each come from
one topic."""
from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["doc", "edge", "type", "count", "token", "modality", "mult"]


def planted_transactions(T=4, users=100, n_tx=30, items=8, shops=4, alpha=100.0, seed=0):
    """Transaction t: topic ~ θ_u (≈ uniform for large α), an item and a shop of that topic.
    Returns (long table, topic of every transaction). Tokens: ``i{k:02d}`` (item k of topic
    k // items), ``s{k:02d}`` (shop k of topic k // shops)."""
    rng = np.random.default_rng(seed)
    theta = rng.dirichlet([alpha] * T, size=users)
    rows, truth, e = [], [], 0
    for u in range(users):
        for _ in range(n_tx):
            t = rng.choice(T, p=theta[u])
            i, s = t * items + rng.integers(items), t * shops + rng.integers(shops)
            rows.append((f"u{u:03d}", e, "buy", 1.0, f"i{i:02d}", "item", 1.0))
            rows.append((f"u{u:03d}", e, "buy", 1.0, f"s{s:02d}", "shop", 1.0))
            truth.append(t)
            e += 1
    return pd.DataFrame(rows, columns=COLUMNS), np.array(truth)


def _word(t, j):
    return "q" + chr(97 + t) + chr(97 + j) + "xz"


def planted_sentences(T=4, docs=200, sents=6, slen=6, shared=0.5, seed=0):
    """Documents of ``sents`` sentences, each from one of the document's two topics; a word is
    the topic's (10 per topic) with probability 1 − ``shared``, else one of 20 common words.
    Returns (DataFrame id, text; topic of every sentence in reading order)."""
    rng = np.random.default_rng(seed)
    common = ["z" + chr(97 + a) + chr(97 + b) + "vw" for a in range(5) for b in range(4)]
    rows, truth = [], []
    for d in range(docs):
        tops = rng.choice(T, size=2, replace=False)
        ss = []
        for _ in range(sents):
            t = tops[rng.integers(2)]
            truth.append(t)
            ws = [_word(t, rng.integers(10)) if rng.random() > shared else common[rng.integers(len(common))]
                  for _ in range(slen)]
            ss.append(" ".join(ws).capitalize() + ".")
        rows.append({"id": f"d{d}", "text": " ".join(ss)})
    return pd.DataFrame(rows), np.array(truth)
