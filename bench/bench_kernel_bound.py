"""The engine's E-step kernel against the machine's gather–scatter bound, in the same run (issue 14:
"at T = 20 the kernel reaches ≥ 70 % of the gather–scatter bound measured in the same run").

Both run on the same CSR (20 Newsgroups from bench/data.py, or ``--corpus WS:NAME`` for a corpus in a
workspace, e.g. the Telegram short documents), split into the same contiguous document chunks, one
per thread of one ThreadPoolExecutor, alternating sweep by sweep so they see the same load:

* ``bound``: bench/gather_scatter.py's ``scatter_rows`` loop per chunk (acc[w, t] += n_dw φ_wt θ_td into a
  per-thread W × T accumulator; one gather + one scatter per (nonzero, topic)); updates = nnz · T;
* ``engine``: the E-step exactly as :class:`engine.em.estep.BagEStep` calls it — ``estep_chunk`` over
  the document chunks (θ with ``--inner`` passes, p_dw, log-likelihood), then the n_wt phase over token
  ranges (``DocBlocks.nwt``); updates = nnz · T · (inner + 1) (BigARTM's counting in bench/README.md §2).

Ratio = engine updates/s ÷ bound updates/s, from wall seconds (median and best over ``--repeat``
sweeps) and from CPU seconds (``time.thread_time`` of the worker threads, summed: robust to other
processes' load on this shared machine).

    python bench/bench_kernel_bound.py                          # T = 20 and 100, 1 and 2 threads
    python bench/bench_kernel_bound.py --engine-root /work/main       # another checkout's kernels
    python bench/bench_kernel_bound.py --corpus bench/data/short_docs/ws:telegram --inner 1 10
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
# --engine-root DIR: time another checkout's kernels (e.g. main before a change) with this script
ROOT = Path(sys.argv[sys.argv.index("--engine-root") + 1]).resolve() if "--engine-root" in sys.argv else HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from engine.em import _kernels as K  # noqa: E402
from engine.em.estep import DocBlocks, chunks  # noqa: E402
from gather_scatter import scatter_rows  # noqa: E402 - the bound's loop, per chunk


def load_csr(corpus: str | None) -> sp.csr_matrix:
    if corpus:
        from engine.store.workspace import Workspace  # only for --corpus WS:NAME

        ws, name = corpus.rsplit(":", 1)
        m = Workspace(ws).load_corpus(name).n_dw.tocsr()
    else:
        import data as bench_data  # the 20NG cache of bench/data.py

        m = bench_data.load()[0].tocsr()
    m = m.astype(np.float32)
    m.sort_indices()
    return m


class Sweeps:
    """One engine E-step and one bound sweep on ``threads`` threads; each returns (wall, CPU) seconds."""

    def __init__(self, m, T: int, threads: int, inner: int):
        rng = np.random.default_rng(0)
        D, W = m.shape
        self.m, self.T, self.inner = m, T, inner
        self.phi = rng.random((W, T)).astype(np.float32)
        self.phi /= self.phi.sum(axis=0, keepdims=True)
        self.theta_in = np.full((D, T), 1.0 / T, np.float32)
        self.tok_w, self.tok_mod = np.ones(W, np.float32), np.zeros(W, np.int32)
        self.blocks = DocBlocks.of(m, T)
        self.docs, self.spans = chunks(m.indptr, threads), chunks(self.blocks.token_mass, threads)
        self.acc = np.zeros((len(self.docs), W, T), np.float32)
        self.ratio = np.empty(m.nnz, np.float32)  # BagEStep keeps it across passes
        self.pool = ThreadPoolExecutor(threads)
        self.z, self.zd = np.zeros(T, np.float32), np.zeros((0, T), np.float32)
        self.engine()  # compile / load from cache, and θ after one pass (reused from then on)
        self.bound()

    def _run(self, fn, n):
        def timed(c):
            t0 = time.thread_time()
            fn(c)
            return time.thread_time() - t0
        return sum(self.pool.map(timed, range(n)))

    def engine(self) -> tuple[float, float]:
        m, T = self.m, self.T
        D, W = m.shape
        theta, n_wt, ratio = np.empty((D, T), np.float32), np.empty((W, T), np.float32), self.ratio
        logs = np.zeros((3, len(self.docs), 1))

        def docs(c):
            d0, d1 = self.docs[c]
            K.estep_chunk(d0, d1, m.indptr, m.indices, m.data, self.tok_w, self.tok_mod, self.phi, self.theta_in,
                          theta, False, self.inner, self.z, self.z, self.zd, ratio, logs[0, c], logs[1, c], logs[2, c])

        def tokens(c):
            self.blocks.nwt(self.spans[c][0], self.spans[c][1], ratio, theta, self.phi, n_wt)

        t0 = time.perf_counter()
        cpu = self._run(docs, len(self.docs)) + self._run(tokens, len(self.spans))
        wall = time.perf_counter() - t0
        self.theta_in = theta
        return wall, cpu

    def bound(self) -> tuple[float, float]:
        m = self.m
        self.acc[:] = 0.0

        def one(c):
            d0, d1 = self.docs[c]
            scatter_rows(m.indptr, m.indices, m.data, self.phi, self.theta_in, self.acc[c], d0, d1)

        t0 = time.perf_counter()
        cpu = self._run(one, len(self.docs))
        return time.perf_counter() - t0, cpu


def measure(m, T: int, threads: int, inner: int, repeat: int) -> dict:
    s = Sweeps(m, T, threads, inner)
    eng, bnd = [], []
    for _ in range(repeat):
        eng.append(s.engine())
        bnd.append(s.bound())
    s.pool.shutdown()
    e_up, b_up = m.nnz * T * (inner + 1), m.nnz * T
    med = lambda xs, j: statistics.median(x[j] for x in xs)  # noqa: E731
    best = lambda xs, j: min(x[j] for x in xs)  # noqa: E731
    return {"T": T, "threads": threads, "inner": inner,
            "engine_wall_median": med(eng, 0), "engine_wall_best": best(eng, 0), "engine_cpu_median": med(eng, 1),
            "bound_wall_median": med(bnd, 0), "bound_wall_best": best(bnd, 0), "bound_cpu_median": med(bnd, 1),
            "ratio_wall_median": (e_up / med(eng, 0)) / (b_up / med(bnd, 0)),
            "ratio_wall_best": (e_up / best(eng, 0)) / (b_up / best(bnd, 0)),
            "ratio_cpu_median": (e_up / med(eng, 1)) / (b_up / med(bnd, 1))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--topics", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--inner", type=int, nargs="+", default=[1])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--corpus", default=None, help="WS:NAME of a stored corpus (default: 20NG of bench/data.py)")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--engine-root", default=None, help="checkout whose engine is timed (default: this one)")
    a = ap.parse_args(argv)
    m = load_csr(a.corpus)
    print(f"corpus D={m.shape[0]:,} W={m.shape[1]:,} nnz={m.nnz:,}", file=sys.stderr)
    print("| T | threads | inner | engine E-step s (median / best) | bound sweep s (median / best) | "
          "engine ÷ bound, wall (median / best) | engine ÷ bound, CPU (median) | load |", file=sys.stderr)
    print("|---|---|---|---|---|---|---|---|", file=sys.stderr)
    rows = []
    for T in a.topics:
        for threads in a.threads:
            for inner in a.inner:
                load0 = os.getloadavg()[0]
                r = measure(m, T, threads, inner, a.repeat)
                r["load"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
                rows.append(r)
                print(f"| {T} | {threads} | {inner} | {r['engine_wall_median']:.4f} / {r['engine_wall_best']:.4f} | "
                      f"{r['bound_wall_median']:.4f} / {r['bound_wall_best']:.4f} | {r['ratio_wall_median']:.2f} / "
                      f"{r['ratio_wall_best']:.2f} | {r['ratio_cpu_median']:.2f} | {r['load'][0]}–{r['load'][1]} |",
                      file=sys.stderr, flush=True)
    print(json.dumps(rows))
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
