"""Scaling: synthetic LDA corpora of 10^4, 10^5, 10^6 documents (mean length 100, W = 100,000).

Generator (seeded): T_gen = 100 topics, φ_t ~ Dirichlet(0.05) over W words, θ_d ~ Dirichlet(0.1),
document length ~ Poisson(100) (≥ 1), each token: z ~ θ_d, w ~ φ_z.  Cached under
``bench/data/synth/D{docs}.npz`` (CSR, float32 counts).

Every measurement runs in a fresh subprocess, so ``peak RSS`` (ru_maxrss) is that system's own
peak while loading its input and training (the generator's memory is not counted):

* engine: PLSA, 1 inner pass, reuse Θ, 2 threads, perplexity every pass;
* BigARTM 0.9.2: the same configuration (2 processors), batches of 1000 docs prepared beforehand
  from UCI files (preparation not timed).

    bench/.venv/bin/python bench/scale.py --docs 10000 100000 --topics 20 100 --passes 5
    bench/.venv/bin/python bench/scale.py --docs 1000000 --topics 100 --passes 3 --systems engine
    bench/.venv/bin/python bench/scale.py --docs 1000000 --topics 100 --passes 3 --systems bigartm

For 10^6 documents the BigARTM batches are built from ten UCI files of 10^5 documents each,
converted two at a time (not timed; about ten minutes here).

Prints seconds per pass (median over passes 2..P), seconds / (nnz·T) and peak RSS.
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
import scipy.sparse as sp
from numba import njit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import data as bench_data  # noqa: E402

SYNTH = bench_data.DATA / "synth"
W_SYNTH = 100_000


def generate_blocks(D: int, W: int = W_SYNTH, T: int = 100, mean_len: int = 100, seed: int = 7,
                    block: int = 100_000):
    """LDA-generated counts, yielded as CSR blocks of ``block`` documents (bounded memory)."""
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.full(W, 0.05), size=T)          # (T, W)
    cdf = np.cumsum(phi, axis=1)
    cdf /= cdf[:, -1:]
    cdf_flat = (cdf + np.arange(T)[:, None]).ravel()          # row t lives in [t, t + 1]
    del phi, cdf
    for d0 in range(0, D, block):
        n = min(block, D - d0)
        theta = rng.dirichlet(np.full(T, 0.1), size=n)        # (n, T)
        lens = np.maximum(rng.poisson(mean_len, size=n), 1)
        doc = np.repeat(np.arange(n, dtype=np.int64), lens)
        tc = np.cumsum(theta, axis=1)
        tc /= tc[:, -1:]
        tc_flat = (tc + np.arange(n)[:, None]).ravel()        # row d lives in [d, d + 1]
        z = np.searchsorted(tc_flat, doc + rng.random(len(doc))) - doc * T
        z = np.clip(z, 0, T - 1)                               # topic of each token
        w = np.searchsorted(cdf_flat, z + rng.random(len(doc))) - z * W
        w = np.clip(w, 0, W - 1)                               # word of each token
        m = sp.csr_matrix((np.ones(len(doc), np.float32), (doc, w)), shape=(n, W))
        m.sum_duplicates()
        m.indices = m.indices.astype(np.int32)
        m.sort_indices()
        yield m


@njit(cache=True)
def _quick_block(seed, lens, table, alpha):
    """CSR (indptr, indices, data) of len(lens) documents: θ_d ~ Dirichlet(alpha) from gamma
    draws, each token z ~ θ_d (binary search over T), w = table[z, uniform] (a word drawn from
    φ_z beforehand), then the document's words sorted and counted."""
    np.random.seed(seed)
    n, (T, S) = len(lens), table.shape
    total = 0
    for d in range(n):
        total += lens[d]
    indptr = np.zeros(n + 1, np.int64)
    indices = np.empty(total, np.int32)
    data = np.empty(total, np.float32)
    cdf = np.empty(T)
    buf = np.empty(max(1, lens.max()), np.int32)
    pos = 0
    for d in range(n):
        s = 0.0
        for t in range(T):
            s += np.random.gamma(alpha, 1.0)
            cdf[t] = s
        L = lens[d]
        for i in range(L):
            u = np.random.random() * s
            lo, hi = 0, T - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if cdf[mid] < u:
                    lo = mid + 1
                else:
                    hi = mid
            buf[i] = table[lo, np.random.randint(0, S)]
        words = np.sort(buf[:L])
        for i in range(L):
            if i > 0 and words[i] == words[i - 1]:
                data[pos - 1] += 1.0
            else:
                indices[pos] = words[i]
                data[pos] = 1.0
                pos += 1
        indptr[d + 1] = pos
    return indptr, indices[:pos].copy(), data[:pos].copy()


