"""Online EM: the engine's batched trainer vs BigARTM 0.9.2 ``fit_online``, same corpus, same Φ0,
same batches in the same order (issue 14, bench/README.md §13.1).

Corpus: bench/data.py (20 Newsgroups bodies, D = 18,805, W = 28,865, nnz = 1,517,427 — the parity
corpus). BigARTM reads its 19 batches of 1,000 documents (bench/data/20ng/batches) in document
order (its file names aaaaaa, aaaaab, … are written in that order; BatchVectorizer lists them in
directory order, so they are sorted here); the engine writes the same documents into 19 batches of
1,000 in the same order (checked: the item ids of every BigARTM batch are the engine batch's
documents). Both start from bench/data/phi0_T{T}_s1.npy (BigARTM: ``attach_model``), θ from 1/T for
every document of every batch (engine ``theta="none"``; BigARTM ``cache_theta=False``), one inner
pass, the same T, threads, update_every, τ₀, κ. One ``fit_online`` call = one collection pass.

Per pass: wall seconds (and per 1,000 documents), process CPU seconds, the perplexity of the pass
— exp(−Σ raw / Σ normalizer) over the pass's Φ updates, each batch scored with the Φ it was
processed with (BigARTM stores one perplexity per update; its ``last_value`` is the last update's
batches only) — and max |Φ_engine − Φ_BigARTM| after the pass.

    python bench/bench_online.py                                  # engine + BigARTM, 3 passes
    python bench/bench_online.py --update-every 4 --tau0 64 --kappa 0.5
    python bench/bench_online.py --systems engine --passes 2
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import data as bench_data  # noqa: E402

OUT = bench_data.DATA / "online"
VENV = next((p for p in (HERE / ".venv" / "bin" / "python", Path("/work/main/bench/.venv/bin/python"))
             if p.exists()), Path(sys.executable))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_bigartm(args) -> dict:
    """(child, in the bench venv) BigARTM fit_online passes; Φ of every pass to OUT/bigartm_phi_<k>.npy."""
    import run_bigartm as rb  # noqa: PLC0415 - BigARTM only in the bench venv's child process
    from artm.wrapper import messages_pb2 as messages  # noqa: PLC0415 - likewise

    artm = rb._artm()
    bv = rb.batch_vectorizer()
    bv._batches_list.sort(key=lambda b: b.filename)  # document order (directory order is arbitrary)
    groups, msg = [], messages.Batch()
    for b in bv.batches_list:
        with open(b.filename, "rb") as f:
            msg.ParseFromString(f.read())
        ids = [item.id for item in msg.item]
        groups.append([min(ids), max(ids), len(ids)])
    T = args.topics
    model = artm.ARTM(topic_names=rb.topic_names(T), num_processors=args.threads, num_document_passes=1,
                      reuse_theta=False, cache_theta=False, show_progress_bars=False)
    model.scores.add(artm.PerplexityScore(name="perplexity"))
    model.initialize(bv.dictionary)
    _, vocab = bench_data.load()
    info, pwt = model.master.attach_model(model.model_pwt)
    row_of = {w: i for i, w in enumerate(vocab)}
    order = np.fromiter((row_of[t] for t in info.token), dtype=np.int64, count=len(info.token))
    pwt[:, :] = rb.initial_phi(T)[order, :]
    # n_wt must start as Φ0 too (initialize() builds n_wt like p_wt, from its own random Φ)
    info_n, nwt = model.master.attach_model(model.model_nwt)
    assert list(info_n.token) == list(info.token)
    nwt[:, :] = pwt
    secs, cpu, ppl, n_upd = [], [], [], []
    tracker = None
    for k in range(args.passes):
        t0, c0 = time.perf_counter(), _cpu()
        model.fit_online(bv, update_every=args.update_every, tau0=args.tau0, kappa=args.kappa)
        secs.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
        tracker = model.score_tracker["perplexity"]
        raw, norm = list(tracker.raw), list(tracker.normalizer)
        m = -(-bv.num_batches // args.update_every)  # updates of this pass
        n_upd.append(m)
        ppl.append(float(np.exp(-sum(raw[-m:]) / sum(norm[-m:]))))
        phi = model.get_phi().reindex(vocab).to_numpy(np.float32)
        np.save(OUT / f"bigartm_phi_{k + 1}.npy", phi)
    check = float(np.exp(-tracker.raw[-1] / tracker.normalizer[-1]))  # value = exp(−raw / normalizer)
    out = {"seconds": secs, "cpu": cpu, "perplexity": ppl, "updates_per_pass": n_upd, "D": sum(g[2] for g in groups),
           "batches": groups, "last_value": float(tracker.last_value), "last_value_check": check,
           "kept_alive": bool(pwt.size and nwt.size)}
    model.dispose()
    return out


def engine_batches():
    """The engine's batched copy of the corpus: 1,000 documents per batch in document order."""
    from engine.corpus.batch_writer import write_batches  # noqa: PLC0415 - not in the BigARTM child
    from engine.corpus.batches import BatchedCorpus  # noqa: PLC0415

    target = OUT / "engine_batches"
    if not (target / "manifest.json").exists():
        n_dw, vocab = bench_data.load()
        write_batches(bench_data.engine_corpus(n_dw, vocab), target, batch_docs=1000)
    return BatchedCorpus(target)


