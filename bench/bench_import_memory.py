"""Peak memory (RSS) of `artm-studio import` per input format (issue 16: bounded memory).

Each case runs `python -m engine import ...` as a fresh child process into a fresh workspace and
reads the child's own peak RSS (VmHWM polled while it runs, bench/peak.py), its wall time and exit code. Cases:
20 Newsgroups as JSON Lines (gzip), UCI bag of words (gzip) and Vowpal Wabbit (gzip); synthetic
inputs of about 200 MB (JSON Lines, CSV, a folder zipped, one 200 MB line, a gzip bomb) written
to ``--tmp`` from a Zipf vocabulary; `/dev/zero`; a JSON Lines file of ``--docs`` (10⁶) short
documents imported in one piece and with ``--batches`` (issue 14); a UCI ``docword`` of ``--docs``
(10⁶) documents (~30 nonzeros each over a 50,000-word Zipf vocabulary), ordinary and ``--batches``.
Each row records the load average (1 min) before and after the case: the machine is shared, wall
times depend on it. ``--engine DIR`` imports the engine from another checkout (e.g. an extracted
older commit, for before/after rows).

    PYTHONPATH=$PWD python bench/bench_import_memory.py [--tmp /tmp/artm-import-mem] [--mb 200]
    PYTHONPATH=$PWD python bench/bench_import_memory.py --only "20NG jsonl.gz" "synthetic 200 MB jsonl"
    PYTHONPATH=$PWD python bench/bench_import_memory.py --only "10^6 docs jsonl" "10^6 docs jsonl --batches"
    PYTHONPATH=$PWD python bench/bench_import_memory.py --only "10^6 docs UCI" "10^6 docs UCI --batches"

Prints one JSON object per case and a Markdown table at the end.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peak  # noqa: E402 - the child's own peak RSS

CORPORA = Path(os.environ.get("ARTM_CORPORA", "/work/shared/corpora"))


def words(n_vocab: int = 50_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i:05d}" for i in range(n_vocab)])
    p = 1.0 / np.arange(1, n_vocab + 1) ** 1.05
    return rng, vocab, p / p.sum()


def synth_docs(mb: int, doc_words: int = 300):
    """Documents of ``doc_words`` Zipf words until about ``mb`` MiB of text."""
    rng, vocab, p = words()
    total = 0
    i = 0
    while total < mb << 20:
        text = " ".join(vocab[rng.choice(len(vocab), doc_words, p=p)])
        total += len(text) + 30
        yield f"doc{i}", text
        i += 1


def make_jsonl(d: Path, mb: int) -> Path:
    p = d / f"synth{mb}.jsonl"
    if p.exists():  # deterministic content (fixed seed): reuse
        return p
    with open(p, "w", encoding="utf-8") as fh:
        for i, t in synth_docs(mb):
            fh.write(json.dumps({"id": i, "text": t}) + "\n")
    return p


def make_many_docs(d: Path, n_docs: int, doc_words: int = 40) -> Path:
    """``n_docs`` JSON Lines documents of ``doc_words`` Zipf words each (drawn in blocks)."""
    p = d / f"docs{n_docs}.jsonl"
    if p.exists():
        return p
    rng, vocab, prob = words()
    with open(p, "w", encoding="utf-8") as fh:
        for lo in range(0, n_docs, 100_000):
            n = min(100_000, n_docs - lo)
            ids = rng.choice(len(vocab), (n, doc_words), p=prob)
            for i in range(n):
                fh.write(json.dumps({"id": f"doc{lo + i}", "text": " ".join(vocab[ids[i]])}) + "\n")
    return p


def make_uci(d: Path, n_docs: int, mean_nnz: int = 30, n_vocab: int = 50_000) -> Path:
    """UCI ``docword.docsN.txt`` + ``vocab.docsN.txt``: ``n_docs`` documents (sorted, as UCI files
    are) of 1 + Poisson(``mean_nnz`` − 1) Zipf word ids with counts 1-5, written in blocks."""
    p = d / f"docword.docs{n_docs}.txt"
    if p.exists():
        return p
    rng, vocab, prob = words(n_vocab, seed=3)
    (d / f"vocab.docs{n_docs}.txt").write_text("".join(w + "\n" for w in vocab))
    k = 1 + rng.poisson(mean_nnz - 1, n_docs)
    with open(p, "wb") as fh:
        fh.write(f"{n_docs}\n{n_vocab}\n{int(k.sum())}\n".encode())
        opts = pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none")
        for lo in range(0, n_docs, 100_000):
            kk = k[lo:lo + 100_000]
            doc = np.repeat(np.arange(lo + 1, lo + len(kk) + 1), kk)
            word = rng.choice(n_vocab, len(doc), p=prob) + 1
            count = rng.integers(1, 6, len(doc))
            pacsv.write_csv(pa.table({"d": doc, "w": word, "c": count}), fh, write_options=opts)
    return p


def make_csv(d: Path, mb: int) -> Path:
    p = d / f"synth{mb}.csv"
    if p.exists():  # deterministic content (fixed seed): reuse
        return p
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("id,text\n")
        for i, t in synth_docs(mb):
            fh.write(f"{i},{t}\n")
    return p


def make_zip(d: Path, mb: int) -> Path:
    p = d / f"synth{mb}.zip"
    if p.exists():  # deterministic content (fixed seed): reuse
        return p
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, t in synth_docs(mb, doc_words=2000):
            zf.writestr(f"{i}.txt", t)
    return p


def make_one_line(d: Path, mb: int) -> Path:
    p = d / f"oneline{mb}.txt"
    if p.exists():  # deterministic content (fixed seed): reuse
        return p
    chunk = b"word " * (1 << 18)
    with open(p, "wb") as fh:
        for _ in range((mb << 20) // len(chunk)):
            fh.write(chunk)
    return p


def make_gzip_bomb(d: Path, mb: int) -> Path:
    p = d / f"bomb{mb}x.jsonl.gz"
    if p.exists():  # deterministic content (fixed seed): reuse
        return p
    member = gzip.compress(b"a " * (8 << 20), compresslevel=9)  # 16 MiB of "a a a"
    with open(p, "wb") as fh:
        fh.write(gzip.compress(b'{"id": "x", "text": "'))
        for _ in range(mb // 16):
            fh.write(member)
        fh.write(gzip.compress(b'"}\n'))
    return p


def measured(argv: list[str], ws: Path, engine: Path | None = None) -> dict:
    """Run ``python -m engine ARGV --workspace WS``; exit code, wall time, the child's own peak RSS
    (VmHWM polled while it runs: ``ru_maxrss`` from ``os.wait4`` would include this driver's, bench/peak.py)."""
    env = dict(os.environ)
    root = engine or Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    t0 = time.perf_counter()
    with open(ws.parent / "stderr.txt", "wb") as errf, open(os.devnull, "wb") as outf:
        proc = subprocess.Popen([sys.executable, "-m", "engine", *argv, "--workspace", str(ws)],
                                stdout=outf, stderr=errf, env=env, cwd=root)  # `-m` puts the cwd first
        with peak.ChildPeak(proc.pid) as child:
            _, status, usage = os.wait4(proc.pid, 0)
    err = (ws.parent / "stderr.txt").read_text(errors="replace").strip().splitlines()
    return {"code": os.waitstatus_to_exitcode(status), "seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_mib": round(child.mib, 1), "message": err[-1][:160] if err else ""}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tmp", default="/tmp/artm-import-mem")
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--docs", type=int, default=1_000_000, help="documents of the many-documents case")
    ap.add_argument("--only", nargs="*", help="case names to run")
    ap.add_argument("--engine", type=Path, help="checkout whose engine/ the children import (default: this one)")
    a = ap.parse_args()
    tmp = Path(a.tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    ng = CORPORA / "20newsgroups"
    cases = [
        ("20NG jsonl.gz", lambda: ng / "20newsgroups_bydate.jsonl.gz", []),
        ("20NG UCI docword.gz", lambda: ng / "bow" / "docword.20news.txt.gz", []),
        ("20NG VW gz", lambda: ng / "bow" / "vw.20news.txt.gz", []),
        (f"synthetic {a.mb} MB jsonl", lambda: make_jsonl(tmp, a.mb), []),
        (f"synthetic {a.mb} MB csv", lambda: make_csv(tmp, a.mb), []),
        (f"synthetic {a.mb} MB zip of .txt", lambda: make_zip(tmp, a.mb), []),
        (f"one {a.mb} MB line (.txt)", lambda: make_one_line(tmp, a.mb), []),
        ("gzip bomb 1 GiB expanded", lambda: make_gzip_bomb(tmp, 1024), []),
        ("/dev/zero", lambda: Path("/dev/zero"), []),
        ("10^6 docs jsonl", lambda: make_many_docs(tmp, a.docs), []),
        ("10^6 docs jsonl --batches", lambda: make_many_docs(tmp, a.docs), ["--batches"]),
        ("10^6 docs UCI", lambda: make_uci(tmp, a.docs), []),
        ("10^6 docs UCI --batches", lambda: make_uci(tmp, a.docs), ["--batches"]),
    ]
    rows = []
    for name, build, extra in cases:
        if a.only and name not in a.only:
            continue
        path = build()
        ws = tmp / "ws"
        shutil.rmtree(ws, ignore_errors=True)
        size = path.stat().st_size if path.is_file() and not path.is_char_device() else 0
        load0 = os.getloadavg()[0]
        r = {"case": name, "input_mib": round(size / 2 ** 20, 1),
             **measured(["import", str(path), "--name", "bench", *extra], ws, a.engine),
             "load": f"{load0:.1f}–{os.getloadavg()[0]:.1f}"}
        print(json.dumps(r), flush=True)
        rows.append(r)
    print("\n| input | size on disk (MiB) | exit | peak RSS (MiB) | wall (s) | load (1 min) | message |\n"
          "|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['input_mib']} | {r['code']} | {r['peak_rss_mib']} | {r['seconds']} | "
              f"{r['load']} | {r['message'] if r['code'] else ''} |")
    shutil.rmtree(tmp / "ws", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
