"""Out-of-core scale: the synthetic LDA corpus of bench/scale.py trained from batches on disk.

The corpus (same generator and seed as bench/scale.py, so the same counts as its 10⁶ row; or, with
``--generator quick``, scale.py's numba generator for 10⁷ documents) is written as a batched corpus of
10⁴-document batch files under ``bench/data/synth/batches-D{docs}[-quick]`` (not timed; a corpus in the
earlier Parquet batch format is rewritten first). Each training run is a fresh subprocess: the Trainer
with family ``batched``, PLSA, 1 inner pass, 2 threads, perplexity every pass, Θ kept on disk
(``--theta disk``, reuse_theta) or not (``--theta none``). Prints seconds per pass (median of passes
2..P, min), CPU seconds per pass (process_time of the training process, the load-robust measure), peak
RSS (VmHWM of the training process, which reads the corpus itself: bench/peak.py) and the load average.

    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_scale_batches.py --docs 1000000 --topics 100 --passes 3
    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_scale_batches.py --docs 1000000 --passes 3 --in-memory
    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_scale_batches.py --docs 1000000 --profile
    PYTHONPATH=$PWD python bench/bench_scale_batches.py --docs 10000000 --generator quick --passes 1 --cli --memory-limit 2G

``--in-memory``: the same corpus loaded into RAM, standard family (reference). ``--profile``: CPU per
stage of a pass on one thread. ``--cli``: ``python -m engine train`` instead of the bare Trainer (job,
scores, checkpoint, run saved; the batch progress bar in a terminal). ``--memory-limit SIZE``: the
training process runs in a cgroup of its own (bench/memlimit.py) and its peak memory is reported.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import memlimit  # noqa: E402
import peak  # noqa: E402
import scale  # noqa: E402

from engine.cli.pass_progress import PassTicker  # noqa: E402
from engine.corpus.batch_writer import BatchWriter, upgrade_batches  # noqa: E402
from engine.corpus.batches import BATCH_FORMAT, BatchedCorpus, batch_format  # noqa: E402


def batches_path(D: int, generator: str = "lda") -> Path:
    return scale.SYNTH / (f"batches-D{D}" if generator == "lda" else f"batches-D{D}-{generator}")


def prepare(D: int, batch_docs: int = 10_000, generator: str = "lda") -> Path:
    """Write the synthetic corpus of ``D`` documents as batches (skipped when present; a corpus
    in the earlier Parquet batch format is rewritten in the current one first)."""
    target = batches_path(D, generator)
    if target.exists():
        if batch_format(BatchedCorpus(target).manifest) != BATCH_FORMAT:
            t0 = time.perf_counter()
            upgrade_batches(target)
            print(f"batches of {target} rewritten as {BATCH_FORMAT} in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr, flush=True)
        return target
    t0 = time.perf_counter()
    writer = BatchWriter(target, scale.W_SYNTH, batch_docs)
    d0 = 0
    blocks = scale.generate_blocks(D) if generator == "lda" else scale.generate_quick_blocks(D, block=batch_docs)
    for block in blocks:
        n = block.shape[0]
        writer.add(block, pd.DataFrame({"id": [str(i) for i in range(d0 + 1, d0 + n + 1)]}))
        d0 += n
        if d0 % 100_000 == 0 or d0 == D:
            print(f"  generated {d0:,} / {D:,} documents ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr, flush=True)
    vocab = pd.DataFrame({"token": scale.vocab(), "modality": "@default_class"})
    writer.finish(vocab, f"synth{D}")
    print(f"batches for D={D:,} written in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return target


class _TrainerProgress:
    """What :class:`engine.cli.pass_progress.PassTicker` reads from a job, for a bare Trainer."""

    def __init__(self, trainer):
        self.trainer = trainer

    def pass_progress(self):
        return getattr(self.trainer.estep, "progress", None)

    def snapshot(self):
        return SimpleNamespace(iteration=self.trainer.iteration)


def worker(D: int, T: int, passes: int, threads: int, theta: str, online: bool, generator: str = "lda",
           in_memory: bool = False, progress: bool = False) -> dict:
    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer
    from engine.families.batched.family import batched_config

    corpus = BatchedCorpus(batches_path(D, generator))
    cfg = ModelConfig(n_topics=T, iterations=passes, inner_passes=1, reuse_theta=theta == "disk",
                      threads=threads, seed=1)
    if in_memory:  # the same counts in RAM, the standard family (reference for CPU per pass)
        nnz, n_batches, corpus = corpus.nnz, corpus.n_batches, corpus.to_corpus()
        tr = Trainer(corpus, cfg)
    else:
        nnz, n_batches = corpus.nnz, corpus.n_batches
        tr = Trainer(corpus, batched_config(cfg, theta=theta, online={} if online else None))
    ticker = PassTicker(_TrainerProgress(tr), passes, force=True).start() if progress else None
    secs, cpu, perp, loads = [], [], [], []
    for p in range(passes):
        t0, c0 = time.perf_counter(), time.process_time()
        rep = tr.step()
        secs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        perp.append(float(rep.scores["perplexity"]))
        loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
        if ticker is not None:
            sys.stderr.write("\n")
        print(f"  pass {p + 1}: {secs[-1]:.2f} s, {cpu[-1]:.2f} CPU s, perplexity {perp[-1]:.1f}, "
              f"load {loads[-1]:.1f}", file=sys.stderr, flush=True)
    if ticker is not None:
        ticker.stop()
    tr.close()
    return {"nnz": nnz, "batches": n_batches, "seconds": secs, "cpu": cpu, "perplexity": perp,
            "load": loads, "peak_rss_mib": peak.own_peak_mib()}


def profile(D: int, T: int, generator: str = "lda", batches: int | None = None) -> dict:
    """CPU seconds per pass of each stage of a batched pass, run one after the other on one
    thread (Φ random, θ from 1/T, Θ read back and written as with ``--theta disk``): the
    batch file read (decompression → CSR arrays), the transposed structure, the two E-step
    kernels, the Θ rows read and written. Scaled to the whole pass when ``batches`` is less."""
    import tempfile

    from engine.em import _kernels as K
    from engine.em.estep import chunks
    from engine.families.batched import pipeline
    from engine.families.batched._kernels import nwt_add

    corpus = BatchedCorpus(batches_path(D, generator))
    W, n = corpus.n_tokens, min(batches or corpus.n_batches, corpus.n_batches)
    rng = np.random.default_rng(0)
    phi = rng.random((W, T), dtype=np.float32)
    phi /= phi.sum(axis=0)
    tw, tm = np.ones(W, np.float32), np.zeros(W, np.int32)
    add, mult, ad = np.zeros(T, np.float32), np.ones(T, np.float32), np.zeros((0, T), np.float32)
    n_wt = np.zeros((W, T), np.float32)
    cpu = dict.fromkeys(("read", "transpose", "estep_docs", "estep_tokens", "theta_io"), 0.0)
    with tempfile.TemporaryFile() as th_file:
        for b in range(-1, n):  # batch -1 = batch 0 once more, not counted (numba cache loading)
            t = time.process_time()
            batch = corpus.read(max(b, 0))
            t1 = time.process_time()
            sb = pipeline.prepare(batch, W)
            t2 = time.process_time()
            (d0, d1), = chunks(sb.indptr, 1)
            theta = np.empty((sb.n_docs, T), np.float32)
            ratio = np.empty(len(sb.indices), np.float32)
            logs = np.zeros((3, 1))
            K.estep_chunk(d0, d1, sb.indptr, sb.indices, sb.data, tw, tm, phi, theta, theta, True, 1, add,
                          mult, ad, ratio, logs[0], logs[1], logs[2])
            t3 = time.process_time()
            colptr, rows, pos = sb.csc
            nwt_add(0, W, colptr, rows, pos, ratio, theta, phi, n_wt)
            t4 = time.process_time()
            th_file.seek(sb.doc0 * T * 4)
            th_file.write(theta.tobytes())
            th_file.seek(sb.doc0 * T * 4)
            np.fromfile(th_file, np.float32, theta.size)
            t5 = time.process_time()
            if b >= 0:
                for k, v in zip(cpu, (t1 - t, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                    cpu[k] += v
    scale_to = corpus.n_batches / n
    return {k: v * scale_to for k, v in cpu.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--theta", choices=("disk", "none"), default="disk")
    ap.add_argument("--online", action="store_true", help="online EM (BigARTM defaults)")
    ap.add_argument("--generator", choices=("lda", "quick"), default="lda",
                    help="lda: §3's generator (exact counts of its rows); quick: the numba one for 10⁷")
    ap.add_argument("--in-memory", action="store_true", dest="in_memory",
                    help="train the same corpus loaded into RAM with the standard family (reference)")
    ap.add_argument("--memory-limit", default=None, dest="memory_limit", metavar="SIZE",
                    help="run the training process in a cgroup of its own with this limit (e.g. 2G; bench/memlimit.py)")
    ap.add_argument("--cli", action="store_true",
                    help="train with `python -m engine train` (the user's path: job, scores, checkpoints, run "
                         "saved, the batch progress bar) instead of the bare Trainer")
    ap.add_argument("--progress", action="store_true", help="the bare trainer draws the batch progress bar")
    ap.add_argument("--profile", action="store_true", help="CPU seconds per pass of each stage, one thread")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile:
        prepare(args.docs, generator=args.generator)
        cpu = profile(args.docs, args.topics, args.generator)
        print(" | ".join(f"{k} {v:.2f}" for k, v in cpu.items()) + f" | total {sum(cpu.values()):.2f} CPU s/pass")
        return 0
    if args.worker:
        print(json.dumps(worker(args.docs, args.topics, args.passes, args.threads, args.theta, args.online,
                                args.generator, args.in_memory, args.progress)))
        return 0
    prepare(args.docs, generator=args.generator)
    load = Path("/proc/loadavg").read_text().split()[:3]
    if args.cli:
        return run_cli(args, load)
    cmd = [sys.executable, __file__, "--worker", "--docs", str(args.docs), "--topics", str(args.topics),
           "--passes", str(args.passes), "--threads", str(args.threads), "--theta", args.theta,
           "--generator", args.generator] + (["--in-memory"] if args.in_memory else []) \
        + (["--online"] if args.online else []) + (["--progress"] if args.progress else [])
    if args.memory_limit:
        lim = memlimit.run_limited(cmd, memlimit.parse_size(args.memory_limit), stdout=subprocess.PIPE, text=True)
        print(_limit_line(lim))
        if lim["returncode"]:
            return lim["returncode"]
        stdout = lim["stdout"]
    else:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        if out.returncode:
            return out.returncode
        stdout = out.stdout
    r = json.loads(stdout.strip().splitlines()[-1])
    s = r["seconds"][1:] or r["seconds"]
    c = r["cpu"][1:] or r["cpu"]
    print("| system | documents | T | nnz | s/pass (median / min) | CPU s/pass (median) | ns per nnz·T | "
          "peak RSS (MiB) | load |\n|---|---|---|---|---|---|---|---|---|")
    what = "engine in memory" if args.in_memory else \
        f"engine batches (Θ {args.theta}{', online' if args.online else ''})"
    print(f"| {what} | {args.docs:,} | "
          f"{args.topics} | {r['nnz']:,} | {statistics.median(s):.3f} / {min(s):.3f} | {statistics.median(c):.2f} | "
          f"{statistics.median(s) / (r['nnz'] * args.topics) * 1e9:.2f} | {r['peak_rss_mib']:,.0f} | "
          f"{min(r['load']):.1f}–{max(r['load']):.1f} |")
    print(f"load before: {' '.join(load)}; after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
          f"perplexity {np.round(r['perplexity'], 1).tolist()}")
    return 0


def _limit_line(lim: dict) -> str:
    mib = 1 << 20
    return (f"memory limit {lim['limit'] / mib:,.0f} MiB (cgroup {lim['cgroup']}): exit {lim['returncode']}, "
            f"wall {lim['wall_s']:.1f} s, peak RSS {lim['peak_rss'] / mib:,.0f} MiB (anon "
            f"{lim['peak_rss_anon'] / mib:,.0f}, file {lim['peak_rss_file'] / mib:,.0f}), cgroup peak incl. page "
            f"cache {lim['cgroup_peak'] / mib:,.0f} MiB, OOM kills {lim['oom_kills']}")


def run_cli(args, load) -> int:
    """``python -m engine train`` on the synthetic batched corpus (linked into a workspace under
    bench/data), optionally under ``--memory-limit``; prints its output, wall, CPU and memory."""
    corpus = BatchedCorpus(batches_path(args.docs, args.generator))
    ws = scale.SYNTH.parent / "ws-scale"
    link = ws / "corpora" / corpus.manifest["name"]
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(corpus.path.resolve())
    cmd = [sys.executable, "-m", "engine", "train", "--workspace", str(ws), "--corpus", link.name,
           "--topics", str(args.topics), "--iterations", str(args.passes), "--threads", str(args.threads),
           "--theta", args.theta, "--name", f"bench-D{args.docs}"]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if args.memory_limit:
        lim = memlimit.run_limited(cmd, memlimit.parse_size(args.memory_limit), env=env)
        rc, wall, line = lim["returncode"], lim["wall_s"], _limit_line(lim)
    else:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)
        with peak.ChildPeak(proc.pid) as child:
            rc = proc.wait()
        wall, line = time.perf_counter() - t0, f"peak RSS of the train process {child.mib:,.0f} MiB (VmHWM)"
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
    print(f"cli train D={args.docs:,} T={args.topics} nnz={corpus.nnz:,} passes={args.passes}: exit {rc}, "
          f"wall {wall:.1f} s, CPU {cpu:.1f} s (whole process: import, passes, checkpoint, run save), "
          f"ru_maxrss {c1.ru_maxrss / 1024:,.0f} MiB (includes this driver's own peak: see bench/peak.py)")
    if line:
        print(line)
    print(f"load before: {' '.join(load)}; after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
