"""The user's path vs the bare trainer vs BigARTM (issue 14, "the user's path as fast as the kernel").

20 Newsgroups as the user imports it (UCI bag of words from /work/shared/corpora/20newsgroups/bow,
``artm-studio import``), T = 100 subject topics, 2 threads, 1 inner pass, 20 passes, seed 1:

- ``bare``: :class:`engine.em.trainer.Trainer` ``step()`` with no scores but the E-step's perplexity;
- ``cli``: ``artm-studio train --topics 100 --threads 2 --iterations 20 --jsonl`` in a subprocess,
  its defaults (default scores, health, checkpoints, run saving); a pass = time between two
  JSON lines as the parent reads them (so checkpoint writes and recording count);
- ``job``: the dashboard's path, a :class:`engine.jobs.TrainingJob` from
  :class:`engine.jobs.registry.JobRegistry` with the app's defaults (checkpoints every 10 passes
  or 30 s, 10 kept, snapshots published every pass); a pass = time between two pass starts;
- ``bigartm``: BigARTM 0.9.2 ``fit_offline`` one pass at a time on the same UCI files (1,000-document
  batches), PerplexityScore on, run by bench/.venv/bin/python in a subprocess.

Median and min over passes 2..20 (the first pass compiles/allocates), load average at start and end.
CPU seconds per pass (all threads of the process; robust to other processes' load): ``bare``
``time.process_time()`` around ``step()``; ``job`` process CPU between two published passes;
``cli`` the child's CPU between two JSON lines from the run times of its threads in
/proc/PID/task/*/schedstat (nanoseconds; ``cpu_ticks``: utime+stime from /proc/PID/stat, 10 ms ticks,
the measure of runs before 2026-12-06 05:00).

    python bench/bench_user_path.py                       # all four, product Python + bench venv
    python bench/bench_user_path.py --systems bare cli    # some of them
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# --engine-root DIR: time another checkout's engine (e.g. main before a change) with this script
ROOT = Path(sys.argv[sys.argv.index("--engine-root") + 1]).resolve() if "--engine-root" in sys.argv else HERE.parent
sys.path.insert(0, str(ROOT))

BOW = Path("/work/shared/corpora/20newsgroups/bow")
DATA = HERE / "data" / "user_path"
WS = DATA / "ws"
UCI = DATA / "uci"
NAME = "ng20"
VENV = next((p for p in (HERE / ".venv" / "bin" / "python", Path("/work/main/bench/.venv/bin/python")) if p.exists()),
            HERE / ".venv" / "bin" / "python")  # a worktree uses main's bench venv


def stats(seconds: list[float]) -> dict:
    tail = seconds[1:] if len(seconds) > 1 else seconds
    return {"median": statistics.median(tail), "min": min(tail), "n": len(tail),
            "passes": [round(s, 4) for s in seconds]}


def prepare_workspace(ws: Path = WS, name: str = NAME, docword: Path = BOW / "docword.20news.txt.gz") -> None:
    """Import a UCI corpus with the CLI as a user would (once)."""
    if (ws / "corpora" / name).exists():
        return
    ws.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "engine", "import", "--workspace", str(ws), "--name", name, str(docword)]
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def prepare_uci(folder: Path = UCI, bow: Path = BOW, collection: str = "20news") -> Path:
    """Uncompressed copies for BigARTM's bow_uci reader (it cannot read .gz)."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / f"docword.{collection}.txt"
    if not doc.exists():
        with gzip.open(bow / f"docword.{collection}.txt.gz", "rb") as src, open(doc, "wb") as dst:
            shutil.copyfileobj(src, dst)
        shutil.copy(bow / f"vocab.{collection}.txt", folder / f"vocab.{collection}.txt")
    return folder


def bigartm_batches(artm, target: Path, uci: Path, collection: str):
    """(BatchVectorizer, Dictionary) of BigARTM's 1,000-document batches of a UCI corpus, made once
    in ``target`` (a batches folder has no dictionary: it is gathered)."""
    if target.exists() and any(target.glob("*.batch")):
        bv = artm.BatchVectorizer(data_path=str(target), data_format="batches")
        dictionary = artm.Dictionary()
        dictionary.gather(data_path=str(target))
        return bv, dictionary
    bv = artm.BatchVectorizer(data_path=str(uci), data_format="bow_uci", collection_name=collection,
                              target_folder=str(target), batch_size=1000)
    return bv, bv.dictionary