def generate_quick_blocks(D: int, W: int = W_SYNTH, T: int = 100, mean_len: int = 60, seed: int = 11,
                          block: int = 10_000, table_size: int = 1 << 16):
    """A fast LDA-like generator for very large corpora (numba; ~10⁶ documents per minute):
    φ_t ~ Dirichlet(0.05) over W words quantized to ``table_size`` words drawn per topic,
    θ_d ~ Dirichlet(0.1), length ~ Poisson(mean_len) (≥ 1). Yields CSR blocks of ``block`` documents."""
    rng = np.random.default_rng(seed)
    table = np.empty((T, table_size), np.int32)
    for t in range(T):
        cdf = np.cumsum(rng.dirichlet(np.full(W, 0.05)))
        table[t] = np.minimum(np.searchsorted(cdf, rng.random(table_size) * cdf[-1]), W - 1)
    for k, d0 in enumerate(range(0, D, block)):
        n = min(block, D - d0)
        lens = np.maximum(rng.poisson(mean_len, size=n), 1).astype(np.int64)
        indptr, indices, data = _quick_block(seed * 1_000_003 + k, lens, table, 0.1)
        m = sp.csr_matrix((n, W), dtype=np.float32)
        m.data, m.indices, m.indptr = data, indices, indptr
        yield m


def generate(D: int, W: int = W_SYNTH, T: int = 100, mean_len: int = 100, seed: int = 7,
             block: int = 100_000) -> sp.csr_matrix:
    """LDA-generated counts (D, W), built in blocks of documents to bound memory."""
    out = sp.vstack(list(generate_blocks(D, W, T, mean_len, seed, block)), format="csr")
    out.indices = out.indices.astype(np.int32)
    out.sort_indices()
    return out


def corpus_path(D: int) -> Path:
    return SYNTH / f"D{D}.npz"


def load(D: int) -> sp.csr_matrix:
    p = corpus_path(D)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        m = generate(D)
        sp.save_npz(p, m, compressed=False)
        print(f"generated D={D:,}: nnz={m.nnz:,} tokens={int(m.sum()):,} in {time.perf_counter() - t0:.1f}s",
              flush=True)
    m = sp.load_npz(p).tocsr()
    m.indices = m.indices.astype(np.int32, copy=False)
    return m


def vocab(W: int = W_SYNTH) -> list[str]:
    return [f"w{i:06d}" for i in range(W)]


def prepare_bigartm(D: int) -> Path:
    """UCI files then BigARTM batches for corpus D (not timed; done once)."""
    folder = SYNTH / f"D{D}_bigartm"
    batches = folder / "batches"
    if batches.exists() and any(batches.glob("*.batch")):
        return batches
    m = load(D)
    if D > CHUNK:  # 10^6 documents: one UCI text would be ~1.5 GB of Python strings
        return _prepare_bigartm_chunked(m, folder, batches)
    bench_data.write_uci(m, vocab(), folder, f"synth{D}")
    import run_bigartm as rb

    artm = rb._artm()
    artm.BatchVectorizer(data_path=str(folder), data_format="bow_uci", collection_name=f"synth{D}",
                         target_folder=str(batches), batch_size=1000)
    (folder / f"docword.synth{D}.txt").unlink()
    return batches


#: documents per UCI file when a corpus is converted to batches in parts
CHUNK = 100_000
_M = None  # the corpus being converted (inherited by the forked converters)


def _convert_part(i: int) -> int:
    """UCI file of documents [i·CHUNK, (i+1)·CHUNK) → batches of 1000 in <folder>/part<i>/batches."""
    import shutil

    import run_bigartm as rb

    m, folder = _M
    part = folder / f"part{i:03d}"
    done = part / "batches"
    if (part / "DONE").exists():
        return i
    shutil.rmtree(part, ignore_errors=True)
    bench_data.write_uci(m[i * CHUNK:(i + 1) * CHUNK], vocab(m.shape[1]), part, "part")
    rb._artm().BatchVectorizer(data_path=str(part), data_format="bow_uci", collection_name="part",
                               target_folder=str(done), batch_size=1000, gather_dictionary=False)
    (part / "docword.part.txt").unlink()
    (part / "DONE").write_text("ok")
    return i


