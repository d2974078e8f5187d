"""Seconds per pass: the engine, BigARTM 0.9.2, tomotopy, gensim and scikit-learn on one corpus.

One command, one table (20 Newsgroups, D = 18,805, W = 28,865, nnz = 1,517,427)::

    bench/.venv/bin/python bench/run_speed.py                      # T = 20 and 100, everything
    bench/.venv/bin/python bench/run_speed.py --topics 100 --only engine bigartm

Rows (all from the same initial Φ for the engine and BigARTM; perplexity computed every pass on
both):

* PLSA, 1 inner pass, reuse Θ, 1 thread and 2 threads;
* PLSA, 10 inner passes, reuse Θ, 2 threads;
* regularized (run_bigartm.REG: smooth background + sparse subject Φ and Θ + decorrelation),
  1 inner pass, 2 threads;
* tomotopy LDA (collapsed Gibbs), 2 workers, one ``train`` iteration = one pass;
* gensim LdaMulticore, 2 workers (one corpus pass each);
* scikit-learn LatentDirichletAllocation, batch, n_jobs=1 (one EM iteration each).

Each system runs ``--passes`` passes (20; gensim and scikit-learn ``--slow-passes``, 3, because a
pass of theirs costs 10–40 s here) and we report the **median** and the **minimum** seconds per
pass (other processes share this 2-core machine; the median is the headline, the minimum the
best case).  ``engine ÷ it`` = the engine's median (min) / that system's median (min) for the same
configuration (PLSA 2 threads for the non-ARTM systems): below 1 the engine is faster.  The
engine and BigARTM alternate pass by pass (and the gather–scatter bound sweep runs between the
engine's PLSA passes), so each pair sees the same machine load.

The engine's **kernel throughput** (E-step only, nnz·T·(inner+1) (token, topic) updates per
second) is printed beside the gather–scatter bound of bench/gather_scatter.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import data as bench_data  # noqa: E402
import run_bigartm as rb  # noqa: E402
from run_parity import engine_config  # noqa: E402

ARTM_CONFIGS = [
    # key, label, threads, inner, reg
    ("plsa1", "PLSA 1 inner pass, reuse Θ, 1 thread", 1, 1, None),
    ("plsa2", "PLSA 1 inner pass, reuse Θ, 2 threads", 2, 1, None),
    ("inner10", "PLSA 10 inner passes, reuse Θ, 2 threads", 2, 10, None),
    ("reg", "smooth bg + sparse subj + decorrelation, 2 threads", 2, 1, rb.REG),
]


def _stats(seconds: list[float], skip_first: int = 0) -> dict:
    s = seconds[skip_first:] or seconds
    return {"median": statistics.median(s), "min": min(s), "n": len(s)}


class EngineSession:
    """One engine Trainer; :meth:`step` runs one pass and returns its seconds (E-step timed too)."""

    def __init__(self, corpus, T: int, threads: int, inner: int, reg, passes: int, phi0):
        from engine.em.trainer import Trainer

        self.tr = Trainer(corpus, engine_config(T, passes, reg, inner=inner, threads=threads), phi0=phi0)
        self.estep, self.perplexity = [], []
        orig = self.tr.estep.run  # the trainer's E-step strategy (engine.em.estep.BagEStep)

        def timed(*args, **kw):
            t0 = time.perf_counter()
            out = orig(*args, **kw)
            self.estep.append(time.perf_counter() - t0)
            return out

        self.tr.estep.run = timed

    def step(self) -> float:
        t0 = time.perf_counter()
        rep = self.tr.step()
        dt = time.perf_counter() - t0
        self.perplexity.append(float(rep.scores["perplexity"]))
        return dt

    def close(self):
        self.tr.close()


def engine_warmup(corpus) -> float:
    """Compile (or load from cache) the engine's kernels before timing."""
    t0 = time.perf_counter()
    from engine import warmup

    warmup()
    from engine.em.trainer import Trainer

    small = bench_data.engine_corpus(corpus.n_dw[:200], list(corpus.vocab["token"]))
    for reg in (None, rb.REG):
        Trainer(small, engine_config(5, 2, reg, threads=2)).fit(2)
    return time.perf_counter() - t0


