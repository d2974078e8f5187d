"""Quality at equal wall time: the engine vs tomotopy's 2-worker LDA on 20 Newsgroups, T = 100.

Each system trains in its own steps (an engine EM pass; a tomotopy ``train(1)`` Gibbs iteration)
and the steps are **interleaved** (engine step, tomotopy step, …) so both see the same machine
load; a system stops once its own accumulated wall time reaches the budget (``--budget`` seconds,
default 20).  Then, for every system, with the same formulas:

* perplexity = exp(−Σ_dw n_dw ln Σ_t φ_wt θ_td / Σ n_dw) on the training corpus (engine Φ, Θ;
  tomotopy ``get_topic_word_dist`` and ``get_topic_dist`` of its documents);
* coherence = mean over topics of the NPMI of the top-10 tokens (pairs over document
  co-occurrence in the same corpus; NPMI = −1 for pairs that never co-occur);
* also the number of steps and the time actually used.

Engine configurations: PLSA (1 inner pass, reuse Θ) and the regularized run_bigartm.REG config,
both 2 threads.

    bench/.venv/bin/python bench/quality_equal_time.py --budget 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import data as bench_data  # noqa: E402
import run_bigartm as rb  # noqa: E402
from run_parity import engine_config  # noqa: E402
from run_speed import _tokens_per_doc, engine_warmup  # noqa: E402


def perplexity(n_dw: sp.csr_matrix, phi: np.ndarray, theta_dt: np.ndarray) -> float:
    """exp(−Σ n_dw ln p_dw / Σ n_dw), p_dw = Σ_t φ_wt θ_td; p_dw = 0 → document unigram."""
    X = n_dw.tocsr()
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    p = np.empty(X.nnz)
    phi64, th64 = phi.astype(np.float64), theta_dt.astype(np.float64)
    for a in range(0, X.nnz, 200_000):
        b = min(a + 200_000, X.nnz)
        p[a:b] = np.einsum("ij,ij->i", phi64[X.indices[a:b]], th64[rows[a:b]])
    nd = np.asarray(X.sum(axis=1)).ravel()
    p = np.where(p > 0, p, X.data / nd[rows])
    return float(np.exp(-(X.data * np.log(p)).sum() / X.data.sum()))


def npmi_coherence(n_dw: sp.csr_matrix, phi: np.ndarray, top: int = 10) -> float:
    """Mean over live topics of the mean pairwise NPMI of each topic's top tokens."""
    B = (n_dw > 0).astype(np.float64).tocsc()
    D = n_dw.shape[0]
    scores = []
    for t in range(phi.shape[1]):
        if phi[:, t].sum() <= 0:
            continue
        ids = np.argsort(-phi[:, t], kind="stable")[:top]
        sub = B[:, ids]
        co = (sub.T @ sub).toarray() / D
        p = np.diag(co)
        vals = []
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                pij = co[i, j]
                if pij <= 0:
                    vals.append(-1.0)
                else:
                    vals.append(np.log(pij / (p[i] * p[j])) / -np.log(pij))
        scores.append(float(np.mean(vals)))
    return float(np.mean(scores))


class EngineStepper:
    def __init__(self, corpus, T, reg):
        from engine.em.trainer import Trainer

        self.tr = Trainer(corpus, engine_config(T, 10_000, reg, threads=2), phi0=rb.initial_phi(T))

    def step(self):
        self.tr.step()

    def result(self):
        m = self.tr.model
        return np.asarray(m.phi), np.asarray(m.theta).T

    def close(self):
        self.tr.close()


class TomotopyStepper:
    def __init__(self, docs, T, vocab):
        import tomotopy as tp

        self.vocab = vocab
        self.mdl = tp.LDAModel(k=T, tw=tp.TermWeight.ONE, min_cf=0, rm_top=0, seed=1)
        for ws in docs:
            self.mdl.add_doc(ws)
        self.mdl.train(0, workers=2)

    def step(self):
        self.mdl.train(1, workers=2)

    def result(self):
        mdl = self.mdl
        idx = {w: i for i, w in enumerate(self.vocab)}
        cols = np.array([idx[w] for w in mdl.used_vocabs])
        phi = np.zeros((len(self.vocab), mdl.k), np.float64)
        for t in range(mdl.k):
            phi[cols, t] = mdl.get_topic_word_dist(t)
        theta = np.array([d.get_topic_dist() for d in mdl.docs], np.float64)
        return phi, theta

    def close(self):
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "quality.json")
    a = ap.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore", message="The training result may differ")
    n_dw, vocab = bench_data.load()
    corpus = bench_data.engine_corpus(n_dw, vocab)
    engine_warmup(corpus)
    T = a.topics
    systems = {
        "engine PLSA (1 inner pass, reuse Θ), 2 threads": EngineStepper(corpus, T, None),
        "engine regularized (REG), 2 threads": EngineStepper(corpus, T, rb.REG),
        "tomotopy LDA (Gibbs), 2 workers": TomotopyStepper(_tokens_per_doc(n_dw, vocab), T, vocab),
    }
    used = {n: 0.0 for n in systems}
    steps = {n: 0 for n in systems}
    while any(used[n] < a.budget for n in systems):
        for n, s in systems.items():
            if used[n] >= a.budget:
                continue
            t0 = time.perf_counter()
            s.step()
            used[n] += time.perf_counter() - t0
            steps[n] += 1
    out = []
    print(f"T = {T}, budget {a.budget:.0f} s of wall time each (steps interleaved)\n")
    print("| system | steps | seconds used | perplexity | NPMI coherence (top-10) |\n|---|---|---|---|---|")
    for n, s in systems.items():
        phi, theta = s.result()
        s.close()
        r = {"system": n, "steps": steps[n], "seconds": used[n], "perplexity": perplexity(n_dw, phi, theta),
             "coherence": npmi_coherence(n_dw, phi)}
        out.append(r)
        print(f"| {n} | {r['steps']} | {r['seconds']:.1f} | {r['perplexity']:.1f} | {r['coherence']:.4f} |", flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"T": T, "budget": a.budget, "results": out}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
