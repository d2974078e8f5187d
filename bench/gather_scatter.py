"""The machine's bound for the EM inner loop, in (token, topic) updates per second.

The EM kernel's inner loop, per nonzero (d, w, n_dw) of the corpus and per topic t, reads
φ_wt (a gather: row w of Φ, rows visited in corpus order), combines it with θ_td (the document's
row, cache resident) and adds into an accumulator row n_wt[w] (a scatter into a per-thread W × T
array).  This file times two loops of exactly that shape over the real 20 Newsgroups CSR, with
documents split into contiguous chunks, one per thread, each thread owning its accumulator
(as the engine does):

* ``scatter``: acc[w, t] += n_dw · φ_wt · θ_td          — one gather, one scatter, 1 FMA;
* ``dot+scatter``: p = Σ_t φ_wt θ_td, then acc[w, t] += (n_dw / p) · φ_wt · θ_td — one EM sweep
  (the shape of both of BigARTM's sweeps: the θ update and the n_wt accumulation).

Throughput = nnz · T / seconds (one (token, topic) update per nonzero and topic per sweep).  The
engine's kernel throughput is reported on the same scale: nnz · T · (inner passes + 1) / E-step
seconds, because one pass with k inner iterations sweeps every document k + 1 times.

    bench/.venv/bin/python bench/gather_scatter.py --topics 20 100 --threads 1 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


@njit(nogil=True, fastmath=True, cache=True)
def scatter_rows(indptr, indices, data, phi, theta, a, d0, d1):
    """acc[w, t] += n_dw φ_wt θ_td for documents [d0, d1) into ``a`` (W, T) (one thread's chunk)."""
    T = phi.shape[1]
    for d in range(d0, d1):
        th = theta[d]
        for i in range(indptr[d], indptr[d + 1]):
            w = indices[i]
            n = data[i]
            for t in range(T):
                a[w, t] += n * phi[w, t] * th[t]


@njit(parallel=True, nogil=True, fastmath=True, cache=True)
def scatter(indptr, indices, data, phi, theta, acc, bounds):
    for c in prange(bounds.shape[0] - 1):
        scatter_rows(indptr, indices, data, phi, theta, acc[c], bounds[c], bounds[c + 1])


@njit(parallel=True, nogil=True, fastmath=True, cache=True)
def dot_scatter(indptr, indices, data, phi, theta, acc, bounds):
    n_chunks = bounds.shape[0] - 1
    T = phi.shape[1]
    for c in prange(n_chunks):
        a = acc[c]
        for d in range(bounds[c], bounds[c + 1]):
            th = theta[d]
            for i in range(indptr[d], indptr[d + 1]):
                w = indices[i]
                p = 0.0
                for t in range(T):
                    p += phi[w, t] * th[t]
                if p > 0:
                    s = data[i] / p
                    for t in range(T):
                        a[w, t] += s * phi[w, t] * th[t]


def chunk_bounds(indptr: np.ndarray, n_chunks: int) -> np.ndarray:
    """Split documents into ``n_chunks`` contiguous ranges of about equal nnz."""
    targets = np.linspace(0, indptr[-1], n_chunks + 1)
    b = np.searchsorted(indptr, targets).astype(np.int64)
    b[0], b[-1] = 0, len(indptr) - 1
    return b


class BoundSweep:
    """One ``scatter`` sweep over ``n_dw`` per :meth:`step` (for timing interleaved with others)."""

    def __init__(self, n_dw, T: int, threads: int, dtype=np.float32, kernel: str = "scatter"):
        rng = np.random.default_rng(0)
        W, D = n_dw.shape[1], n_dw.shape[0]
        phi = rng.random((W, T)).astype(dtype)
        phi /= phi.sum(axis=0, keepdims=True)
        theta = np.full((D, T), 1.0 / T, dtype=dtype)
        self.acc = np.zeros((threads, W, T), dtype=dtype)
        self.threads = threads
        self.args = (n_dw.indptr.astype(np.int64), n_dw.indices.astype(np.int32), n_dw.data.astype(dtype),
                     phi, theta, self.acc, chunk_bounds(n_dw.indptr, threads))
        self.fn = scatter if kernel == "scatter" else dot_scatter
        self.updates = n_dw.nnz * T
        numba.set_num_threads(threads)
        self.fn(*self.args)

    def step(self) -> float:
        numba.set_num_threads(self.threads)
        self.acc[:] = 0
        t0 = time.perf_counter()
        self.fn(*self.args)
        return time.perf_counter() - t0


def measure(n_dw, T: int, threads: int, dtype=np.float32, repeat: int = 7, kernel: str = "scatter") -> dict:
    """Median/best updates per second of one sweep over ``n_dw``."""
    numba.set_num_threads(threads)
    rng = np.random.default_rng(0)
    W, D = n_dw.shape[1], n_dw.shape[0]
    phi = rng.random((W, T)).astype(dtype)
    phi /= phi.sum(axis=0, keepdims=True)
    theta = np.full((D, T), 1.0 / T, dtype=dtype)
    acc = np.zeros((threads, W, T), dtype=dtype)
    bounds = chunk_bounds(n_dw.indptr, threads)
    args = (n_dw.indptr.astype(np.int64), n_dw.indices.astype(np.int32), n_dw.data.astype(dtype), phi, theta, acc, bounds)
    fn = scatter if kernel == "scatter" else dot_scatter
    fn(*args)  # compile / warm up
    times = []
    for _ in range(repeat):
        acc[:] = 0
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    times.sort()
    ups = n_dw.nnz * T
    return {"kernel": kernel, "T": T, "threads": threads, "dtype": np.dtype(dtype).name,
            "seconds_min": times[0], "seconds_median": times[len(times) // 2],
            "updates_per_s_best": ups / times[0], "updates_per_s_median": ups / times[len(times) // 2]}


def main(argv=None) -> int:
    import data as bench_data

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topics", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args(argv)
    n_dw, _ = bench_data.load()
    print(f"{'kernel':12s} {'T':>4s} {'thr':>3s} {'dtype':8s} {'s/sweep (min)':>14s} {'updates/s best':>15s} {'median':>10s}")
    for kernel in ("scatter", "dot+scatter"):
        for T in a.topics:
            for th in a.threads:
                r = measure(n_dw, T, th, np.dtype(a.dtype), a.repeat, "scatter" if kernel == "scatter" else "dot")
                print(f"{kernel:12s} {T:4d} {th:3d} {r['dtype']:8s} {r['seconds_min']:14.4f} "
                      f"{r['updates_per_s_best']:15.3e} {r['updates_per_s_median']:10.3e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
