"""Fixtures for the app tests: a tiny dated corpus with an @party modality and token sequences,
stored in a temporary workspace together with a trained run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

THEMES = {
    "economy": "tax budget growth inflation market jobs wages bank".split(),
    "health": "hospital doctors nurses patients care waiting surgery clinic".split(),
    "transport": "rail trains roads buses fares railway station traffic".split(),
}
COMMON = "the house minister government people country".split()


def toy_corpus(n_docs: int = 90, seed: int = 0):
    """Documents drawn from three planted themes, dated monthly over 2015-2019."""
    from engine import Corpus, TokenSequences

    rng = np.random.default_rng(seed)
    themes = list(THEMES)
    texts, parties = [], []
    for d in range(n_docs):
        main = themes[d % 3]
        words = list(rng.choice(THEMES[main], 14)) + list(rng.choice(THEMES[themes[(d + 1) % 3]], 3)) + \
            list(rng.choice(COMMON, 4))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
        parties.append("labour" if d % 2 else "conservative")
    words = sorted({w for ws in THEMES.values() for w in ws} | set(COMMON))
    vocab_words = {w: i for i, w in enumerate(words)}
    party_ids = {"labour": len(words), "conservative": len(words) + 1}
    ptr, tok, start, end = [0], [], [], []
    rows, cols = [], []
    for d, text in enumerate(texts):
        pos = 0
        for raw in text.split(" "):
            w = raw.strip(".").lower()
            s = text.index(raw, pos)
            tok.append(vocab_words[w])
            start.append(s)
            end.append(s + len(w))
            rows.append(d)
            cols.append(vocab_words[w])
            pos = s + len(raw)
        ptr.append(len(tok))
        rows.append(d)
        cols.append(party_ids[parties[d]])
    W = len(words) + 2
    n_dw = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_docs, W))
    n_dw.sum_duplicates()
    n_dw.sort_indices()
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": words + ["labour", "conservative"],
                          "modality": ["@default_class"] * len(words) + ["@party"] * 2})
    vocab["tf"] = np.asarray(n_dw.sum(axis=0)).ravel().astype(np.float64)
    vocab["df"] = np.asarray((n_dw > 0).sum(axis=0)).ravel().astype(np.int64)
    docs = pd.DataFrame({"id": [f"doc{d:03d}" for d in range(n_docs)], "text": texts,
                         "date": pd.date_range("2015-01-01", periods=n_docs, freq="20D"),
                         "party": parties})
    seq = TokenSequences(ptr=np.asarray(ptr, np.int64), token=np.asarray(tok, np.int32),
                         start=np.asarray(start, np.int32), end=np.asarray(end, np.int32))
    return Corpus(name="toy", documents=docs, vocab=vocab, n_dw=n_dw, sequences=seq, manifest={})


def train_run(ws, corpus, name="toy-run", n_topics=3, iterations=8, seed=1):
    """Train with the engine's Trainer and save the run; returns the Run."""
    from engine.em.config import preset
    from engine.em.trainer import Trainer
    from engine.store.runs import new_run, save_run
    from engine.em.scores import ScoreSet

    cfg = preset("interpretable", n_topics=n_topics, iterations=iterations, n_background=1, seed=seed)
    tr = Trainer(corpus, cfg)
    scores = ScoreSet.from_config(cfg.scores)
    run = new_run(corpus, cfg.to_dict(), tr.model, name=name)
    for _ in range(iterations):
        run.record(tr.step(cfg, score_fn=scores.compute))
    run.model = tr.model
    run.status = "finished"
    save_run(ws, run)
    return run


@pytest.fixture(scope="session")
def app_home(tmp_path_factory):
    """A workspace with the toy corpus and two runs; returns its path."""
    from engine import Workspace

    root = tmp_path_factory.mktemp("artm_home")
    ws = Workspace(root)
    corpus = toy_corpus()
    ws.save_corpus(corpus, "toy")
    stored = ws.load_corpus("toy")
    train_run(ws, stored, name="toy-a", seed=1)
    train_run(ws, stored, name="toy-b", seed=2, n_topics=4)
    return root
