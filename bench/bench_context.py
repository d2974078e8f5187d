"""Context-ARTM vs standard ARTM (engine) vs BigARTM on 20 Newsgroups: speed and quality.

The corpus is bench/data.py's bag of words (D = 18,805, W = 28,865); the token *sequences* are
rebuilt here with the same filters (lowercase ``[a-z]{3,}``, in-vocabulary tokens only, the same
documents dropped) and checked to count exactly to ``ndw.npz``. Cached in
``bench/data/20ng/seq.npz``.

For every T: the same Φ0 (``bench/data/phi0_T{T}_s1.npy``, as BigARTM's runs) and passes for

* ``bigartm``   — BigARTM 0.9.2 ``fit_offline`` (1 document pass, reuse Θ), if ``artm`` imports;
* ``standard``  — engine.em.trainer.Trainer (the same algorithm);
* ``one_pass``  — Trainer with family "context", mode "one_pass";
* ``context``   — Trainer with family "context", mode "context" (window, β, context passes): each token's
  context is its neighbours;
* ``context_self`` — the same with the seed's literal formula (the token inside its own context);
* ``context@P`` / ``context_self@P`` — with P context passes per E-step (default ``--context-passes``).

Quality of every final Φ, measured the same way for all models:

* ``perplexity_doc`` — exp(−Σ n_dw ln Σ_t φ_wt θ_td / Σ n_dw) on the training documents with θ
  inferred by ``engine.em.trainer.transform`` (10 inner passes) — a bag-of-words perplexity that
  does not favour context models;
* ``perplexity_train`` — the model's own training perplexity of its last pass (context:
  p(w_i | C_i));
* ``sparsity_phi`` — share of zero φ_wt; ``topic_distance`` — mean pairwise Hellinger distance
  between topics (distinctness); ``intratext_coherence`` and ``segments_per_document`` on 500
  documents (each model read in its own mode; BigARTM's and standard Φ read with θ_d).

Usage (bench venv: it has BigARTM and numba)::

    bench/.venv/bin/python bench/bench_context.py --topics 10 100 --passes 20 --threads 2 \
        --out bench/results/context.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import data as bench_data  # noqa: E402


def sequences():
    """(ptr (D+1,), seq (N,) int32) of the benchmark corpus, checked against its n_dw."""
    cache = bench_data.folder() / "seq.npz"
    n_dw, vocab = bench_data.load()
    if cache.exists():
        z = np.load(cache)
        return z["ptr"], z["seq"], n_dw, vocab
    index = {w: i for i, w in enumerate(vocab)}
    token = re.compile(r"[a-z]{3,}")
    ptr, seq = [0], []
    with gzip.open(bench_data.SRC, "rt", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("text") or ""
            ids = [index[t] for t in token.findall(text.lower()) if t in index]
            if not ids:
                continue
            seq.extend(ids)
            ptr.append(len(seq))
    ptr = np.asarray(ptr, np.int64)
    seq = np.asarray(seq, np.int32)
    import scipy.sparse as sp

    D = len(ptr) - 1
    bag = sp.csr_matrix((np.ones(len(seq), np.float32), (np.repeat(np.arange(D), np.diff(ptr)), seq)),
                        shape=(D, len(vocab)))
    bag.sum_duplicates()
    if bag.shape != n_dw.shape or abs(bag - n_dw).sum() != 0:
        raise SystemExit("sequences do not count to the benchmark n_dw")
    np.savez(cache, ptr=ptr, seq=seq)
    return ptr, seq, n_dw, vocab


def corpus_with_sequences():
    from engine.corpus.corpus import TokenSequences

    ptr, seq, n_dw, vocab = sequences()
    c = bench_data.engine_corpus(n_dw, vocab)
    z = np.zeros(len(seq), np.int32)
    from dataclasses import replace

    return replace(c, sequences=TokenSequences(ptr=ptr, token=seq, start=z, end=z))


def quality(model, corpus, options, sample: int = 500) -> dict:
    import engine.families.context as C
    from engine.em.inference import transform
    from engine.em.scores import pairwise_topic_distance

    phi = np.asarray(model.phi)
    theta, loglik, n_tok = transform(model, corpus.n_dw, inner_passes=10)
    ll, nt = sum(loglik.values()), sum(n_tok.values())
    alive = phi.sum(axis=0) > 0
    dist = pairwise_topic_distance(phi[:, alive], "hellinger")
    iu = np.triu_indices(int(alive.sum()), 1)
    from engine.families.context.scores import _sample_docs

    docs = _sample_docs(corpus, sample)
    seqs = corpus.sequences
    mats = []
    for d in docs:
        tokens = seqs.of(int(d))[0]
        mats.append(C.token_topics(model, tokens, options, iteration=10_000, corpus=corpus,
                                   theta_d=theta[:, d] if options.mode == "standard" else None).T)
    ptr = np.concatenate([[0], np.cumsum([m.shape[0] for m in mats])])
    itc = C.intratext_coherence(np.concatenate(mats), ptr)
    segs = [len(C.merge_same_topic(m, C.pick_boundaries(C.boundary_scores(m, 10.0), 0.3, 10))) + 1 for m in mats]
    return {"perplexity_doc": float(np.exp(-ll / nt)), "sparsity_phi": float((phi == 0).mean()),
            "topic_distance": float(dist[iu].mean()) if len(iu[0]) else float("nan"),
            "dead_topics": int((~alive).sum()), "intratext_coherence": itc,
            "segments_per_document": float(np.mean(segs))}


def run_engine(corpus, T, passes, threads, phi0, options):
    import engine.families.context as C
    from engine.em.config import ModelConfig

    cfg = ModelConfig(n_topics=T, iterations=passes, threads=threads, inner_passes=1, reuse_theta=True)
    from engine.em.trainer import Trainer

    tr = Trainer(corpus, C.context_config(cfg, options), phi0=phi0)
    secs, ppl = [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        rep = tr.step()
        secs.append(time.perf_counter() - t0)
        ppl.append(rep.scores["perplexity"])
    tr.close()
    return tr.model, secs, ppl


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--topics", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--context-passes", type=int, default=1)
    ap.add_argument("--models", nargs="+", default=["bigartm", "standard", "one_pass", "context", "context_self"])
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the list of models this many times, interleaved (timings on a shared machine)")
    ap.add_argument("--no-quality", action="store_true", dest="no_quality", help="timings only")
    ap.add_argument("--out", default=str(HERE / "results" / "context.json"))
    args = ap.parse_args(argv)

    import engine.families.context as C
    from engine import warmup as compile_kernels
    from engine.em.model import TopicModel

    corpus = corpus_with_sequences()
    print(f"corpus: D={corpus.n_docs} W={corpus.n_tokens} positions={corpus.sequences.n_positions}",
          flush=True)
    compile_kernels()  # every family's kernels too
    results = []
    for T in args.topics:
        import run_bigartm as rb

        phi0 = rb.initial_phi(T)
        for rnd, name in [(r, n) for r in range(args.repeat) for n in args.models]:
            base, _, cp = name.partition("@")
            mode = {"bigartm": "standard", "context_self": "context"}.get(base, base)
            opts = C.ContextOptions(mode=mode, window=args.window, beta=args.beta,
                                    context_passes=int(cp) if cp else args.context_passes,
                                    include_self=base == "context_self")
            if name == "bigartm":
                try:
                    res = rb.fit(T=T, threads=args.threads, inner=1, reuse_theta=True,
                                 passes=args.passes, phi0=phi0)
                except ImportError:
                    print("bigartm: artm not importable here (use bench/.venv/bin/python)")
                    continue
                phi = res["phi"]
                model = TopicModel(phi=phi, theta=np.zeros((T, corpus.n_docs), np.float32),
                                   topic_names=[f"topic_{i}" for i in range(T)],
                                   background=np.zeros(T, bool), modalities=["@default_class"],
                                   token_modality=np.zeros(len(phi), np.int32),
                                   n_t=np.ones(T))
                secs, ppl = res["seconds"], res["perplexity"]
            else:
                model, secs, ppl = run_engine(corpus, T, args.passes, args.threads, phi0, opts)
            q = {} if args.no_quality else quality(model, corpus, opts)
            row = {"model": name, "T": T, "round": rnd, "passes": args.passes, "threads": args.threads,
                   "seconds_total": float(np.sum(secs)),
                   "seconds_per_pass_median": float(np.median(secs)),
                   "seconds_per_pass_min": float(np.min(secs)),
                   "perplexity_train": float(ppl[-1]), **q}
            if mode == "context":
                row.update(window=args.window, beta=args.beta, context_passes=opts.passes)
            results.append(row)
            print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
