"""Parity of the engine with BigARTM 0.9.2 on 20 Newsgroups, from the same initial Φ.

Checks (issue 3, "Parity with BigARTM"):

* PLSA, 1 inner pass, reused Θ, T = 20 and 100: perplexity within 0.1 % after every one of 20
  passes;
* regularized (SmoothSparsePhi +0.1 on the background topic, −0.1 on subject topics;
  SmoothSparseTheta +0.1 / −0.1 likewise; Decorrelator τ = 1e5 on subject topics; T − 1 subject +
  1 background): Φ sparsity within 1 percentage point and perplexity within 1 % (every pass).

Both sides get ``bench/data/phi0_T{T}_s1.npy`` and 2 threads.

    bench/.venv/bin/python bench/run_parity.py [--topics 20 100] [--passes 20] [--out bench/results/parity.json]

Exit code 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import data as bench_data  # noqa: E402
import run_bigartm as rb  # noqa: E402


def engine_config(T: int, passes: int, reg: dict | None, inner: int = 1, threads: int = 2, reuse_theta: bool = True):
    """The engine's ModelConfig equivalent to run_bigartm's configuration."""
    from engine.em.config import ModelConfig
    from engine.em.regularizers import Decorrelator, SmoothSparsePhi, SmoothSparseTheta

    if not reg:
        return ModelConfig(n_topics=T, n_background=0, iterations=passes, inner_passes=inner,
                           reuse_theta=reuse_theta, threads=threads)
    regs = []
    if reg.get("smooth_phi_background"):
        regs.append(SmoothSparsePhi(name="smooth_phi_bg", tau=reg["smooth_phi_background"], topics="background"))
    if reg.get("sparse_phi_subject"):
        regs.append(SmoothSparsePhi(name="sparse_phi_subj", tau=reg["sparse_phi_subject"], topics="subject"))
    if reg.get("smooth_theta_background"):
        regs.append(SmoothSparseTheta(name="smooth_theta_bg", tau=reg["smooth_theta_background"], topics="background"))
    if reg.get("sparse_theta_subject"):
        regs.append(SmoothSparseTheta(name="sparse_theta_subj", tau=reg["sparse_theta_subject"], topics="subject"))
    if reg.get("decorrelator_subject"):
        regs.append(Decorrelator(name="decorr", tau=reg["decorrelator_subject"], topics="subject"))
    nb = reg["n_background"]
    return ModelConfig(n_topics=T - nb, n_background=nb, iterations=passes, inner_passes=inner,
                       reuse_theta=reuse_theta, threads=threads, regularizers=tuple(regs))


def engine_fit(corpus, cfg, phi0, passes: int) -> dict:
    import time

    from engine.em.trainer import Trainer

    tr = Trainer(corpus, cfg, phi0=phi0)
    perp, seconds = [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        rep = tr.step()
        seconds.append(time.perf_counter() - t0)
        perp.append(float(rep.scores["perplexity"]))
    phi = np.asarray(tr.model.phi)
    tr.close()
    return {"perplexity": perp, "seconds": seconds, "phi": phi,
            "sparsity_phi": float((phi == 0).mean()), "dead_topics": int((phi.sum(axis=0) == 0).sum())}


def compare(big: dict, eng: dict, tol_perp: float, tol_sparsity_pp: float | None) -> dict:
    rel = [e / b - 1 for e, b in zip(eng["perplexity"], big["perplexity"])]
    worst = max(range(len(rel)), key=lambda i: abs(rel[i]))
    out = {"rel_per_pass": rel, "worst_pass": worst + 1, "worst_rel": rel[worst],
           "perplexity_ok": all(abs(r) <= tol_perp for r in rel),
           "final_bigartm": big["perplexity"][-1], "final_engine": eng["perplexity"][-1],
           "sparsity_bigartm": big["sparsity_phi"], "sparsity_engine": eng["sparsity_phi"],
           "dead_bigartm": big["dead_topics"], "dead_engine": eng["dead_topics"]}
    if tol_sparsity_pp is not None:
        out["sparsity_ok"] = abs(big["sparsity_phi"] - eng["sparsity_phi"]) * 100 <= tol_sparsity_pp
    # where do the Φ matrices differ most (diagnostics)
    diff = np.abs(big["phi"].astype(np.float64) - eng["phi"])
    out["phi_max_abs_diff"] = float(diff.max())
    out["phi_l1_per_topic_max"] = float(diff.sum(axis=0).max())
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topics", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-regularized", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "parity.json")
    a = ap.parse_args(argv)
    n_dw, vocab = bench_data.load()
    corpus = bench_data.engine_corpus(n_dw, vocab)
    bv = rb.batch_vectorizer()
    report, ok = [], True
    cases = [("plsa", None, 1e-3, None)]
    if not a.skip_regularized:
        cases.append(("regularized", rb.REG, 1e-2, 1.0))
    for T in a.topics:
        phi0 = rb.initial_phi(T)
        for name, reg, tol, tol_sp in cases:
            big = rb.fit(T, threads=a.threads, inner=1, reuse_theta=True, passes=a.passes, phi0=phi0, reg=reg, bv=bv)
            eng = engine_fit(corpus, engine_config(T, a.passes, reg, threads=a.threads), phi0, a.passes)
            c = compare(big, eng, tol, tol_sp)
            c.update(T=T, case=name, tol_perplexity=tol, tol_sparsity_pp=tol_sp,
                     bigartm_perplexity=big["perplexity"], engine_perplexity=eng["perplexity"])
            good = c["perplexity_ok"] and c.get("sparsity_ok", True)
            ok &= good
            print(f"T={T:4d} {name:12s} {'OK  ' if good else 'FAIL'} worst |rel| {abs(c['worst_rel']):.2e} "
                  f"(pass {c['worst_pass']}, tol {tol:g})  final {c['final_bigartm']:.3f} vs {c['final_engine']:.3f}  "
                  f"sparsity {c['sparsity_bigartm']:.4f} vs {c['sparsity_engine']:.4f}  "
                  f"dead {c['dead_bigartm']} vs {c['dead_engine']}", flush=True)
            print("   pass: " + " ".join(f"{i + 1}:{r:+.1e}" for i, r in enumerate(c["rel_per_pass"])), flush=True)
            report.append(c)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(report, indent=1))
    print(f"{'ALL PARITY CHECKS PASS' if ok else 'PARITY FAILED'}; wrote {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
