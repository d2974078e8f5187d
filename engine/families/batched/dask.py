"""The E-step of a batched corpus on Dask workers (``pip install artm-studio[distributed]``):
the strategy of family ``batched`` with option ``dask`` (``local``, ``local:N``, ``tcp://…``).

Per pass (:meth:`DaskEStep.sweep`):

1. Φ (W × T float32) is broadcast once to every worker (``Client.scatter(broadcast=True)``).
2. E-step tasks over consecutive batches, in batch order: ``tasks_per_worker`` (2) tasks per
   worker thread, each reading its batches from storage all workers share (the corpus folder, or
   any fsspec URL) — the next one read while the current one computes — running
   :func:`~engine.families.batched.estep.estep_batch` on each and summing their n̂_wt into one
   dense W × T array (a task of one batch returns n̂_wt over the batch's own words).
   Θ stays with the workers: each task writes θ of its batches to ``<theta_dir>/batches/
   b<batch>-<iteration % 2>.npy`` (the folder must be shared by the workers: right for a
   LocalCluster) and, with Θ kept (``theta="disk"``), reads the previous pass's file, so a task
   run twice (a retry) reads the same input and writes the same output. The client gathers Θ
   into its memory map on the last pass only.
3. The tasks' sums are added by a tree of ``add`` tasks on the workers, ``fan_in`` (8)
   consecutive children per node (:func:`reduce_tree`), so the client receives one W × T array.
   Dense partial sums are made per task, not per batch: their number (and the bytes the reduce
   moves) grows with the workers, not with the corpus.
4. The M-step with the Φ regularizers runs on the client (the one Trainer's M-step).

Timings of the last pass: :attr:`DaskEStep.overhead` (client seconds of the broadcast, of submitting
the graph, of the tasks, of the root's transfer; worker seconds summed over the tasks, :data:`TIMERS`).

Nothing is applied to Φ before every task of the pass has succeeded: a worker lost mid-pass
only makes Dask rerun its tasks elsewhere (``retries``); the pass then gives the same Φ.
Summation order is fixed by the batch order, the grouping and the tree shape, so Φ equals the
single-process batched trainer's to float tolerance.
"""
from __future__ import annotations

import atexit
import os
import time
import uuid
from concurrent.futures import CancelledError, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from distributed import Client, LocalCluster, wait
from distributed.scheduler import KilledWorker

from engine.corpus.batches import Batch, read_batch
from engine.errors import ConfigError, EngineError
from engine.families.batched.estep import BatchedEStep, estep_batch, prepare_batch, theta_summary


def connect(spec: str) -> Client:
    """A Dask client from ``local``, ``local:N`` (a LocalCluster of N worker processes, one
    thread each) or ``tcp://host:port`` (a running scheduler)."""
    spec = (spec or "").strip()
    if spec == "local" or spec.startswith("local:"):
        n = spec.partition(":")[2] or "2"
        if not n.isdigit() or int(n) < 1:
            raise ConfigError(f"Dask {spec!r} (--dask): expected local, local:N (N ≥ 1) or tcp://host:port")
        cluster = LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
        atexit.register(cluster.close)  # registered first, runs last
        atexit.register(client.close)
        return client
    if spec.startswith(("tcp://", "tls://", "ucx://")):
        try:
            return Client(spec, timeout="20s")
        except OSError as exc:
            raise ConfigError(f"Dask scheduler {spec} (--dask): cannot reach it ({exc})") from None
    raise ConfigError(f"Dask {spec!r} (--dask): expected local, local:N or tcp://host:port")


def _read(url: str, b: int, doc0: int, n_tokens: int) -> Batch:
    if "://" in url and not url.startswith("file://"):
        import fsspec  # noqa: PLC0415 - only for remote storage; a dependency of dask

        with fsspec.open(url, "rb") as f:
            return Batch(index=b, doc0=doc0, n_dw=read_batch(f, n_tokens))
    return Batch(index=b, doc0=doc0, n_dw=read_batch(Path(url.removeprefix("file://")), n_tokens))


#: worker seconds summed over a pass's tasks, in this order (:attr:`DaskEStep.overhead` ``worker_s``)
TIMERS = ("read_s", "read_cpu_s", "estep_s", "estep_cpu_s", "theta_io_s", "add_s", "adds")


def _load(item, n_tokens: int):
    """(prepared batch, θ of the previous pass or None, read seconds, read CPU seconds) of one
    ``(url, b, doc0, (θ in, θ out), reset)`` item."""
    t0, c0 = time.perf_counter(), time.thread_time()
    url, b, doc0, (src, _dst), reset = item
    pb = prepare_batch(_read(url, b, doc0, n_tokens), n_tokens)
    th_in = None if reset or src is None or not os.path.exists(src) else np.load(src)
    return pb, th_in, time.perf_counter() - t0, time.thread_time() - c0


