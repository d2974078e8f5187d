"""Short documents: the bare trainer vs BigARTM where per-document fixed costs dominate (issue 14).

Corpus: the Russian Telegram news posts' UCI bag of words from /work/shared/corpora/telegram_news_ru/bow
(22,099 posts, W = 37,116, 661,938 nonzeros: ~30 nonzeros per document, the issue's "25k documents
of ~31 nonzeros"), imported with ``artm-studio import`` as a user would; BigARTM reads the same
UCI files (uncompressed copies, 1,000-document batches).

For each number of inner passes (``--inner``, default 1 and 10): T = 100, 2 threads, ``--passes``
offline passes (default 10), seed 1, ``reuse_theta`` on (BigARTM with ``cache_theta=False`` as in
bench/run_bigartm.py), no scores but perplexity; median and
min of the wall seconds per pass over passes 2..N, and the ratio engine/BigARTM of the medians.
CPU seconds per pass too (``time.process_time`` of each process, all its threads — BigARTM's native
processors included), and the ratio of the CPU medians: robust to other processes' load.

    python bench/bench_short_docs.py                  # engine + BigARTM (bench venv), inner 1 and 10
    python bench/bench_short_docs.py --systems bare   # engine only
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
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
import bench_user_path as up  # noqa: E402 - import, UCI copies, BigARTM batches, stats, output

BOW = Path("/work/shared/corpora/telegram_news_ru/bow")
DATA = HERE / "data" / "short_docs"
WS = DATA / "ws"
NAME = "telegram"
stats = up.stats


def run_bare(args, inner: int) -> dict:
    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer
    from engine.store.workspace import Workspace

    corpus = Workspace(WS).load_corpus(NAME)
    cfg = ModelConfig(n_topics=args.topics, iterations=args.passes, threads=args.threads, seed=1,
                      inner_passes=inner, reuse_theta=True)
    return up.bare_passes(Trainer(corpus, cfg), args.passes)


def run_bigartm(args, inner: int) -> dict:
    return up.bigartm_offline(args, inner, DATA / "bigartm_batches",
                              up.prepare_uci(DATA / "uci", BOW, "telegram_ru"), "telegram_ru")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", nargs="+", default=["bare", "bigartm"], choices=["bare", "bigartm"])
    ap.add_argument("--inner", nargs="+", type=int, default=[1, 10])
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--passes", type=int, default=10)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    if args.child:  # BigARTM in the bench venv
        print(json.dumps({str(i): run_bigartm(args, i) for i in args.inner}))
        return 0
    up.prepare_workspace(WS, NAME, BOW / "docword.telegram_ru.txt.gz")
    results: dict = {}
    for inner in args.inner:
        row = results.setdefault(f"inner={inner}", {})
        for name in args.systems:
            load0 = os.getloadavg()[0]
            if name == "bigartm":
                out = subprocess.run([str(up.VENV), __file__, "--child", "--inner", str(inner), "--topics",
                                      str(args.topics), "--threads", str(args.threads), "--passes", str(args.passes)],
                                     check=True, capture_output=True, text=True).stdout
                res = json.loads(out.strip().splitlines()[-1])[str(inner)]
            else:
                res = run_bare(args, inner)
            res["load"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
            row[name] = res
            print(f"inner {inner:2d} {name:8s} median {res['median']:.3f} s/pass  min {res['min']:.3f}  "
                  f"perplexity {res['perplexity_last']:.1f}  load {res['load']}", file=sys.stderr, flush=True)
        if "bare" in row and "bigartm" in row:
            row["ratio"] = row["bare"]["median"] / row["bigartm"]["median"]
            row["ratio_min"] = row["bare"]["min"] / row["bigartm"]["min"]
            row["cpu_ratio"] = row["bare"]["cpu"]["median"] / row["bigartm"]["cpu"]["median"]
            print(f"inner {inner:2d} bare/BigARTM {row['ratio']:.3f} (medians), {row['ratio_min']:.3f} (mins); "
                  f"CPU s/pass {row['bare']['cpu']['median']:.3f} / {row['bigartm']['cpu']['median']:.3f} = "
                  f"{row['cpu_ratio']:.3f}", file=sys.stderr, flush=True)
    return up.emit(results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