def emit(results: dict, path) -> int:
    """Print the results as one JSON line (and write them to ``path`` if given)."""
    print(json.dumps(results))
    if path:
        Path(path).write_text(json.dumps(results, indent=1))
    return 0


def config(args):
    from engine.em.config import ModelConfig

    return ModelConfig(n_topics=args.topics, iterations=args.passes, threads=args.threads, seed=1)


def run_bare(args) -> dict:
    from engine.em.trainer import Trainer
    from engine.store.workspace import Workspace

    corpus = Workspace(WS).load_corpus(NAME)
    return bare_passes(Trainer(corpus, config(args)), args.passes)


def bare_passes(tr, passes: int) -> dict:
    """``passes`` calls of ``tr.step()``: wall and process-CPU seconds per pass, the last perplexity."""
    secs, cpu = [], []
    for _ in range(passes):
        t0, c0 = time.perf_counter(), time.process_time()
        tr.step()
        secs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    tr.close()
    c = tr.corpus
    return {**stats(secs), "cpu": stats(cpu), "perplexity_last": tr.last_report.scores["perplexity"],
            "D": c.n_docs, "W": c.n_tokens, "nnz": int(c.n_dw.nnz)}


def _proc_cpu(pid: int) -> float:
    """utime + stime of process ``pid`` in seconds (Linux /proc; clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ThreadCPU:
    """CPU seconds of process ``pid`` with nanosecond resolution: the sum over every thread ever
    seen of its last ``/proc/PID/task/TID/schedstat`` run time (a thread that ends between two
    readings keeps its last reading; what it ran after that is missed — the checkpoint writer's
    last milliseconds at most)."""

    def __init__(self, pid: int):
        self.pid, self.seen = pid, {}

    def __call__(self) -> float:
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            tids = []
        for tid in tids:
            try:
                self.seen[tid] = int(Path(f"/proc/{self.pid}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return sum(self.seen.values()) / 1e9

    def main_thread(self) -> float:
        """CPU seconds of the main thread (the CLI's foreground loop) at the last reading."""
        return self.seen.get(str(self.pid), 0) / 1e9


def run_cli(args) -> dict:
    cmd = [sys.executable, "-m", "engine", "train", "--workspace", str(WS), "--corpus", NAME,
           "--topics", str(args.topics), "--threads", str(args.threads), "--iterations", str(args.passes),
           "--seed", "1", "--jsonl", *args.cli_extra]
    t_start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    arrivals, reports, cpu_at, ticks_at, main_at = [], [], [], [], []
    cpu_of = ThreadCPU(proc.pid)
    for line in proc.stdout:
        if line.startswith("{"):
            arrivals.append(time.perf_counter())
            cpu_at.append(cpu_of())
            ticks_at.append(_proc_cpu(proc.pid))
            main_at.append(cpu_of.main_thread())
            reports.append(json.loads(line))
    proc.wait()
    total = time.perf_counter() - t_start
    if proc.returncode != 0 or len(arrivals) != args.passes:
        raise SystemExit(f"train failed ({proc.returncode}, {len(arrivals)} passes)")
    cycles = [b - a for a, b in zip(arrivals, arrivals[1:])]
    cpu = [b - a for a, b in zip(cpu_at, cpu_at[1:])]
    ticks = [b - a for a, b in zip(ticks_at, ticks_at[1:])]
    main = [b - a for a, b in zip(main_at, main_at[1:])]
    return {**stats([reports[0]["seconds"]] + cycles), "step_seconds": stats([r["seconds"] for r in reports]),
            "cpu": stats([cpu_at[0]] + cpu), "cpu_ticks": stats([ticks_at[0]] + ticks),
            "cpu_main_thread": stats([main_at[0]] + main),
            "process_wall": total, "scores": sorted(k for k in reports[-1] if not k.startswith("topic_mass:"))}


def run_job(args) -> dict:
    from engine.jobs.registry import JobRegistry
    from engine.store.workspace import Workspace

    ws = Workspace(WS)
    corpus = ws.load_corpus(NAME)
    reg = JobRegistry()
    job_id = reg.start(ws, corpus, config(args), name="bench-user-path")
    job = reg.get(job_id)
    cpu_at, seen = [], 0  # process CPU (all threads) when each pass is published
    while True:  # a bench waits for the job on its condition; the app polls the same snapshot
        snap = job.wait_for(lambda s: s.iteration != seen or s.done)
        if snap.iteration != seen:
            cpu_at.append(time.process_time())
            seen = snap.iteration
        if snap.done:
            break
    timeline = list(job._timeline)  # (iteration, version, started, ended) per pass
    starts = [t0 for _, _, t0, _ in timeline]
    steps = [t1 - t0 for _, _, t0, t1 in timeline]
    cycles = [b - a for a, b in zip(starts, starts[1:])]
    cpu = [b - a for a, b in zip(cpu_at, cpu_at[1:])]
    return {**stats([steps[0]] + cycles), "step_seconds": stats(steps), "cpu": stats([0.0] + cpu),
            "status": job.snapshot().status}


def bigartm_offline(args, inner: int, target: Path, uci: Path, collection: str) -> dict:
    """BigARTM 0.9.2 ``fit_offline`` one pass at a time (``args.passes``, T = ``args.topics``,
    ``args.threads`` processors, ``inner`` document passes, PerplexityScore): wall and process-CPU seconds per pass."""
    import numpy as np  # noqa: F401 - BigARTM's wrapper needs numpy loaded first
    sys.path.insert(0, str(HERE))
    import run_bigartm as rb  # noqa: E402 - glog into bench/data/logs

    artm = rb._artm()
    bv, dictionary = bigartm_batches(artm, target, uci, collection)
    model = artm.ARTM(num_topics=args.topics, num_processors=args.threads, num_document_passes=inner,
                      reuse_theta=True, cache_theta=False, show_progress_bars=False, seed=1)
    model.scores.add(artm.PerplexityScore(name="perplexity"))
    model.initialize(dictionary)
    secs, cpu = [], []
    for _ in range(args.passes):
        t0, c0 = time.perf_counter(), time.process_time()  # process CPU: BigARTM's native threads too
        model.fit_offline(bv, num_collection_passes=1)
        secs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = {**stats(secs), "cpu": stats(cpu), "perplexity_last": float(model.score_tracker["perplexity"].last_value)}
    model.dispose()
    return out


def run_bigartm(args) -> dict:
    return bigartm_offline(args, 1, DATA / "bigartm_batches", prepare_uci(), "20news")


RUNNERS = {"bare": run_bare, "cli": run_cli, "job": run_job, "bigartm": run_bigartm}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", nargs="+", default=["bare", "cli", "job", "bigartm"], choices=list(RUNNERS))
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--cli-extra", nargs="*", default=[], help="more flags for artm-studio train")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--engine-root", default=None, help="checkout whose engine is timed (default: this one)")
    args = ap.parse_args(argv)
    if not args.child:
        prepare_workspace()
    results = {}
    for name in args.systems:
        load0 = os.getloadavg()[0]
        if name == "bigartm" and not args.child:
            out = subprocess.run([str(VENV), __file__, "--child", "--systems", "bigartm", "--topics", str(args.topics),
                                  "--threads", str(args.threads), "--passes", str(args.passes)],
                                 check=True, capture_output=True, text=True).stdout
            res = json.loads(out.strip().splitlines()[-1])["bigartm"]
        else:
            res = RUNNERS[name](args)
        res["load"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
        results[name] = res
        if not args.child:
            cpu = f"  CPU median {res['cpu']['median']:.3f} s/pass" if "cpu" in res else ""
            if "cpu_main_thread" in res:
                cpu += f" (main thread {1000 * res['cpu_main_thread']['median']:.1f} ms)"
            print(f"{name:8s} median {res['median']:.3f} s/pass  min {res['min']:.3f}{cpu}  load {res['load']}",
                  file=sys.stderr, flush=True)
    if "bigartm" in results and not args.child:
        ref = results["bigartm"]["median"]
        for name, res in results.items():
            res["ratio_to_bigartm"] = res["median"] / ref
            if "cpu" in res and "cpu" in results["bigartm"]:
                res["cpu_ratio_to_bigartm"] = res["cpu"]["median"] / results["bigartm"]["cpu"]["median"]
                print(f"{name:8s} ÷ BigARTM: wall {res['ratio_to_bigartm']:.3f}  CPU {res['cpu_ratio_to_bigartm']:.3f} "
                      "(medians)", file=sys.stderr, flush=True)
    if "bare" in results and not args.child:
        for name, res in results.items():
            res["ratio_to_bare"] = res["median"] / results["bare"]["median"]
            if "cpu" in res:
                res["cpu_over_bare"] = res["cpu"]["median"] - results["bare"]["cpu"]["median"]
                print(f"{name:8s} wall/bare {res['ratio_to_bare']:.2f}  CPU over bare "
                      f"{1000 * res['cpu_over_bare']:+.1f} ms/pass (median)", file=sys.stderr, flush=True)
    return emit(results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