def _estep_task(items, phi, static, inner_passes, add, mult):
    """The batches ``items`` (consecutive, see :func:`_load`) on a worker, the next one read while
    the current one computes. One batch: returns a leaf ``(words, n̂_wt (W_b, T), loglik, n_tok,
    [empty documents, Σ θ], seconds)``; several: their sum as a dense (W, T) ``n_wt`` dict (the form
    of :func:`_add`). Seconds (7,) in the order of :data:`TIMERS` (``*_cpu_s``: this thread's CPU)."""
    tok_weight, tok_mod, n_mod, n_topics = static
    W, T = phi.shape
    secs = np.zeros(len(TIMERS))
    out = None if len(items) == 1 else {"n_wt": np.zeros((W, T), np.float32), "ll": 0.0, "nt": 0.0,
                                         "small": np.zeros(2)}
    with ThreadPoolExecutor(1) as pool:
        nxt = pool.submit(_load, items[0], W)
        for k, item in enumerate(items):
            pb, th_in, read_s, read_cpu = nxt.result()
            if k + 1 < len(items):
                nxt = pool.submit(_load, items[k + 1], W)
            t1, c1 = time.perf_counter(), time.thread_time()
            reset, dst = item[4], item[3][1]
            nb, theta, ll, nt = estep_batch(pb, phi, tok_weight, tok_mod, n_mod, th_in, reset, inner_passes,
                                            add, mult, np.zeros((0, T), np.float32))
            t2, c2 = time.perf_counter(), time.thread_time()
            if dst is not None:
                tmp = f"{dst}.{uuid.uuid4().hex[:8]}.npy"
                np.save(tmp, theta)
                os.replace(tmp, dst)  # atomic: a retried task overwrites with the same values
            secs += (read_s, read_cpu, t2 - t1, c2 - c1, time.perf_counter() - t2, 0.0, 0.0)
            if out is None:
                return pb.words, nb, ll, nt, theta_summary(theta), secs
            out["n_wt"][pb.words] += nb
            out["ll"], out["nt"] = out["ll"] + ll, out["nt"] + nt
            out["small"] = out["small"] + theta_summary(theta)
    out["secs"] = secs
    return out


def _add(shape, *parts):
    """Sum of partial results. Leaves are ``(words, rows, loglik, n_tok, small, seconds)`` tuples
    from :func:`_estep_task`; sums are dicts with a dense (W, T) ``n_wt`` and the summed worker
    seconds (:data:`TIMERS`, this add counted in ``add_s``/``adds``). Parts are added in the order
    given; inputs are never modified (Dask may hold them for a retry)."""
    t0 = time.perf_counter()
    dense = next((p for p in parts if isinstance(p, dict)), None)
    out = {"n_wt": np.zeros(shape, np.float32) if dense is None else dense["n_wt"].copy(), "ll": 0.0,
           "nt": 0.0, "small": np.zeros(2), "secs": np.zeros(len(TIMERS))}
    for part in parts:
        if isinstance(part, dict):
            if part is not dense:
                out["n_wt"] += part["n_wt"]
            ll, nt, small, secs = part["ll"], part["nt"], part["small"], part["secs"]
        else:
            words, nb, ll, nt, small, secs = part
            out["n_wt"][words] += nb
        out["ll"], out["nt"], out["small"] = out["ll"] + ll, out["nt"] + nt, out["small"] + small
        out["secs"] = out["secs"] + secs
    out["secs"][-2:] += (time.perf_counter() - t0, 1.0)
    return out


def reduce_tree(submit, leaves: list, shape, fan_in: int, key: str = "artm-add"):
    """The root of a tree of :func:`_add` tasks over ``leaves`` (futures, in batch order): each node
    sums ``fan_in`` consecutive children, so the summation order depends only on the batch order.
    ``submit(fn, *args, key=…)`` is ``Client.submit`` with the retry options bound. A wider node
    makes fewer dense W × T partial sums (about n / (fan_in − 1) instead of n − 1)."""
    level = list(leaves)
    while len(level) > 1:
        level = [level[i] if len(level[i:i + fan_in]) == 1 else
                 submit(_add, shape, *level[i:i + fan_in], key=f"{key}-{uuid.uuid4().hex[:10]}")
                 for i in range(0, len(level), fan_in)]
    return level[0]


_CLIENTS: dict[str, Client] = {}


def client_for(spec: str) -> Client:
    """The process's client for ``spec`` (connected once, reused by every run that names it)."""
    c = _CLIENTS.get(spec)
    if c is None or c.status not in ("running", "connecting"):
        c = _CLIENTS[spec] = connect(spec)
    return c


