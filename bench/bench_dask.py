"""The E-step on Dask workers (``DaskEStep``) on this machine: a LocalCluster of 1 and 2 worker
processes (one thread each) against the single-process batched trainer with 1 thread (issue 14,
bench/README.md §13.2).

For each corpus, the same run config (PLSA, T topics, 1 inner pass, θ from 1/T every pass, seed 1)
trains ``--passes`` passes three ways — single process, ``local:1``, ``local:2`` — and reports:

* max |Φ − Φ_single| after the last pass;
* per pass (median of passes 2..n; pass 1 also starts the workers' imports): wall seconds, the
  workers' E-step seconds (worker timers, summed over tasks) → throughput per worker in
  ns per nonzero·topic and documents per second, and the pass split into broadcast of Φ (client
  wall of ``scatter(broadcast=True)``), the reduce of n_wt (tree ``add`` tasks: their compute and the
  inter-worker transfers, from Dask's task stream, plus the root's transfer to the client),
  idle / scheduling (task phase wall − busy worker seconds / N) and the client's M-step and rest;
* micro-measures for the model of §13.2: broadcast seconds of a W × T float32 array to N workers,
  a worker-to-worker transfer and a dense add of one W × T array, the root's transfer to the client.

Corpora: ``ng20`` = bench/data.py's 20 Newsgroups (D = 18,805, nnz = 1,517,427, W = 28,865) in
19 batches of 1,000 documents; ``synth`` = the first ``--synth-batches`` batches (10⁴ documents,
~10⁶ nonzeros each, W = 10⁵) of §13's 10⁶-document synthetic corpus (linked, read-only, from
``--synth-source``; generated with the same generator when that folder is absent).

    python bench/bench_dask.py                         # both corpora, T = 100, 4 passes (~5 min)
    python bench/bench_dask.py --corpora ng20 --passes 3 --json bench/data/dask/res.json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from distributed import LocalCluster, wait

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import bench_online  # noqa: E402 - the engine's batches of the parity corpus
import data as bench_data  # noqa: E402
from engine.corpus.batches import BatchedCorpus, read_batch  # noqa: E402
from engine.em.config import ModelConfig  # noqa: E402
from engine.em.trainer import Trainer  # noqa: E402
from engine.families.batched import dask as D  # noqa: E402
from engine.families.batched.family import batched_config  # noqa: E402

OUT = bench_data.DATA / "dask"
SYNTH_SOURCE = Path("/work/wt/scale/bench/data/synth/batches-D1000000")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --------------------------------------------------------------------------- corpora

def ng20():
    return bench_online.engine_batches()


def synth(k: int, source: Path):
    """The first ``k`` batches of the 10⁶-document synthetic corpus as a batched corpus of its own
    (manifest, vocabulary and documents subset; batch files linked)."""
    target = OUT / f"synth-first{k}"
    if (target / "manifest.json").exists():
        return BatchedCorpus(target)
    if not (source / "manifest.json").exists():
        import bench_scale_batches  # noqa: PLC0415 - only when the shared copy is absent (slow)

        source = bench_scale_batches.prepare(k * 10_000)
    man = json.loads((source / "manifest.json").read_text())
    (target / "batches").mkdir(parents=True, exist_ok=True)
    batches = man["batches"][:k]
    n_docs = sum(b["docs"] for b in batches)
    W = int(man["vocabulary"])
    tokens = 0.0
    for b in batches:
        link = target / "batches" / b["file"]
        if not link.exists():
            link.symlink_to(source / "batches" / b["file"])
        tokens += float(read_batch(link, W).sum())
    for name in ("vocab.parquet",):
        (target / name).write_bytes((source / name).read_bytes())
    docs = pd.read_parquet(source / "documents.parquet").iloc[:n_docs]
    docs.to_parquet(target / "documents.parquet", index=False)
    man.update(name=f"{man['name']}-first{k}", documents=n_docs, tokens=tokens, batches=batches,
               fingerprint=f"{man.get('fingerprint', '')}-first{k}")
    for mod in man.get("modalities", {}).values():
        mod["tokens"] = tokens
    (target / "manifest.json").write_text(json.dumps(man, indent=1))
    return BatchedCorpus(target)


# --------------------------------------------------------------------------- runs

def _config(args, dask=None):
    cfg = ModelConfig(n_topics=args.topics, iterations=args.passes, threads=1, seed=1, inner_passes=1,
                      reuse_theta=False)
    return batched_config(cfg, theta="none", dask=dask)


def run_single(bc, args) -> dict:
    tr = Trainer(bc, _config(args))
    wall, cpu = [], []
    for _ in range(args.passes):
        t0, c0 = time.perf_counter(), _cpu()
        tr.step()
        wall.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
    phi = np.array(tr.model.phi)
    tr.close()
    return {"wall": wall, "cpu": cpu, "phi": phi}


def _stream(records: list, n_workers: int) -> dict:
    """Seconds by kind from Dask task-stream records of one pass."""
    out = {"estep_compute": 0.0, "add_compute": 0.0, "transfer": 0.0, "other": 0.0, "compute": 0.0,
           "span": 0.0, "transfer_bytes": 0}
    t_min, t_max = float("inf"), 0.0
    for r in records:
        key = str(r.get("key", ""))
        for ss in r.get("startstops", ()):
            d = ss["stop"] - ss["start"]
            t_min, t_max = min(t_min, ss["start"]), max(t_max, ss["stop"])
            if ss["action"] == "compute":
                out["compute"] += d
                out["estep_compute" if "artm-estep" in key else "add_compute" if "artm-add" in key else "other"] += d
            elif ss["action"] == "transfer":
                out["transfer"] += d
            else:
                out["other"] += d
    out["span"] = max(0.0, t_max - t_min)
    return out


def run_dask(bc, args, n: int) -> dict:
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        tr = Trainer(bc, _config(args, dask=cluster.scheduler_address))
        client = tr.estep.client
        client.get_task_stream()  # installs the scheduler's task-stream plugin
        wall, cpu, parts = [], [], []
        for _ in range(args.passes):
            te = time.time()
            t0, c0 = time.perf_counter(), _cpu()
            tr.step()
            wall.append(time.perf_counter() - t0)
            cpu.append(_cpu() - c0)
            ov = dict(tr.estep.overhead)
            ov["stream"] = _stream(client.get_task_stream(start=te), n)
            parts.append(ov)
        phi = np.array(tr.model.phi)
        tr.close()
        micro = micro_costs(client, n, bc.n_tokens, args.topics)
        client.close()
        D._CLIENTS.clear()
    finally:
        cluster.close()
    return {"wall": wall, "cpu": cpu, "parts": parts, "phi": phi, "micro": micro}


def micro_costs(client, n: int, W: int, T: int) -> dict:
    """Broadcast of W × T float32 arrays (this corpus's W and 4 × W) to the n workers; for n ≥ 2, a
    worker-to-worker transfer and a dense add of one W × T array, and the result's trip to the client."""
    out = {"broadcast": []}
    for w in (W, 4 * W):
        arr = np.random.default_rng(0).random((w, T), dtype=np.float32)
        secs = []
        for _ in range(3):
            t0 = time.perf_counter()
            f = client.scatter(arr, broadcast=True, hash=False)
            secs.append(time.perf_counter() - t0)
            del f
        out["broadcast"].append({"bytes": int(arr.nbytes), "seconds": statistics.median(secs)})
        del arr
    workers = sorted(client.scheduler_info()["workers"])
    if n >= 2:
        shape = (W, T)
        rows = []
        for _ in range(3):
            te = time.time()
            a = client.submit(np.ones, shape, np.float32, workers=[workers[0]], pure=False, key=f"mc-a-{te}")
            b = client.submit(np.ones, shape, np.float32, workers=[workers[1]], pure=False, key=f"mc-b-{te}")
            c = client.submit(np.add, a, b, workers=[workers[0]], pure=False, key=f"mc-add-{te}")
            wait(c)
            stream = client.get_task_stream(start=te)
            rec = next(r for r in stream if str(r["key"]).startswith("mc-add"))
            tr = sum(s["stop"] - s["start"] for s in rec["startstops"] if s["action"] == "transfer")
            add = sum(s["stop"] - s["start"] for s in rec["startstops"] if s["action"] == "compute")
            t0 = time.perf_counter()
            c.result()  # the W × T array's trip from a worker to the client
            rows.append((tr, add, time.perf_counter() - t0))
            del a, b, c
        out["transfer_s"] = statistics.median(r[0] for r in rows)
        out["add_s"] = statistics.median(r[1] for r in rows)
        out["to_client_s"] = statistics.median(r[2] for r in rows)
        out["bytes"] = int(W * T * 4)
    return out


# --------------------------------------------------------------------------- report

def summarize(name, bc, T, single, runs) -> list[dict]:
    nnzT = float(sum(b["nnz"] for b in bc.batches)) * T
    rows = [{"corpus": name, "run": "single process, 1 thread", "workers": 1,
             "wall": statistics.median(single["wall"][1:] or single["wall"]),
             "wall_first": single["wall"][0], "cpu": statistics.median(single["cpu"][1:] or single["cpu"]),
             "dphi": 0.0}]
    # the single process's whole pass (its E-step, M-step and I/O) per nonzero·topic, wall / CPU
    rows[0].update(estep_s=rows[0]["wall"], estep_cpu_s=rows[0]["cpu"], ns_per_nnzT_worker=1e9 * rows[0]["wall"] / nnzT,
                   ns_per_nnzT_worker_cpu=1e9 * rows[0]["cpu"] / nnzT, docs_per_s_worker=bc.n_docs / rows[0]["wall"])
    for n, r in runs.items():
        later = r["parts"][1:] or r["parts"]
        med = lambda f: statistics.median(f(p) for p in later)  # noqa: E731
        estep = med(lambda p: p["worker_s"]["estep_s"])
        wall = statistics.median(r["wall"][1:] or r["wall"])
        tasks, busy = med(lambda p: p["tasks_s"]), med(lambda p: p["stream"]["compute"])
        client_parts = med(lambda p: p["broadcast_s"] + p["submit_s"] + p["tasks_s"] + p["gather_s"]
                           + p["client_sum_s"] + p["theta_gather_s"])
        rows.append({
            "corpus": name, "run": f"Dask local:{n}", "workers": n, "wall": wall, "wall_first": r["wall"][0],
            "cpu": statistics.median(r["cpu"][1:] or r["cpu"]),
            "dphi": float(np.abs(r["phi"] - single["phi"]).max()),
            "estep_s": estep, "ns_per_nnzT_worker": 1e9 * estep / nnzT, "docs_per_s_worker": bc.n_docs / estep,
            "estep_cpu_s": med(lambda p: p["worker_s"]["estep_cpu_s"]),
            "ns_per_nnzT_worker_cpu": 1e9 * med(lambda p: p["worker_s"]["estep_cpu_s"]) / nnzT,
            "read_s": med(lambda p: p["worker_s"]["read_s"]), "read_cpu_s": med(lambda p: p["worker_s"]["read_cpu_s"]), "theta_io_s": med(lambda p: p["worker_s"]["theta_io_s"]),
            "broadcast_s": med(lambda p: p["broadcast_s"]), "phi_MB": later[0]["phi_bytes"] / 2**20,
            "submit_s": med(lambda p: p["submit_s"]), "tasks_s": tasks,
            "add_compute_s": med(lambda p: p["stream"]["add_compute"]),
            "transfer_s": med(lambda p: p["stream"]["transfer"]),
            "root_gather_s": med(lambda p: p["gather_s"] + p["client_sum_s"]),
            "idle_s": tasks - busy / n, "busy_s": busy,
            "client_rest_s": wall - client_parts, "adds": later[0]["worker_s"]["adds"],
            "batches": later[0]["batches"], "tasks": later[0].get("tasks"), "micro": r["micro"],
        })
    return rows


def print_tables(rows: list[dict]) -> None:
    print("| corpus | run | Φ max abs diff vs single | s/pass (median, passes 2..n) | pass 1 s | client CPU s/pass "
          "| E-step s (workers, Σ wall / Σ CPU) | ns per nnz·T per worker (wall / CPU) | docs/s per worker (wall / CPU) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        e = r.get("estep_s")
        extra = ("| | |" if e is None else
                 f"{e:.3f} / {r['estep_cpu_s']:.3f} | {r['ns_per_nnzT_worker']:.2f} / "
                 f"{r['ns_per_nnzT_worker_cpu']:.2f} | {r['docs_per_s_worker']:,.0f} / "
                 f"{r['docs_per_s_worker'] * r['estep_s'] / r['estep_cpu_s']:,.0f} |")
        print(f"| {r['corpus']} | {r['run']} | {r['dphi']:.1e} | {r['wall']:.3f} | {r['wall_first']:.3f} | "
              f"{r['cpu']:.3f} | {extra}")
    print()
    print("| corpus | workers | s/pass | broadcast Φ s (MiB) | submit s | task phase s | of it: tree adds s (n) | "
          "transfers s | idle/scheduling s per worker (task phase − Σ compute / N) | root → client s | client M-step & rest s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "broadcast_s" not in r:
            continue
        print(f"| {r['corpus']} | {r['workers']} | {r['wall']:.3f} | {r['broadcast_s']:.3f} ({r['phi_MB']:.1f}) | "
              f"{r['submit_s']:.3f} | {r['tasks_s']:.3f} | {r['add_compute_s']:.3f} ({int(r['adds'])}) | "
              f"{r['transfer_s']:.3f} | {r['idle_s']:.3f} | {r['root_gather_s']:.3f} | {r['client_rest_s']:.3f} |")
    print()
    print("| corpus | workers | broadcast W×T (MiB): s | broadcast 4W×T (MiB): s | worker→worker W×T s | dense add W×T s "
          "| worker→client W×T s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        m = r.get("micro")
        if not m:
            continue
        b1, b2 = m["broadcast"]
        print(f"| {r['corpus']} | {r['workers']} | {b1['bytes'] / 2**20:.1f}: {b1['seconds']:.3f} | "
              f"{b2['bytes'] / 2**20:.1f}: {b2['seconds']:.3f} | {m.get('transfer_s', float('nan')):.3f} | "
              f"{m.get('add_s', float('nan')):.3f} | {m.get('to_client_s', float('nan')):.3f} |")


# --------------------------------------------------------------------------- the model of §13.2

def tree_nodes(n: int, k: int) -> list[int]:
    """Add nodes per level of :func:`engine.families.batched.dask.reduce_tree` over n leaves."""
    levels = []
    while n > 1:
        groups = -(-n // k)
        levels.append(groups - (1 if n % k == 1 else 0))  # a group of one passes through
        n = groups
    return levels


def inputs(blob: dict) -> dict:
    """The measured costs the model uses (bench/README.md §13.2), from one run's JSON."""
    rows = [r for r in blob["rows"] if r.get("broadcast_s") is not None]
    syn = [r for r in rows if r["corpus"] == "synth"] or rows
    one = next(r for r in syn if r["workers"] == 1)
    two = next((r for r in syn if r["workers"] == 2), one)
    nnz_T = one["estep_s"] / one["ns_per_nnzT_worker"] * 1e9  # nnz·T of that corpus
    T = blob["settings"]["topics"]
    nnz = nnz_T / T
    W = one["phi_MB"] * 2**20 / 4 / T
    m2 = two["micro"]
    return {
        "c_E_ns": min(r["ns_per_nnzT_worker_cpu"] for r in syn if "broadcast_s" in r),  # CPU, per worker
        "c_read_ns": 1e9 * one.get("read_cpu_s", one["read_s"]) / nnz,  # reading + preparing a batch (CPU)
        # Dask's path on loopback, bytes/s per hop: a broadcast to 1 worker crosses 2 hops (client →
        # scheduler → worker), to 2 workers 3 (then worker → worker); median over the four measures
        "B_sw": statistics.median(b["bytes"] * (1 + r["workers"]) / b["seconds"]
                                  for r in syn for b in r["micro"]["broadcast"]),
        "B_ww": m2["bytes"] / m2["transfer_s"] if m2.get("transfer_s") else None,
        "c_add_ns": 1e9 * m2["add_s"] / (m2["bytes"] / 4) if m2.get("add_s") else None,
        "sigma_s": max(one["idle_s"], 0.0) / ((one.get("tasks") or one["batches"]) + one["adds"]),  # per task
        "c_M_ns": 1e9 * max(one["client_rest_s"], 0.0) / (W * T),
        "source": f"synth {one['corpus']} W={W:.0f} T={T} nnz={nnz:.0f}",
    }


def predict(m: dict, N: int, W: float, T: int, nnz: float, n_b: int, k: int, net_Bps: float, lat: float,
            per_worker: int | None = 2) -> dict:
    """Seconds per pass on N workers (assumptions in bench/README.md §13.2). ``per_worker``: E-step
    tasks per worker (consecutive batches summed into one dense W × T inside a task, as built), or
    None: one task per batch. A batch's n̂_wt is counted as dense W × T when it is added: an upper
    bound when a batch holds far fewer than W distinct words."""
    S = 4.0 * W * T
    B = min(net_Bps, m["B_sw"])                             # the slower of the wire and Dask's own path
    hop = S / B + lat
    tasks = n_b if per_worker is None else min(n_b, per_worker * N)
    levels = tree_nodes(tasks, k)
    adds = sum(levels)
    add_node = k * W * T * m["c_add_ns"] * 1e-9           # copy + (k − 1) dense adds of W × T
    node_in = (k - 1) * hop                                 # its children reach it through one NIC
    top = [lv for lv in levels if lv < N] or levels[-1:]    # levels narrower than the cluster: one node time each
    spread = [lv for lv in levels if lv >= N]
    t = {
        "compute": nnz * (T * m["c_E_ns"] + m["c_read_ns"]) * 1e-9 / N,
        "in_task_sum": 0.0 if per_worker is None else (n_b / N) * W * T * m["c_add_ns"] * 1e-9,
        "reduce_spread": sum(spread) * (add_node + node_in * (N - 1) / N) / N,
        "reduce_tail": len(top) * (add_node + node_in),
        "broadcast": 2 * hop + math.ceil(math.log(N, 3) - 1e-12) * (2 * S / B + lat),
        "root": hop,
        "mstep": W * T * m["c_M_ns"] * 1e-9,
        "sched": m["sigma_s"] * (tasks + adds) / N,
    }
    t["total"] = sum(t.values())
    t["comm"] = t["broadcast"] + t["root"] + len(top) * node_in + sum(spread) * node_in * (N - 1) / N / N
    return t


def print_model(blob: dict, args) -> None:
    m = inputs(blob)
    print("measured inputs: " + ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                                            for k, v in m.items()))
    print(f"assumed: network {args.net_gbps} Gbit/s per node (a hop runs at the slower of it and B_sw), latency {args.latency_ms} ms per message, "
          f"nnz = {args.nnz:.0e}, batches of {args.batch_nnz:.0e} nonzeros ({int(args.nnz // args.batch_nnz)} "
          f"batches), fan-in {args.fan_in}")
    for r in [r for r in blob["rows"] if r.get("broadcast_s") is not None and r["corpus"] == "synth"]:
        n_b, T = int(r["batches"]), blob["settings"]["topics"]
        W = r["phi_MB"] * 2**20 / 4 / T
        nnz = r["estep_s"] / r["ns_per_nnzT_worker"] * 1e9 / T
        t = predict(m, r["workers"], W, T, nnz, n_b, args.fan_in, m["B_sw"], 0.0,
                    per_worker=None if r.get("tasks", 0) == n_b else 2)
        print(f"check on this machine (synth, local:{r['workers']}, loopback): model {t['total']:.2f} s/pass "
              f"(CPU-based compute), measured {r['wall']:.2f} s/pass wall at load {blob['load'].get('synth')}")
    print("| W | T | Φ MiB | workers | E-step s | sums in tasks s | reduce tree s (spread + tail) | broadcast s | "
          "root → client s | M-step s | scheduling s | **total s/pass** | communication share | "
          "one task per batch: s/pass, communication share |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for W in (1e5, 1e6):
        for T in (100, 1000):
            for N in (8, 32, 128):
                par = (m, N, W, T, args.nnz, int(args.nnz // args.batch_nnz), args.fan_in, args.net_gbps * 1.25e8,
                       args.latency_ms * 1e-3)
                t, u = predict(*par), predict(*par, per_worker=None)
                print(f"| {W:.0e} | {T} | {4 * W * T / 2**20:,.0f} | {N} | {t['compute']:.2f} | {t['in_task_sum']:.2f} | "
                      f"{t['reduce_spread']:.2f} + {t['reduce_tail']:.2f} | {t['broadcast']:.2f} | {t['root']:.2f} | "
                      f"{t['mstep']:.2f} | {t['sched']:.3f} | **{t['total']:.1f}** | {t['comm'] / t['total']:.0%} | "
                      f"{u['total']:.1f}, {u['comm'] / u['total']:.0%} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--corpora", nargs="+", default=["ng20", "synth"], choices=["ng20", "synth"])
    ap.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--passes", type=int, default=4)
    ap.add_argument("--synth-batches", type=int, default=10)
    ap.add_argument("--synth-source", type=Path, default=SYNTH_SOURCE)
    ap.add_argument("--model", type=Path, default=None, metavar="RESULTS.json",
                    help="print the §13.2 prediction from a run's --json results (no training)")
    ap.add_argument("--net-gbps", type=float, default=10.0, help="model: network bandwidth per node (assumed)")
    ap.add_argument("--latency-ms", type=float, default=0.2, help="model: latency per message (assumed)")
    ap.add_argument("--nnz", type=float, default=1e9, help="model: nonzeros of the corpus (10⁷ docs × 100)")
    ap.add_argument("--batch-nnz", type=float, default=1e6, help="model: nonzeros per batch (10⁴ docs)")
    ap.add_argument("--fan-in", type=int, default=8)
    args = ap.parse_args(argv)
    if args.model:
        print_model(json.loads(args.model.read_text()), args)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    all_rows, loads = [], {}
    for name in args.corpora:
        bc = ng20() if name == "ng20" else synth(args.synth_batches, args.synth_source)
        nnz = sum(b["nnz"] for b in bc.batches)
        print(f"{name}: D = {bc.n_docs:,}, W = {bc.n_tokens:,}, nnz = {nnz:,}, {bc.n_batches} batches, "
              f"T = {args.topics}", file=sys.stderr, flush=True)
        load0 = os.getloadavg()[0]
        single = run_single(bc, args)
        runs = {n: run_dask(bc, args, n) for n in args.workers}
        loads[name] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        print(f"{name}: load average {loads[name][0]} → {loads[name][1]}", file=sys.stderr, flush=True)
        all_rows += summarize(name, bc, args.topics, single, runs)
    print_tables(all_rows)
    print("load average (1 min) at start → end of each corpus: " + ", ".join(f"{k} {v[0]}→{v[1]}" for k, v in loads.items()))
    blob = {"settings": vars(args) | {"synth_source": str(args.synth_source)}, "rows": all_rows, "load": loads}
    print(json.dumps(blob, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(blob, indent=1, default=str))
    if any(r.get("micro", {}).get("transfer_s") for r in all_rows):
        print()
        print_model(json.loads(json.dumps(blob, default=str)), args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
