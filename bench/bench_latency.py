"""Live-control latency, job overhead and memory of a training job on 20 Newsgroups at T = 100.

Loads the UCI bag of words in ``/work/shared/corpora/20newsgroups/bow/`` with
:func:`engine.corpus.ingest.build_corpus` (D = 18,804 non-empty documents, W = 28,179), runs one
:class:`engine.jobs.TrainingJob` and measures:

* **control latency** — ``n`` τ edits made at random moments inside a pass. For each edit: the
  iteration that first used it, how many passes *started* after the edit before it applied
  (must be 0: the next pass to start uses it; the pass already running keeps its config), the
  seconds from the edit to the start of that pass (≤ the rest of the running pass) and to its
  report (≤ two passes);
* pause / resume / stop latency (call → status visible), checkpoint write time and size;
* snapshot cost per pass (top-10 tokens of 100 topics) and ``model_view()`` copy time;
* seconds per pass of the bare ``Trainer.step`` vs the same pass inside a job;
* memory: RSS before the job, while it runs, after it ends; and the bytes of the arrays it holds.

    python bench/bench_latency.py [--topics 100] [--threads 2] [--edits 8] [--json out.json]

No product code depends on this file.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.store import checkpoints as ckpt  # noqa: E402
from engine.em.config import ModelConfig  # noqa: E402
from engine.jobs import RunSlots, TrainingJob  # noqa: E402
from engine.jobs.snapshot import modality_rows, top_tokens_by_modality  # noqa: E402
from engine.em.regularizers import SmoothSparsePhi, SmoothSparseTheta  # noqa: E402
from engine.store.workspace import Workspace  # noqa: E402

BOW = Path("/work/shared/corpora/20newsgroups/bow")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def held_bytes(job: TrainingJob) -> dict[str, int]:
    """Bytes of the arrays a running job keeps alive (the corpus excluded: it is shared)."""
    tr = job._trainer
    seen: dict[int, int] = {id(a): 0 for a in (job.corpus.n_dw.data, job.corpus.n_dw.indices,
                                                job.corpus.n_dw.indptr)}  # shared, not counted
    parts: dict[str, int] = {}

    def add(name, arr):
        if isinstance(arr, np.ndarray):
            base = arr if arr.base is None else arr.base
            if id(base) not in seen:
                seen[id(base)] = base.nbytes
                parts[name] = parts.get(name, 0) + base.nbytes

    for name in ("_phi", "_theta", "_r_wt", "_n_t"):
        add(f"trainer.{name}", getattr(tr, name, None))
    for i, arr in enumerate(getattr(tr.estep, "_csc", None) or ()):  # n_dw transposed for the n_wt phase
        add("trainer.estep._csc", arr)
    n_dw = getattr(tr, "_n_dw", None)
    if n_dw is not None and n_dw is not job.corpus.n_dw:  # a private copy of the corpus counts
        for arr in (n_dw.data, n_dw.indices, n_dw.indptr):
            add("trainer._n_dw (copy)", arr)
    ctx = getattr(tr, "last_context", None)
    if ctx is not None:
        add("last_context.n_wt", ctx.n_wt)
        add("last_context.phi", ctx.model.phi)
        add("last_context.theta", ctx.model.theta)
    m = job._model
    if m is not None:
        add("published model.phi", m.phi)
        add("published model.theta", m.theta)
    return parts


def wait(job, pred, what, timeout=600):
    snap = job.wait_for(pred, timeout)
    if not pred(snap):
        raise SystemExit(f"timed out waiting for {what}: {snap.status} {snap.iteration} {snap.error}")
    return snap


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--edits", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    out: dict = {"topics": args.topics, "threads": args.threads}

    from engine.corpus.ingest import build_corpus
    from engine.em.trainer import Trainer
    from engine import warmup as compile_kernels

    t = time.perf_counter()
    corpus = build_corpus(BOW)
    out["corpus"] = {"D": corpus.n_docs, "W": corpus.n_tokens, "nnz": int(corpus.n_dw.nnz),
                     "load_seconds": round(time.perf_counter() - t, 2)}
    print(f"corpus: D={corpus.n_docs} W={corpus.n_tokens} nnz={corpus.n_dw.nnz} "
          f"({out['corpus']['load_seconds']} s)", flush=True)
    out["compile_seconds"] = round(compile_kernels(), 2)

    config = ModelConfig(n_topics=args.topics, iterations=100_000, seed=args.seed, threads=args.threads,
                         regularizers=(SmoothSparsePhi(name="ssphi", tau=0.0),
                                       SmoothSparseTheta(name="sstheta", tau=0.0)),
                         scores={"coherence": 0, "topic_distance": 0}).validate()

    # bare trainer (same scores as the job): seconds per pass
    from engine.em.scores import ScoreSet

    score_fn = ScoreSet.from_config(config.scores).compute
    tr = Trainer(corpus, config)
    tr.step(config, score_fn=score_fn)
    bare = []
    for _ in range(4):
        t = time.perf_counter()
        tr.step(config, score_fn=score_fn)
        bare.append(time.perf_counter() - t)
    em_only = []
    for _ in range(3):
        t = time.perf_counter()
        tr.step(config)
        em_only.append(time.perf_counter() - t)
    tr.close()
    del tr
    out["bare_step_seconds"] = round(statistics.median(bare), 3)
    out["bare_step_without_scores_seconds"] = round(statistics.median(em_only), 3)
    print(f"bare Trainer.step: {out['bare_step_seconds']} s/pass with scores, "
          f"{out['bare_step_without_scores_seconds']} s without", flush=True)

    ws = Workspace(tempfile.mkdtemp(prefix="artm-bench-latency-"))
    rss0 = rss_mb()
    job = TrainingJob(ws, corpus, config, slots=RunSlots(1), checkpoint_every=0, checkpoint_seconds=1e9)
    job.start()
    wait(job, lambda s: s.iteration >= 3, "3 passes")
    spi = job.snapshot().seconds_per_iteration

    # control latency: edits at random moments inside a pass
    edits = []
    for i in range(args.edits):
        base = job.snapshot().iteration
        wait(job, lambda s, b=base: s.iteration > b, "next pass")
        time.sleep(rng.uniform(0.05, 0.95) * spi)
        cfg = job.set_regularizer("ssphi", tau=-0.01 * (i + 1))
        version = job.snapshot().config_version if False else job._config_version
        wait(job, lambda s, v=version: s.config_version >= v, "edit applied")
        tl = job.timeline()
        changed = next(p["changed_at"] for p in tl if p["config_version"] >= version)
        first = next(p for p in tl if p["config_version"] >= version)
        started_after = sum(1 for p in tl if changed < p["started"] < first["started"])
        running = [p for p in tl if p["started"] <= changed < p["ended"]]
        edits.append({"applied_at_iteration": first["iteration"],
                      "running_pass_at_edit": running[0]["iteration"] if running else None,
                      "passes_started_in_between": started_after,
                      "seconds_to_start": round(first["started"] - changed, 3),
                      "seconds_to_report": round(first["ended"] - changed, 3),
                      "tau_recorded": job.snapshot().reports[first["iteration"] - 1].tau["ssphi"]
                      == cfg.regularizer("ssphi").tau(first["iteration"])})
        print("edit", edits[-1], flush=True)
    out["edits"] = edits
    out["edit_summary"] = {
        "max_passes_started_in_between": max(e["passes_started_in_between"] for e in edits),
        "max_seconds_to_start": max(e["seconds_to_start"] for e in edits),
        "median_seconds_to_start": round(statistics.median(e["seconds_to_start"] for e in edits), 3),
        "max_seconds_to_report": max(e["seconds_to_report"] for e in edits),
        "all_tau_recorded": all(e["tau_recorded"] for e in edits),
    }

    tl = job.timeline()
    in_job = [p["ended"] - p["started"] for p in tl[2:]]
    gaps = [b["started"] - a["ended"] for a, b in zip(tl[2:], tl[3:])]
    out["job_step_seconds"] = round(statistics.median(in_job), 3)
    out["between_pass_overhead_seconds"] = {"median": round(statistics.median(gaps), 4),
                                            "max": round(max(gaps), 4)}

    # memory while running
    out["memory"] = {"rss_before_job_mb": round(rss0, 1), "rss_running_mb": round(rss_mb(), 1),
                     "held_arrays_mb": {k: round(v / 2**20, 1) for k, v in held_bytes(job).items()}}
    out["memory"]["held_arrays_total_mb"] = round(sum(out["memory"]["held_arrays_mb"].values()), 1)

    t = time.perf_counter()
    view = job.model_view()
    out["model_view_seconds"] = round(time.perf_counter() - t, 4)
    del view

    # pause → paused (includes the checkpoint), resume → running, stop → saved
    t = time.perf_counter()
    job.pause()
    snap = wait(job, lambda s: s.status == "paused", "paused")
    out["pause_seconds"] = round(time.perf_counter() - t, 3)
    cdir = ckpt.checkpoint_path(job.run_dir, snap.iteration)
    out["checkpoint_mb"] = round(sum(f.stat().st_size for f in cdir.iterdir()) / 2**20, 1)
    t = time.perf_counter()
    job._checkpoints = ()  # force a second write of the same iteration, timed alone
    job._checkpoint()
    out["checkpoint_write_seconds"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    job.resume()
    wait(job, lambda s: s.status == "running", "running")
    out["resume_seconds"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    job.stop()
    snap = wait(job, lambda s: s.done, "stopped")
    out["stop_to_saved_seconds"] = round(time.perf_counter() - t, 3)
    out["stopped_at_iteration"] = snap.iteration
    job.join(60)
    import gc

    gc.collect()
    out["memory"]["rss_after_end_mb"] = round(rss_mb(), 1)
    out["memory"]["held_after_end_mb"] = round(sum(held_bytes(job).values()) / 2**20, 1)

    # top tokens of a snapshot, computed by a reader (timed with the trainer idle)
    model = job._model
    rows = modality_rows(model.token_modality, model.modalities)
    tokens = corpus.vocab["token"].to_numpy()
    t = time.perf_counter()
    for _ in range(10):
        top_tokens_by_modality(model.phi, rows, tokens, 10)
    out["top_tokens_seconds"] = round((time.perf_counter() - t) / 10, 4)
    out["seconds_per_iteration_in_snapshot"] = round(spi, 3)

    print(json.dumps({k: v for k, v in out.items() if k != "edits"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