class DaskEStep(BatchedEStep):
    """:class:`BatchedEStep` whose batches run on Dask workers (offline EM; options ``dask``)."""

    retries = 2
    #: children per node of the reduce tree (:func:`reduce_tree`)
    fan_in = 8
    #: E-step tasks per worker thread and pass (consecutive batches summed inside a task); None: one
    #: task per batch (finer retries and balance, one dense partial sum per batch group of the tree)
    tasks_per_worker: int | None = 2

    def __init__(self, trainer):
        super().__init__(trainer)
        self.client = client_for(trainer.config.options["dask"])
        corpus = trainer.corpus
        self._urls = [str(corpus.batch_path(b)) for b in range(corpus.n_batches)]
        self._theta_base = str(self.theta_dir / "batches")
        Path(self._theta_base).mkdir(exist_ok=True)
        self.overhead: dict = {}

    #: whole-pass reruns after the cluster lost the pass's data (a worker killed while it held the
    #: only copy of a result: Dask cancels the dependent futures instead of retrying them)
    pass_retries = 2

    def sweep(self, tr, cfg, tok_weight, reset, add, mult, add_doc, src, dst, phi_regs, ctx):
        """The pass on the workers (module docstring); returns (n_wt, loglik, n_tok). Every task
        reads its inputs and writes its own outputs only, so a pass the cluster lost (cancelled
        futures, a killed worker) is run again from the start and gives the same result."""
        if add_doc.shape[0]:
            raise ConfigError("regularizers with per-document Θ terms do not run on Dask yet")
        for attempt in range(self.pass_retries + 1):
            try:
                return self._pass(tr, cfg, tok_weight, reset, add, mult, dst)
            except (CancelledError, KilledWorker) as exc:
                if attempt == self.pass_retries:
                    raise EngineError(f"the Dask cluster lost pass {tr.iteration + 1} {attempt + 1} times "
                                      f"({type(exc).__name__}); check its workers and continue the run "
                                      "from its last checkpoint") from None

    def _pass(self, tr, cfg, tok_weight, reset, add, mult, dst):
        W, T = tr.phi.shape
        c = self.client
        it = tr.iteration + 1
        last = it >= cfg.iterations
        t0 = time.perf_counter()
        # hash=False: fresh keys every pass. With content-hashed keys an unchanged array gets the key
        # of the previous pass, whose release (sent when that pass's futures were dropped) can
        # reach the scheduler after this scatter and delete the data ("lost dependencies").
        static_f = c.scatter((tok_weight, tr.token_modality, len(tr.modalities), cfg.n_topics),
                             broadcast=True, hash=False)
        phi_f = c.scatter(tr.phi, broadcast=True, hash=False)
        t1 = time.perf_counter()
        items = [(url, b, tr.corpus.doc_range(b)[0], self._theta_paths(b, it, reset), reset)
                 for b, url in enumerate(self._urls)]
        groups = self._groups(len(items))
        leaves = [c.submit(_estep_task, [items[b] for b in g], phi_f, static_f, cfg.inner_passes, add, mult,
                           key=f"artm-estep-{it}-{g[0]}-{uuid.uuid4().hex[:6]}", retries=self.retries, pure=False)
                  for g in groups]
        root = reduce_tree(partial(c.submit, retries=self.retries, pure=False), leaves, (W, T), self.fan_in,
                           key=f"artm-add-{it}")
        t2 = time.perf_counter()
        wait(root)  # the tree is done: what follows is the root's transfer to the client
        t3 = time.perf_counter()
        part = root.result()
        t4 = time.perf_counter()
        total = _add((W, T), part)
        t5 = time.perf_counter()
        del leaves, root, phi_f, static_f
        if last:
            self._gather_theta(tr.corpus, it, dst)
        secs = part["secs"] if isinstance(part, dict) else part[5]
        self.overhead = {"broadcast_s": t1 - t0, "submit_s": t2 - t1, "tasks_s": t3 - t2, "gather_s": t4 - t3,
                         "client_sum_s": t5 - t4, "theta_gather_s": time.perf_counter() - t5,
                         "phi_bytes": int(tr.phi.nbytes), "batches": len(self._urls), "tasks": len(groups),
                         "worker_s": dict(zip(TIMERS, (float(x) for x in secs)))}
        small = total["small"]
        self._summary = (tr.corpus.n_docs, int(small[0]), float(small[1]))
        return total["n_wt"], np.asarray(total["ll"], float), np.asarray(total["nt"], float)

    def _groups(self, n: int) -> list:
        """Consecutive batch indices per E-step task: ``tasks_per_worker`` × the cluster's threads
        tasks (None: one per batch). Fewer tasks mean fewer dense W × T partial sums to move and add."""
        if self.tasks_per_worker is None:
            return [[b] for b in range(n)]
        slots = max(1, sum(self.client.nthreads().values()))
        return [list(g) for g in np.array_split(np.arange(n), min(n, self.tasks_per_worker * slots))]

    def _theta_paths(self, b: int, it: int, reset: bool):
        """(θ file of the previous pass or None, θ file of this pass): parity by iteration, so a
        retried task reads and writes the same files."""
        prev = None if reset else f"{self._theta_base}/b{b:05d}-{(it - 1) % 2}.npy"
        return prev, f"{self._theta_base}/b{b:05d}-{it % 2}.npy"

    def _gather_theta(self, corpus, it: int, dst) -> None:
        """Θ of the pass from the workers' batch files into the client's Θ file."""
        for b in range(corpus.n_batches):
            self.write_rows(dst, corpus.doc_range(b)[0], np.load(f"{self._theta_base}/b{b:05d}-{it % 2}.npy"))
