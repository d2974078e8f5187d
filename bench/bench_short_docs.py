"""Short documents: the bare trainer vs BigARTM where per-document fixed costs dominate (issue 14).

Corpus: the Russian Telegram news posts' UCI bag of words from /work/shared/corpora/telegram_news_ru/bow
(22,099 posts, W = 37,116, 661,938 nonzeros: ~30 nonzeros per document, the issue's "25k documents
of ~31 nonzeros"), imported with ``artm-studio import`` as a user would; BigARTM reads the same
UCI files (uncompressed copies, 1,000-document batches).

For each number of inner passes (``--inner``, default 1 and 10): T = 100, 2 threads, ``--passes``
offline passes (default 10), seed 1, ``reuse_theta`` on (BigARTM with ``cache_theta=False`` as in
bench/run_bigartm.py), no scores but perplexity; median and
min of the wall seconds per pass over passes 2..N, and the ratio engine/BigARTM of the medians.
The engine's E-step CPU seconds per pass are reported too (``time.process_time``, all threads).

    python bench/bench_short_docs.py                  # engine + BigARTM (bench venv), inner 1 and 10
    python bench/bench_short_docs.py --systems bare   # engine only
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
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

BOW = Path("/work/shared/corpora/telegram_news_ru/bow")
DATA = HERE / "data" / "short_docs"
WS = DATA / "ws"
UCI = DATA / "uci"
NAME = "telegram"
VENV = next((p for p in (HERE / ".venv" / "bin" / "python", Path("/work/main/bench/.venv/bin/python")) if p.exists()),
            HERE / ".venv" / "bin" / "python")  # a worktree uses main's bench venv


def stats(seconds: list[float]) -> dict:
    tail = seconds[1:] if len(seconds) > 1 else seconds
    return {"median": statistics.median(tail), "min": min(tail), "passes": [round(s, 4) for s in seconds]}


def prepare_workspace() -> None:
    if (WS / "corpora" / NAME).exists():
        return
    WS.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "engine", "import", "--workspace", str(WS), "--name", NAME,
                    str(BOW / "docword.telegram_ru.txt.gz")], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def prepare_uci() -> Path:
    UCI.mkdir(parents=True, exist_ok=True)
    doc = UCI / "docword.telegram_ru.txt"
    if not doc.exists():
        with gzip.open(BOW / "docword.telegram_ru.txt.gz", "rb") as src, open(doc, "wb") as dst:
            shutil.copyfileobj(src, dst)
        shutil.copy(BOW / "vocab.telegram_ru.txt", UCI / "vocab.telegram_ru.txt")
    return UCI


def run_bare(args, inner: int) -> dict:
    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer
    from engine.store.workspace import Workspace

    corpus = Workspace(WS).load_corpus(NAME)
    cfg = ModelConfig(n_topics=args.topics, iterations=args.passes, threads=args.threads, seed=1,
                      inner_passes=inner, reuse_theta=True)
    tr = Trainer(corpus, cfg)
    secs, cpu = [], []
    for _ in range(args.passes):
        t0, c0 = time.perf_counter(), time.process_time()
        tr.step()
        secs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = {**stats(secs), "cpu": stats(cpu), "perplexity_last": tr.last_report.scores["perplexity"],
           "D": corpus.n_docs, "W": corpus.n_tokens, "nnz": int(corpus.n_dw.nnz)}
    tr.close()
    return out


def run_bigartm(args, inner: int) -> dict:
    import numpy as np  # noqa: F401 - BigARTM's wrapper needs numpy loaded first
    sys.path.insert(0, str(HERE))
    import run_bigartm as rb  # noqa: E402 - glog into bench/data/logs

    artm = rb._artm()
    target = DATA / "bigartm_batches"
    if target.exists() and any(target.glob("*.batch")):
        bv = artm.BatchVectorizer(data_path=str(target), data_format="batches")
        dictionary = artm.Dictionary()  # a batches folder has none: gather it
        dictionary.gather(data_path=str(target))
    else:
        bv = artm.BatchVectorizer(data_path=str(prepare_uci()), data_format="bow_uci",
                                  collection_name="telegram_ru", target_folder=str(target), batch_size=1000)
        dictionary = bv.dictionary
    model = artm.ARTM(num_topics=args.topics, num_processors=args.threads, num_document_passes=inner,
                      reuse_theta=True, cache_theta=False, show_progress_bars=False, seed=1)
    model.scores.add(artm.PerplexityScore(name="perplexity"))
    model.initialize(dictionary)
    secs = []
    for _ in range(args.passes):
        t0 = time.perf_counter()
        model.fit_offline(bv, num_collection_passes=1)
        secs.append(time.perf_counter() - t0)
    out = {**stats(secs), "perplexity_last": float(model.score_tracker["perplexity"].last_value)}
    model.dispose()
    return out


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
    prepare_workspace()
    results: dict = {}
    for inner in args.inner:
        row = results.setdefault(f"inner={inner}", {})
        for name in args.systems:
            load0 = os.getloadavg()[0]
            if name == "bigartm":
                out = subprocess.run([str(VENV), __file__, "--child", "--inner", str(inner), "--topics",
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
            print(f"inner {inner:2d} bare/BigARTM {row['ratio']:.3f} (medians), {row['ratio_min']:.3f} (mins)",
                  file=sys.stderr, flush=True)
    print(json.dumps(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