def _tokens_per_doc(n_dw, vocab):
    docs = []
    ind, dat, ptr = n_dw.indices, n_dw.data.astype(np.int64), n_dw.indptr
    for d in range(n_dw.shape[0]):
        a, b = ptr[d], ptr[d + 1]
        docs.append([vocab[w] for w, c in zip(ind[a:b], dat[a:b]) for _ in range(c)])
    return docs


def tomotopy_run(n_dw, vocab, T: int, passes: int, workers: int = 2, docs=None, seed: int = 1):
    import tomotopy as tp

    docs = docs if docs is not None else _tokens_per_doc(n_dw, vocab)
    mdl = tp.LDAModel(k=T, tw=tp.TermWeight.ONE, min_cf=0, rm_top=0, seed=seed)
    for ws in docs:
        mdl.add_doc(ws)
    mdl.train(0, workers=workers)
    seconds = []
    for _ in range(passes):
        t0 = time.perf_counter()
        mdl.train(1, workers=workers)
        seconds.append(time.perf_counter() - t0)
    return {"seconds": seconds, "model": mdl}


def gensim_run(n_dw, vocab, T: int, passes: int, workers: int = 2):
    from gensim.models import LdaMulticore

    corpus = [list(zip(n_dw.indices[n_dw.indptr[d]:n_dw.indptr[d + 1]].tolist(),
                       n_dw.data[n_dw.indptr[d]:n_dw.indptr[d + 1]].astype(int).tolist()))
              for d in range(n_dw.shape[0])]
    id2word = dict(enumerate(vocab))
    t0 = time.perf_counter()
    LdaMulticore(corpus, num_topics=T, id2word=id2word, workers=workers, passes=passes,
                 chunksize=2000, random_state=1, eval_every=None)
    total = time.perf_counter() - t0
    return {"seconds": [total / passes] * passes, "total": total}


def sklearn_run(n_dw, T: int, passes: int):
    from sklearn.decomposition import LatentDirichletAllocation

    m = LatentDirichletAllocation(n_components=T, learning_method="batch", max_iter=passes,
                                  random_state=1, evaluate_every=-1, n_jobs=1)
    t0 = time.perf_counter()
    m.fit(n_dw.astype(np.float64))
    total = time.perf_counter() - t0
    return {"seconds": [total / passes] * passes, "total": total}


