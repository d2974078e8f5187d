"""BigARTM 0.9.2 reference runs on the benchmark corpus (bench venv only).

Library use (bench/run_parity.py, bench/run_speed.py)::

    from bench import run_bigartm as rb
    res = rb.fit(T=20, threads=2, inner=1, reuse_theta=True, passes=20, phi0=rb.initial_phi(20))
    res["perplexity"]  # list, one value per pass (Φ of the pass, θ after its inner iterations)
    res["seconds"]     # list, wall seconds of each fit_offline(num_collection_passes=1) call

CLI::

    bench/.venv/bin/python bench/run_bigartm.py --topics 20 100 --passes 20 --out bench/results/bigartm.json

The initial Φ is written to ``bench/data/phi0_T{T}_s{seed}.npy`` (W, T) float32, rows in the
vocabulary order of bench/data.py (alphabetical), columns normalized; it is given to BigARTM by
``model.initialize(dictionary)`` + ``master.attach_model(model.model_pwt)`` and an in-place
overwrite, rows mapped by token string.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import data as bench_data  # noqa: E402

# Regularized configuration shared with the engine (same τ on both sides). Topic groups: the last
# ``n_background`` topics are background, the others subject.
REG = {
    "n_background": 1,
    "smooth_phi_background": 0.1,     # SmoothSparsePhi(τ=+0.1) on background topics
    "sparse_phi_subject": -0.1,       # SmoothSparsePhi(τ=−0.1) on subject topics
    "smooth_theta_background": 0.1,   # SmoothSparseTheta(τ=+0.1) on background topics
    "sparse_theta_subject": -0.1,     # SmoothSparseTheta(τ=−0.1) on subject topics
    "decorrelator_subject": 1e5,      # Decorrelator(τ=1e5) on subject topics
}


_LOGGING_SET = False


def _artm():
    """Import artm with glog writing into bench/data/logs (not the current directory)."""
    global _LOGGING_SET
    import artm

    if not _LOGGING_SET:
        from artm.wrapper import LibArtm
        from artm.wrapper import messages_pb2 as messages

        logs = bench_data.DATA / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        LibArtm(logging_config=messages.ConfigureLoggingArgs(log_dir=str(logs), minloglevel=2))
        _LOGGING_SET = True
    return artm


def topic_names(T: int, n_background: int = 0) -> list[str]:
    names = [f"topic_{i}" for i in range(T - n_background)]
    return names + [f"background_{i}" for i in range(n_background)]


def initial_phi(T: int, seed: int = 1) -> np.ndarray:
    """Fixed random Φ0 (W, T) float32 with unit columns, cached on disk."""
    path = bench_data.DATA / f"phi0_T{T}_s{seed}.npy"
    if path.exists():
        return np.load(path)
    n_dw, vocab = bench_data.load()
    rng = np.random.default_rng(seed)
    phi = rng.random((n_dw.shape[1], T), dtype=np.float64) + 1e-3
    phi /= phi.sum(axis=0, keepdims=True)
    phi = phi.astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, phi)
    return phi


def batch_vectorizer():
    """Batches (1000 documents each) built once from the UCI files, then reused."""
    artm = _artm()

    folder = bench_data.folder()
    bench_data.load()
    target = folder / "batches"
    if target.exists() and any(target.glob("*.batch")):
        bv = artm.BatchVectorizer(data_path=str(target), data_format="batches", gather_dictionary=False)
        bv._dictionary = artm.Dictionary()
        bv._dictionary.gather(data_path=str(target))
        return bv
    return artm.BatchVectorizer(data_path=str(folder), data_format="bow_uci", collection_name=bench_data.NAME,
                                target_folder=str(target), batch_size=1000)


def _regularizers(artm, T: int, reg: dict | None):
    if not reg:
        return []
    names = topic_names(T, reg["n_background"])
    subj, back = names[: T - reg["n_background"]], names[T - reg["n_background"]:]
    out = []
    if reg.get("smooth_phi_background"):
        out.append(artm.SmoothSparsePhiRegularizer(name="smooth_phi_bg", tau=reg["smooth_phi_background"], topic_names=back))
    if reg.get("sparse_phi_subject"):
        out.append(artm.SmoothSparsePhiRegularizer(name="sparse_phi_subj", tau=reg["sparse_phi_subject"], topic_names=subj))
    if reg.get("smooth_theta_background"):
        out.append(artm.SmoothSparseThetaRegularizer(name="smooth_theta_bg", tau=reg["smooth_theta_background"], topic_names=back))
    if reg.get("sparse_theta_subject"):
        out.append(artm.SmoothSparseThetaRegularizer(name="sparse_theta_subj", tau=reg["sparse_theta_subject"], topic_names=subj))
    if reg.get("decorrelator_subject"):
        out.append(artm.DecorrelatorPhiRegularizer(name="decorr", tau=reg["decorrelator_subject"], topic_names=subj))
    return out


class Session:
    """One BigARTM model; :meth:`step` runs one offline pass and returns its wall seconds."""

    def __init__(self, T: int, threads: int = 2, inner: int = 1, reuse_theta: bool = True,
                 phi0: np.ndarray | None = None, reg: dict | None = None, scores: bool = True, bv=None):
        artm = _artm()
        self.bv = bv or batch_vectorizer()
        self.scores = scores
        n_bg = reg["n_background"] if reg else 0
        model = artm.ARTM(topic_names=topic_names(T, n_bg), num_processors=threads, num_document_passes=inner,
                          reuse_theta=reuse_theta, cache_theta=False, show_progress_bars=False)
        if scores:
            model.scores.add(artm.PerplexityScore(name="perplexity"))
        for r in _regularizers(artm, T, reg):
            model.regularizers.add(r)
        model.initialize(self.bv.dictionary)
        if phi0 is not None:
            _, vocab = bench_data.load()
            info, pwt = model.master.attach_model(model.model_pwt)
            row_of = {w: i for i, w in enumerate(vocab)}
            order = np.fromiter((row_of[t] for t in info.token), dtype=np.int64, count=len(info.token))
            pwt[:, :] = phi0[order, :]
            # BigARTM keeps using this buffer as its Φ until the first M-step replaces it:
            # the array must outlive the model's first pass (else use-after-free, segfault).
            self._attached = pwt
        self.model = model

    def step(self) -> float:
        t0 = time.perf_counter()
        self.model.fit_offline(self.bv, num_collection_passes=1)
        return time.perf_counter() - t0

    def perplexity(self) -> list[float]:
        return [float(v) for v in self.model.score_tracker["perplexity"].value] if self.scores else []

    def phi(self) -> np.ndarray:
        """Φ (W, T) float32 in the vocabulary order of bench/data.py."""
        _, vocab = bench_data.load()
        return self.model.get_phi().reindex(vocab).to_numpy(np.float32)

    def close(self) -> None:
        self.model.dispose()


def fit(T: int, threads: int = 2, inner: int = 1, reuse_theta: bool = True, passes: int = 20,
        phi0: np.ndarray | None = None, reg: dict | None = None, scores: bool = True,
        bv=None, return_phi: bool = True) -> dict:
    """Train BigARTM offline for ``passes`` passes; per-pass perplexity, sparsity and seconds."""
    s = Session(T, threads, inner, reuse_theta, phi0, reg, scores, bv)
    seconds = [s.step() for _ in range(passes)]
    out = {"T": T, "threads": threads, "inner": inner, "reuse_theta": reuse_theta, "passes": passes,
           "reg": reg, "seconds": seconds}
    if scores:
        out["perplexity"] = s.perplexity()
    if return_phi:
        phi = s.phi()
        out["phi"] = phi
        out["sparsity_phi"] = float((phi == 0).mean())
        out["dead_topics"] = int((phi.sum(axis=0) == 0).sum())
    s.close()
    return out


def reference_pass(n_dw, phi, theta, inner: int = 1):
    """NumPy transcription of one BigARTM offline pass (no regularizers), float64.

    Returns (theta_new (T, D), n_wt (W, T), perplexity) — used to check bigartm-semantics.md.
    """
    import scipy.sparse as sp

    X = sp.csr_matrix(n_dw, dtype=np.float64)
    phi = phi.astype(np.float64)
    th = theta.astype(np.float64).copy()
    for _ in range(inner):
        P = _pdw(X, phi, th)
        A = X.copy()
        A.data = A.data / np.where(P.data > 0, P.data, np.inf)
        ntd = (A @ phi).T * th            # (T, D): θ ⊙ Σ_w n_dw φ_w / p_dw
        s = ntd.sum(axis=0, keepdims=True)
        th = np.divide(ntd, s, out=np.zeros_like(ntd), where=s > 0)
        th[th < 1e-16] = 0.0
    P = _pdw(X, phi, th)
    A = X.copy()
    A.data = A.data / np.where(P.data > 0, P.data, np.inf)
    n_wt = phi * (A.T @ th.T)
    nd = np.asarray(X.sum(axis=1)).ravel()
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    pv = np.where(P.data > 0, P.data, X.data / nd[rows])
    perp = float(np.exp(-(X.data * np.log(pv)).sum() / X.data.sum()))
    return th, n_wt, perp


def _pdw(X, phi, th, chunk: int = 200_000):
    """CSR of p_dw = Σ_t φ_wt θ_td on the nonzeros of X (computed in chunks)."""
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    vals = np.empty(X.nnz)
    thT = np.ascontiguousarray(th.T)
    for a in range(0, X.nnz, chunk):
        b = min(a + chunk, X.nnz)
        vals[a:b] = np.einsum("ij,ij->i", phi[X.indices[a:b]], thT[rows[a:b]])
    P = X.copy()
    P.data = vals
    return P


def reference_fit(n_dw, phi0, passes: int, inner: int = 1):
    """Per-pass perplexities of the NumPy reference (PLSA, reuse Θ, θ0 = 1/T)."""
    T = phi0.shape[1]
    th = np.full((T, n_dw.shape[0]), 1.0 / T)
    phi = phi0.astype(np.float64)
    out = []
    for _ in range(passes):
        th, n_wt, perp = reference_pass(n_dw, phi, th, inner)
        out.append(perp)
        nt = np.maximum(n_wt, 0).sum(axis=0, keepdims=True)
        phi = np.divide(np.maximum(n_wt, 0), nt, out=np.zeros_like(n_wt), where=nt > 0)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topics", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--check-reference", action="store_true",
                    help="compare BigARTM's per-pass perplexity with the NumPy transcription")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bigartm.json")
    a = ap.parse_args(argv)
    n_dw, _ = bench_data.load()
    bv = batch_vectorizer()
    results = []
    for T in a.topics:
        phi0 = initial_phi(T)
        configs = [dict(threads=t, inner=1, reuse_theta=True, reg=None, label=f"plsa-1inner-{t}thr") for t in a.threads]
        configs += [dict(threads=2, inner=10, reuse_theta=True, reg=None, label="plsa-10inner-2thr"),
                    dict(threads=2, inner=1, reuse_theta=True, reg=REG, label="regularized-2thr")]
        for c in configs:
            label = c.pop("label")
            r = fit(T, passes=a.passes, phi0=phi0, bv=bv, **c)
            r.pop("phi", None)
            r["label"] = label
            sec = sorted(r["seconds"])
            print(f"T={T:4d} {label:22s} median {sec[len(sec)//2]:.3f}s/pass  min {sec[0]:.3f}"
                  f"  perplexity {r['perplexity'][0]:.2f} -> {r['perplexity'][-1]:.4f}"
                  f"  sparsity {r['sparsity_phi']:.4f}", flush=True)
            results.append(r)
        if a.check_reference:
            ref = reference_fit(n_dw, phi0, a.passes)
            big = next(r for r in results if r["T"] == T and r["label"].startswith("plsa-1inner"))
            worst = max(abs(x / y - 1) for x, y in zip(ref, big["perplexity"]))
            print(f"T={T}: NumPy reference vs BigARTM, worst per-pass relative diff {worst:.2e}")
            for i, (x, y) in enumerate(zip(ref, big["perplexity"])):
                print(f"   pass {i+1:2d}  reference {x:.6f}  bigartm {y:.6f}  rel {x / y - 1:+.2e}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=1))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
