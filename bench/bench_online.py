"""Online EM: the engine's batched trainer with online Φ updates vs BigARTM ``fit_online`` (issue 14).

Both sides: 20 Newsgroups as the user imports it (UCI, D = 18,804) in batches of 1,000 documents in
document order (the engine: ``write_batches`` of the imported corpus; BigARTM: its own batches of the
same UCI files, as bench/bench_user_path.py makes them), T = 100, 2 threads, 1 inner pass, θ from
uniform every pass (engine ``theta="none"``, BigARTM ``cache_theta=False``), Φ updated after every
``--update-every`` batches with ρ_i = (τ₀ + i)^(−κ) (BigARTM's defaults τ₀ = 1024, κ = 0.7), seed 1.
Per collection pass: wall seconds, seconds per 1,000 documents, and the perplexity each system
reports for that pass (accumulated over the batches with the Φ of the moment, on both sides).

    python bench/bench_online.py                     # engine + BigARTM (bench venv), 3 passes
    python bench/bench_online.py --systems engine --passes 2
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import bench_user_path as up  # noqa: E402 - the same imported corpus and BigARTM batches

BATCHES = HERE / "data" / "online" / "ng20_batches"


def run_engine(args) -> dict:
    from engine.corpus.batches import BatchedCorpus, write_batches
    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer
    from engine.families.batched.family import batched_config
    from engine.store.workspace import Workspace

    up.prepare_workspace()
    if not (BATCHES / "manifest.json").exists():
        write_batches(Workspace(up.WS).load_corpus(up.NAME), BATCHES, batch_docs=1000)
    bc = BatchedCorpus(BATCHES)
    cfg = ModelConfig(n_topics=args.topics, iterations=args.passes, threads=args.threads, seed=1,
                      inner_passes=1, reuse_theta=False)
    cfg = batched_config(cfg, theta="none", online={"update_every": args.update_every, "tau0": args.tau0,
                                                    "kappa": args.kappa})
    tr = Trainer(bc, cfg)
    secs, ppl = [], []
    for _ in range(args.passes):
        t0 = time.perf_counter()
        rep = tr.step()
        secs.append(time.perf_counter() - t0)
        ppl.append(rep.scores["perplexity"])
    tr.close()
    return {"seconds": secs, "perplexity": ppl, "D": bc.n_docs}


def run_bigartm(args) -> dict:
    import numpy as np  # noqa: F401 - BigARTM's wrapper needs numpy loaded first
    import run_bigartm as rb

    artm = rb._artm()
    bv, dictionary = up.bigartm_batches(artm, up.DATA / "bigartm_batches", up.prepare_uci(), "20news")
    model = artm.ARTM(num_topics=args.topics, num_processors=args.threads, num_document_passes=1,
                      cache_theta=False, show_progress_bars=False, seed=1)
    model.scores.add(artm.PerplexityScore(name="perplexity"))
    model.initialize(dictionary)
    secs, ppl = [], []
    for _ in range(args.passes):
        t0 = time.perf_counter()
        model.fit_online(bv, update_every=args.update_every, tau0=args.tau0, kappa=args.kappa)  # one pass
        secs.append(time.perf_counter() - t0)
        ppl.append(float(model.score_tracker["perplexity"].last_value))
    model.dispose()
    return {"seconds": secs, "perplexity": ppl, "D": 18846}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", nargs="+", default=["engine", "bigartm"], choices=["engine", "bigartm"])
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--update-every", type=int, default=1)
    ap.add_argument("--tau0", type=float, default=1024.0)
    ap.add_argument("--kappa", type=float, default=0.7)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(run_bigartm(args)))
        return 0
    results = {}
    for name in args.systems:
        load0 = os.getloadavg()[0]
        if name == "bigartm":
            cmd = [str(up.VENV), __file__, "--child", "--topics", str(args.topics), "--threads", str(args.threads),
                   "--passes", str(args.passes), "--update-every", str(args.update_every), "--tau0", str(args.tau0),
                   "--kappa", str(args.kappa)]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        else:
            res = run_engine(args)
        res["load"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
        res["seconds_per_1000_docs"] = [s * 1000 / res["D"] for s in res["seconds"]]
        results[name] = res
        for i, (s, p) in enumerate(zip(res["seconds"], res["perplexity"]), 1):
            print(f"{name:8s} pass {i}: {s:.3f} s ({1000 * s / res['D']:.4f} s per 1,000 documents)  "
                  f"perplexity {p:.1f}  load {res['load']}", file=sys.stderr, flush=True)
    if len(results) == 2:
        e, b = results["engine"]["seconds"], results["bigartm"]["seconds"]
        results["ratio_per_pass"] = [x / y for x, y in zip(e, b)]
        print("engine/BigARTM time per pass: " + ", ".join(f"{r:.3f}" for r in results["ratio_per_pass"]),
              file=sys.stderr, flush=True)
    return up.emit(results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