def run_engine(args, big: dict | None) -> dict:
    from engine.em.config import ModelConfig  # noqa: PLC0415 - the engine is not imported in the BigARTM child
    from engine.em.trainer import Trainer  # noqa: PLC0415 - likewise
    from engine.families.batched.family import batched_config  # noqa: PLC0415 - likewise

    import run_bigartm as rb  # noqa: PLC0415 - its initial_phi (BigARTM itself is not imported)

    bc = engine_batches()
    if big is not None:  # the same documents in the same batches, in the same order
        mine = [[a + 1, b, b - a] for a, b in (bc.doc_range(i) for i in range(bc.n_batches))]
        if mine != big["batches"]:
            raise SystemExit(f"batches differ: engine {mine[:3]}… BigARTM {big['batches'][:3]}…")
    cfg = ModelConfig(n_topics=args.topics, iterations=args.passes, threads=args.threads, seed=1,
                      inner_passes=1, reuse_theta=False)
    cfg = batched_config(cfg, theta="none", online={"update_every": args.update_every, "tau0": args.tau0,
                                                    "kappa": args.kappa})
    tr = Trainer(bc, cfg, phi0=rb.initial_phi(args.topics))
    secs, cpu, ppl, dphi = [], [], [], []
    for k in range(args.passes):
        t0, c0 = time.perf_counter(), _cpu()
        rep = tr.step()
        secs.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
        ppl.append(float(rep.scores["perplexity"]))
        if big is not None:
            dphi.append(float(np.abs(np.asarray(tr.model.phi) - np.load(OUT / f"bigartm_phi_{k + 1}.npy")).max()))
    tr.close()
    return {"seconds": secs, "cpu": cpu, "perplexity": ppl, "max_abs_dphi": dphi, "D": bc.n_docs,
            "updates": tr.estep._updates}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", nargs="+", default=["bigartm", "engine"], choices=["engine", "bigartm"])
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--update-every", type=int, default=1)
    ap.add_argument("--tau0", type=float, default=1024.0)
    ap.add_argument("--kappa", type=float, default=0.7)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.child:
        print(json.dumps(run_bigartm(args)))
        return 0
    bench_data.load()  # build the corpus cache once, outside the timings
    results = {"settings": {k: getattr(args, k) for k in ("topics", "threads", "passes", "update_every", "tau0", "kappa")}}
    for name in sorted(args.systems):  # BigARTM first: the engine compares its Φ with BigARTM's
        load0 = os.getloadavg()[0]
        if name == "bigartm":
            cmd = [str(VENV), __file__, "--child", "--topics", str(args.topics), "--threads", str(args.threads),
                   "--passes", str(args.passes), "--update-every", str(args.update_every), "--tau0", str(args.tau0),
                   "--kappa", str(args.kappa)]
            env = dict(os.environ, PYTHONPATH=str(HERE.parent))
            proc = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
            res = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            res = run_engine(args, results.get("bigartm"))
        res["load"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        results[name] = res
    print(f"T={args.topics} threads={args.threads} update_every={args.update_every} tau0={args.tau0} "
          f"kappa={args.kappa}")
    print("| system | pass | wall s | s per 1,000 docs | CPU s | perplexity | max abs dPhi vs BigARTM | load |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted(results.keys() & {"bigartm", "engine"}):
        r = results[name]
        for i, (s, c, p) in enumerate(zip(r["seconds"], r["cpu"], r["perplexity"])):
            d = r.get("max_abs_dphi") or []
            dd = f"{d[i]:.2e}" if i < len(d) else "—"
            print(f"| {name} | {i + 1} | {s:.3f} | {1000 * s / r['D']:.4f} | {c:.3f} | {p:.2f} | {dd} | "
                  f"{r['load'][0]}–{r['load'][1]} |")
    if "bigartm" in results and "engine" in results:
        ratio = [e / b for e, b in zip(results["engine"]["seconds"], results["bigartm"]["seconds"])]
        results["ratio_wall"] = ratio
        print("engine/BigARTM wall per pass: " + ", ".join(f"{x:.3f}" for x in ratio))
    print(json.dumps({k: v for k, v in results.items()}, default=float))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