def machine() -> dict:
    import os

    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem / 2**20, 1),
            "python": platform.python_version()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topics", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--slow-passes", type=int, default=3, help="passes for gensim and scikit-learn")
    ap.add_argument("--only", nargs="+", default=["engine", "bigartm", "tomotopy", "gensim", "sklearn"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "speed.json")
    a = ap.parse_args(argv)

    import gather_scatter as gs

    n_dw, vocab = bench_data.load()
    corpus = bench_data.engine_corpus(n_dw, vocab)
    info = machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, {info['mem_gib']} GiB; corpus D={n_dw.shape[0]:,} "
          f"W={n_dw.shape[1]:,} nnz={n_dw.nnz:,}", flush=True)
    rows: dict = {}
    if "engine" in a.only:
        print(f"engine warm-up (compile or cache load): {engine_warmup(corpus):.1f}s", flush=True)
    bv = rb.batch_vectorizer() if "bigartm" in a.only else None
    docs = _tokens_per_doc(n_dw, vocab) if "tomotopy" in a.only else None
    bound = {}
    for T in a.topics:
        phi0 = rb.initial_phi(T)
        for key, label, threads, inner, reg in ARTM_CONFIGS:
            # BigARTM and the engine alternate pass by pass, so both see the same machine load
            sess = {}
            if "bigartm" in a.only:
                sess["BigARTM " + label] = rb.Session(T, threads, inner, True, phi0, reg, True, bv)
            if "engine" in a.only:
                sess["engine " + label] = EngineSession(corpus, T, threads, inner, reg, a.passes, phi0)
            if "engine" in a.only and key in ("plsa1", "plsa2"):
                # the machine's bound, timed between the engine's passes (same load)
                sess[f"bound {threads}"] = gs.BoundSweep(n_dw, T, threads)
            secs = {n: [] for n in sess}
            for _ in range(a.passes):
                for n, s_ in sess.items():
                    secs[n].append(s_.step())
            for n in [n for n in sess if n.startswith("bound")]:
                st = _stats(secs[n], skip_first=1)
                b = sess.pop(n)
                bound[(T, threads)] = {"updates_per_s_best": b.updates / st["min"],
                                       "updates_per_s_median": b.updates / st["median"]}
            for n, s_ in sess.items():
                st = _stats(secs[n], skip_first=1)
                row = {**st, "key": key, "seconds": secs[n]}
                if isinstance(s_, EngineSession):
                    est = _stats(s_.estep, skip_first=1)
                    ups = n_dw.nnz * T * (inner + 1)
                    row.update(perplexity=s_.perplexity[-1], estep_median=est["median"], estep_min=est["min"],
                               kernel_median=ups / est["median"], kernel_best=ups / est["min"])
                else:
                    row.update(perplexity=s_.perplexity()[-1])
                s_.close()
                rows[(n, T)] = row
                extra = f"  kernel {row['kernel_median']:.2e} upd/s (best {row['kernel_best']:.2e})" if "kernel_median" in row else ""
                print(f"T={T:4d} {n:62s} median {row['median']:.3f}s  min {row['min']:.3f}s"
                      f"  perplexity {row['perplexity']:.2f}{extra}", flush=True)
        if "tomotopy" in a.only:
            rows[("tomotopy LDA (Gibbs), 2 workers", T)] = _stats(tomotopy_run(n_dw, vocab, T, a.passes, docs=docs)["seconds"])
            print(f"T={T:4d} tomotopy {rows[('tomotopy LDA (Gibbs), 2 workers', T)]['median']:.3f}s", flush=True)
        if "gensim" in a.only:
            rows[("gensim LdaMulticore, 2 workers", T)] = _stats(gensim_run(n_dw, vocab, T, a.slow_passes)["seconds"])
            print(f"T={T:4d} gensim {rows[('gensim LdaMulticore, 2 workers', T)]['median']:.3f}s", flush=True)
        if "sklearn" in a.only:
            rows[("scikit-learn LDA (batch), n_jobs=1", T)] = _stats(sklearn_run(n_dw, T, a.slow_passes)["seconds"])
            print(f"T={T:4d} sklearn {rows[('scikit-learn LDA (batch), n_jobs=1', T)]['median']:.3f}s", flush=True)

    # ---------------------------------------------------------------- the table
    def eng_for(name):
        if name.startswith("engine"):
            return None
        key = next((v["key"] for (n, _), v in rows.items() if n == name and "key" in v), "plsa2")
        return next((n for (n, _), v in rows.items() if n.startswith("engine") and v.get("key") == key), None)

    names = list(dict.fromkeys(n for n, _ in rows))
    lines = ["| system | " + " | ".join(f"T = {T} s/pass (median / min) | engine ÷ it (median / min)" for T in a.topics) + " |",
             "|---|" + "---|---|" * len(a.topics)]
    for n in names:
        cells = []
        for T in a.topics:
            v = rows.get((n, T))
            if v is None:
                cells += ["–", "–"]
                continue
            e = eng_for(n)
            ev = rows.get((e, T)) if e else None
            cells += [f"{v['median']:.3f} / {v['min']:.3f}",
                      f"{ev['median'] / v['median']:.3f} / {ev['min'] / v['min']:.3f}" if ev else ""]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print("\n" + table)
    if bound:
        kl = ["", "| T | threads | gather–scatter bound (upd/s, median / best) | engine kernel PLSA 1 inner (upd/s, median / best) | engine ÷ bound (median / best) |",
              "|---|---|---|---|---|"]
        for (T, th), b in sorted(bound.items()):
            key = "plsa1" if th == 1 else "plsa2"
            e = next((v for (n, t), v in rows.items() if t == T and v.get("key") == key and n.startswith("engine")), None)
            if e:
                kl.append(f"| {T} | {th} | {b['updates_per_s_median']:.2e} / {b['updates_per_s_best']:.2e} "
                          f"| {e['kernel_median']:.2e} / {e['kernel_best']:.2e} "
                          f"| {e['kernel_median'] / b['updates_per_s_median']:.2f} / {e['kernel_best'] / b['updates_per_s_best']:.2f} |")
        print("\n".join(kl))
        table += "\n" + "\n".join(kl)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"machine": info, "table": table,
                                 "rows": [{"system": n, "T": T, **v} for (n, T), v in rows.items()],
                                 "bound": [{"T": T, "threads": th, **b} for (T, th), b in bound.items()]}, indent=1))
    print(f"\nwrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
