"""Out-of-core scale: the synthetic LDA corpus of bench/scale.py trained from batches on disk.

The corpus (same generator and seed as bench/scale.py, so the same counts as its 10⁶ row) is
written block by block as a batched corpus of 10⁴-document Parquet batches under
``bench/data/synth/batches-D{docs}`` (not timed; the generator process is not measured). Each
training run is a fresh subprocess: :class:`engine.em.batched.BatchedTrainer`, PLSA, 1 inner
pass, 2 threads, perplexity every pass, Θ kept on disk (``--theta disk``, reuse_theta) or not
(``--theta none``). Prints seconds per pass (median of passes 2..P, min) and peak RSS
(ru_maxrss of the training process, which reads the corpus itself).

    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_scale_batches.py --docs 1000000 --topics 100 --passes 3
    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_scale_batches.py --docs 1000000 --topics 100 --passes 3 --theta none

Under a memory limit (the whole process tree): prefix with ``prlimit --as=BYTES`` or run in
``systemd-run --scope -p MemoryMax=2G``.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import scale  # noqa: E402

from engine.corpus.batches import BatchedCorpus, BatchWriter  # noqa: E402


def batches_path(D: int) -> Path:
    return scale.SYNTH / f"batches-D{D}"


def prepare(D: int, batch_docs: int = 10_000) -> Path:
    """Write the synthetic corpus of ``D`` documents as batches (skipped when present)."""
    target = batches_path(D)
    if target.exists():
        return target
    t0 = time.perf_counter()
    writer = BatchWriter(target, scale.W_SYNTH, batch_docs)
    d0 = 0
    for block in scale.generate_blocks(D):
        n = block.shape[0]
        writer.add(block, pd.DataFrame({"id": [str(i) for i in range(d0 + 1, d0 + n + 1)]}))
        d0 += n
        print(f"  generated {d0:,} / {D:,} documents", file=sys.stderr, flush=True)
    vocab = pd.DataFrame({"token": scale.vocab(), "modality": "@default_class"})
    writer.finish(vocab, f"synth{D}")
    print(f"batches for D={D:,} written in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return target


def worker(D: int, T: int, passes: int, threads: int, theta: str, online: bool) -> dict:
    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer
    from engine.families.batched.family import batched_config

    corpus = BatchedCorpus(batches_path(D))
    cfg = ModelConfig(n_topics=T, iterations=passes, inner_passes=1, reuse_theta=theta == "disk",
                      threads=threads, seed=1)
    tr = Trainer(corpus, batched_config(cfg, theta=theta, online={} if online else None))
    secs, perp = [], []
    for p in range(passes):
        t0 = time.perf_counter()
        rep = tr.step()
        secs.append(time.perf_counter() - t0)
        perp.append(float(rep.scores["perplexity"]))
        print(f"  pass {p + 1}: {secs[-1]:.2f} s, perplexity {perp[-1]:.1f}", file=sys.stderr, flush=True)
    tr.close()
    return {"nnz": corpus.nnz, "batches": corpus.n_batches, "seconds": secs, "perplexity": perp,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--theta", choices=("disk", "none"), default="disk")
    ap.add_argument("--online", action="store_true", help="online EM (BigARTM defaults)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.docs, args.topics, args.passes, args.threads, args.theta, args.online)))
        return 0
    prepare(args.docs)
    load = Path("/proc/loadavg").read_text().split()[:3]
    cmd = [sys.executable, __file__, "--worker", "--docs", str(args.docs), "--topics", str(args.topics),
           "--passes", str(args.passes), "--threads", str(args.threads), "--theta", args.theta]
    out = subprocess.run(cmd + (["--online"] if args.online else []), capture_output=True, text=True)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    r = json.loads(out.stdout.strip().splitlines()[-1])
    s = r["seconds"][1:] or r["seconds"]
    print(f"| engine batches (Θ {args.theta}{', online' if args.online else ''}) | {args.docs:,} | "
          f"{args.topics} | {r['nnz']:,} | {statistics.median(s):.3f} / {min(s):.3f} | "
          f"{statistics.median(s) / (r['nnz'] * args.topics) * 1e9:.2f} | {r['peak_rss_mib']:,.0f} |")
    print(f"load before: {' '.join(load)}; after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
          f"perplexity {np.round(r['perplexity'], 1).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