def _prepare_bigartm_chunked(m: sp.csr_matrix, folder: Path, batches: Path, workers: int = 2) -> Path:
    """Batches of a large corpus: CHUNK documents per UCI file, 2 converters in parallel, then
    all batches moved into one folder (file names prefixed by the part, so they never clash)."""
    import multiprocessing as mp

    global _M
    _M = (m, folder)
    n_parts = -(-m.shape[0] // CHUNK)
    folder.mkdir(parents=True, exist_ok=True)
    with mp.get_context("fork").Pool(workers) as pool:
        for i in pool.imap_unordered(_convert_part, range(n_parts)):
            print(f"  part {i + 1}/{n_parts} converted", flush=True)
    tmp = folder / "batches.tmp"
    tmp.mkdir(exist_ok=True)
    for i in range(n_parts):
        for f in sorted((folder / f"part{i:03d}" / "batches").glob("*.batch")):
            f.rename(tmp / f"p{i:03d}_{f.name}")
    tmp.rename(batches)
    return batches


def peak_rss_mib() -> float:
    """This process's own peak (VmHWM; ru_maxrss would include the driver's: bench/peak.py)."""
    import peak

    return peak.own_peak_mib()


def worker_engine(D: int, T: int, passes: int, threads: int) -> dict:
    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer

    m = load(D)
    corpus = bench_data.engine_corpus(m, vocab(m.shape[1]), name=f"synth{D}")
    del m
    rss_loaded = peak_rss_mib()
    cfg = ModelConfig(n_topics=T, iterations=passes, inner_passes=1, reuse_theta=True, threads=threads, seed=1)
    tr = Trainer(corpus, cfg)
    secs, perp = [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        rep = tr.step()
        secs.append(time.perf_counter() - t0)
        perp.append(float(rep.scores["perplexity"]))
    tr.close()
    return {"nnz": int(corpus.n_dw.nnz), "seconds": secs, "perplexity": perp, "peak_rss_mib": peak_rss_mib(),
            "peak_rss_after_load_mib": rss_loaded}


def worker_bigartm(D: int, T: int, passes: int, threads: int) -> dict:
    import run_bigartm as rb

    artm = rb._artm()
    batches = prepare_bigartm(D)
    bv = artm.BatchVectorizer(data_path=str(batches), data_format="batches", gather_dictionary=False)
    dictionary = artm.Dictionary()
    dictionary.gather(data_path=str(batches))
    model = artm.ARTM(num_topics=T, num_processors=threads, num_document_passes=1, reuse_theta=True,
                      cache_theta=False, show_progress_bars=False, seed=1)
    model.scores.add(artm.PerplexityScore(name="perplexity"))
    model.initialize(dictionary)
    secs = []
    for _ in range(passes):
        t0 = time.perf_counter()
        model.fit_offline(bv, num_collection_passes=1)
        secs.append(time.perf_counter() - t0)
    perp = [float(v) for v in model.score_tracker["perplexity"].value]
    rss = peak_rss_mib()  # before anything else is loaded
    nnz = None
    if corpus_path(D).exists():
        with np.load(corpus_path(D)) as z:  # only indptr is read
            nnz = int(z["indptr"][-1])
    return {"nnz": nnz, "seconds": secs, "perplexity": perp, "peak_rss_mib": rss}


def run_one(system: str, D: int, T: int, passes: int, threads: int, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", system, "--docs", str(D),
           "--topics", str(T), "--passes", str(passes), "--threads", str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(bench_data.DATA))
    line = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not line:
        raise RuntimeError(f"{system} D={D} T={T} failed: {p.stderr[-2000:]}")
    return json.loads(line[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--topics", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--systems", nargs="+", default=["engine", "bigartm"])
    ap.add_argument("--timeout", type=float, default=3000)
    ap.add_argument("--worker", choices=["engine", "bigartm"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    a = ap.parse_args(argv)
    if a.worker:
        fn = worker_engine if a.worker == "engine" else worker_bigartm
        print(json.dumps(fn(a.docs[0], a.topics[0], a.passes, a.threads)))
        return 0
    results = json.loads(a.out.read_text()) if a.out.exists() else []
    for D in a.docs:
        load(D)
        if "bigartm" in a.systems:
            t0 = time.perf_counter()
            prepare_bigartm(D)
            print(f"BigARTM batches for D={D:,} ready ({time.perf_counter() - t0:.0f}s)", flush=True)
        for T in a.topics:
            for system in a.systems:
                r = run_one(system, D, T, a.passes, a.threads, a.timeout)
                s = r["seconds"][1:] or r["seconds"]
                r.update(system=system, D=D, T=T, threads=a.threads, median=statistics.median(s), min=min(s))
                r["s_per_nnzT_ns"] = r["median"] / (r["nnz"] * T) * 1e9
                results = [x for x in results if (x["system"], x["D"], x["T"]) != (system, D, T)] + [r]
                print(f"{system:8s} D={D:>9,} T={T:4d} nnz={r['nnz']:>11,} {r['median']:8.3f} s/pass (min {r['min']:.3f})"
                      f"  {r['s_per_nnzT_ns']:.3f} ns per nnz·T  peak RSS {r['peak_rss_mib']:8.0f} MiB"
                      f"  perplexity {r['perplexity'][-1]:.1f}", flush=True)
                a.out.parent.mkdir(parents=True, exist_ok=True)
                a.out.write_text(json.dumps(results, indent=1))
    print("\n| system | D | T | nnz | s/pass (median / min) | ns per nnz·T | peak RSS MiB |\n|---|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda x: (x["system"], x["D"], x["T"])):
        print(f"| {r['system']} | {r['D']:,} | {r['T']} | {r['nnz']:,} | {r['median']:.3f} / {r['min']:.3f} | "
              f"{r['s_per_nnzT_ns']:.3f} | {r['peak_rss_mib']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
