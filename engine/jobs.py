"""Background training jobs: live control, immutable snapshots, checkpoints, a process registry.

A :class:`TrainingJob` runs the EM passes of one run in its own thread (never a Streamlit call
in it). Between two passes it reads the controls, runs the pass with the *current*
:class:`~engine.config.ModelConfig`, records the τ it applied, publishes a :class:`Snapshot` and
checkpoints to disk when due. Controls (pause, resume, stop, more iterations, regularizer and
modality-weight edits, rollback) only set state under a lock; the trainer thread picks them up
before its next pass, so a change made during pass *k* is used by pass *k + 1* — a latency of at
most one iteration. The thread never waits for a reader: a snapshot is an immutable object whose
reference is swapped after each pass; Φ and Θ are copied only when someone calls
:meth:`TrainingJob.model_view`.

Concurrency policy
------------------
At most **one job runs EM at a time per process** (``RunSlots(capacity=1)``, shared by every
registry); other started jobs wait in FIFO order, and ``Snapshot.queue_position`` (1 = next)
shows where they are. Why: the machine has 2 cores and each pass already uses
``config.threads`` numba worker threads; numba's threading layers do not promise that parallel
regions launched from several Python threads at once are safe (the ``workqueue`` layer aborts);
and two jobs sharing the cores would each run at half speed, doubling the latency of live
controls. A paused job gives its slot up and goes to the back of the queue when resumed; a stop
request also removes a queued job. Jobs never share mutable state: each owns its trainer, its
config reference and its run folder, so two jobs started together cannot corrupt each other.

Checkpoints
-----------
Written atomically under ``<root>/runs/<run_id>/checkpoints/iter_NNNN/`` (see
:mod:`engine.checkpoint`) every ``checkpoint_every`` passes (default 10) or when
``checkpoint_seconds`` (default 30 s) have passed since the last one, and on pause, stop and
finish. The newest ``keep_checkpoints`` (default 10) are kept. :meth:`TrainingJob.rollback`
restores one and continues from it; the abandoned later checkpoints are deleted and
``Snapshot.branches`` records the branch. On finish or stop the run is saved with
:func:`engine.run.save_run` (loadable with ``load_run``); a failed job keeps its checkpoints
and the error (message and traceback) in its snapshot.

Ownership
---------
A job records the sessions (``owner`` strings) allowed to control it: the one that started it
and any that :meth:`JobRegistry.attach` on purpose. Anyone may read snapshots; a control from
another owner raises :class:`JobPermissionError`. A job started without an owner (the CLI)
accepts every control.
"""
from __future__ import annotations

import itertools
import math
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from . import checkpoint as ckpt
from .errors import ConfigError, EngineError
from .run import new_run, new_run_id, save_run
from .topic_model import IterationReport, TopicModel

__all__ = ["JobStatus", "JobPermissionError", "Branch", "Snapshot", "TrainingJob", "RunSlots",
           "JobRegistry", "default_registry", "run_job_blocking"]


class JobStatus:
    """Status strings of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    TERMINAL = frozenset({FINISHED, STOPPED, FAILED})


class JobPermissionError(EngineError, PermissionError):
    """A session tried to control a job it neither started nor attached to."""


@dataclass(frozen=True)
class Branch:
    """A rollback: branch ``branch`` continues from the checkpoint at ``from_iteration`` of
    ``parent_branch``, which had reached ``abandoned_at`` passes. Same fields as the run's
    ``lineage`` entries (:mod:`engine.run`) plus ``abandoned_at``."""

    branch: int
    parent_branch: int
    from_iteration: int
    abandoned_at: int
    at: str

    def to_dict(self) -> dict:
        return {"branch": self.branch, "parent_branch": self.parent_branch,
                "from_iteration": self.from_iteration, "abandoned_at": self.abandoned_at, "at": self.at}

    @classmethod
    def from_dict(cls, d: dict) -> "Branch":
        return cls(int(d["branch"]), int(d["parent_branch"]), int(d["from_iteration"]),
                   int(d.get("abandoned_at", d["from_iteration"])), str(d.get("at", "")))


TopTokens = Mapping[str, tuple]  # modality -> per topic: tuple of (token, p)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """What a job looks like after its latest pass. Immutable; safe to read from any thread.

    Attributes
    ----------
    job_id, run_id, name : str
        ``job_id == run_id`` (the run folder name).
    status : str
        One of :class:`JobStatus`.
    iteration : int
        Passes done on the current branch.
    total_iterations : int
        ``config.iterations`` now (grows with ``more(k)``).
    queue_position : int or None
        1-based place in the queue while ``status == "queued"``.
    reports : tuple of IterationReport
        One per pass of the current branch (iteration, seconds, τ applied, scores).
    config : ModelConfig
        The config the next pass will use (live edits included).
    config_version : int
        Version of the config the last pass used (each control edit adds 1).
    topic_names : tuple of str
    top_tokens : mapping modality -> tuple over topics of tuple of (token, p)
        Top ``top_n`` tokens of each topic in each modality, from the latest Φ.
    seconds_per_iteration, eta_seconds : float or None
        Mean wall time of the last 5 passes; that times the passes left.
    error, traceback : str or None
        Set when ``status == "failed"``.
    checkpoints : tuple of int
        Iterations with a checkpoint on disk.
    branches : tuple of Branch
        Rollbacks, oldest first.
    saved : bool
        True once the run is saved in the workspace (after finish or stop).
    owners : frozenset of str
    updated_at : float
        ``time.time()`` of publication.
    """

    job_id: str
    run_id: str
    name: str
    status: str
    iteration: int
    total_iterations: int
    config: Any
    queue_position: int | None = None
    reports: tuple = ()
    config_version: int = 0
    topic_names: tuple = ()
    top_tokens: TopTokens = field(default_factory=lambda: MappingProxyType({}))
    seconds_per_iteration: float | None = None
    eta_seconds: float | None = None
    error: str | None = None
    traceback: str | None = None
    checkpoints: tuple = ()
    branches: tuple = ()
    saved: bool = False
    owners: frozenset = frozenset()
    updated_at: float = 0.0

    @property
    def done(self) -> bool:
        """True when the job has ended (finished, stopped or failed)."""
        return self.status in JobStatus.TERMINAL

    @property
    def progress(self) -> float:
        return min(1.0, self.iteration / self.total_iterations) if self.total_iterations else 1.0

    def scores_frame(self) -> pd.DataFrame:
        """Score history, long: columns iteration, score, value."""
        rows = [(r.iteration, k, float(v)) for r in self.reports for k, v in r.scores.items()]
        return pd.DataFrame(rows, columns=["iteration", "score", "value"])

    def tau_frame(self) -> pd.DataFrame:
        """τ applied at each pass, long: columns iteration, regularizer, tau."""
        rows = [(r.iteration, k, float(v)) for r in self.reports for k, v in r.tau.items()]
        return pd.DataFrame(rows, columns=["iteration", "regularizer", "tau"])

    def latest_scores(self) -> dict[str, float]:
        """The most recent value of every score (scores with ``every > 1`` keep their last one)."""
        out: dict[str, float] = {}
        for r in self.reports:
            out.update(r.scores)
        return out


# --------------------------------------------------------------------------- run slots

class RunSlots:
    """FIFO admission: at most ``capacity`` jobs hold a slot (run EM) at once."""

    def __init__(self, capacity: int = 1):
        if capacity < 1:
            raise ConfigError(f"capacity must be ≥ 1, got {capacity}")
        self.capacity = capacity
        self._cv = threading.Condition()
        self._queue: deque = deque()
        self._running: set = set()

    def enqueue(self, job: "TrainingJob") -> None:
        """Put ``job`` at the back of the queue (no-op if it is queued or running). Called from
        the thread that starts/resumes the job, so the queue order is the order of the calls."""
        with self._cv:
            if job not in self._queue and job not in self._running:
                self._queue.append(job)
                self._cv.notify_all()

    def acquire(self, job: "TrainingJob", cancelled: Callable[[], bool]) -> bool:
        """Wait for a slot; False if ``cancelled()`` became true first (checked on every wake)."""
        self.enqueue(job)
        with self._cv:
            try:
                while True:
                    if cancelled():
                        return False
                    if self._queue[0] is job and len(self._running) < self.capacity:
                        self._queue.popleft()
                        self._running.add(job)
                        return True
                    job._queued_at(self._queue.index(job) + 1)
                    self._cv.wait(0.25)
            finally:
                if job in self._queue:
                    self._queue.remove(job)
                self._cv.notify_all()

    def release(self, job: "TrainingJob") -> None:
        with self._cv:
            self._running.discard(job)
            self._cv.notify_all()

    def wake(self) -> None:
        with self._cv:
            self._cv.notify_all()

    def position(self, job: "TrainingJob") -> int | None:
        with self._cv:
            return self._queue.index(job) + 1 if job in self._queue else None

    @property
    def running(self) -> int:
        with self._cv:
            return len(self._running)


_SLOTS = RunSlots(1)


# --------------------------------------------------------------------------- job

def _default_trainer_cls():
    from .model import Trainer

    return Trainer


class TrainingJob:
    """EM passes of one run in a background thread, steerable while it runs.

    Parameters
    ----------
    workspace : engine.Workspace
        Where the run (and its checkpoints) is saved.
    corpus : engine.Corpus
    config : ModelConfig
        Initial config; ``config.iterations`` is the number of passes to run.
    name : str, optional
        Display name of the run (default: the run id).
    run_id : str, optional
        Folder name of the run (default: :func:`engine.run.new_run_id`).
    owner : str, optional
        Session allowed to control the job (None: anyone).
    phi0 : ndarray of shape (W, T), optional
        Initial Φ given to the trainer.
    checkpoint_every, checkpoint_seconds : int, float
        Checkpoint when ``iteration % checkpoint_every == 0`` or this many seconds passed since
        the last checkpoint. ``checkpoint_every=0`` disables periodic checkpoints.
    keep_checkpoints : int
        How many of the newest checkpoints to keep.
    top_n : int
        Top tokens per topic and modality in snapshots.
    slots : RunSlots, optional
        Admission control (default: the process-wide one slot).
    trainer_cls : class, optional
        ``engine.model.Trainer`` or a compatible class (``step``, ``model``, ``get_state``,
        ``from_state``).
    save : bool
        Save the run with ``engine.run.save_run`` on finish/stop.
    """

    def __init__(self, workspace, corpus, config, *, name: str | None = None, run_id: str | None = None,
                 owner: str | None = None, phi0: np.ndarray | None = None, checkpoint_every: int = 10,
                 checkpoint_seconds: float = 30.0, keep_checkpoints: int = 10, top_n: int = 10,
                 slots: RunSlots | None = None, trainer_cls=None, save: bool = True):
        if hasattr(config, "validate"):
            config.validate()
        self.workspace = workspace
        self.corpus = corpus
        self.run_id = run_id or new_run_id()
        self.job_id = self.run_id
        self.name = name or self.run_id
        self.phi0 = phi0
        self.checkpoint_every = int(checkpoint_every)
        self.checkpoint_seconds = float(checkpoint_seconds)
        self.keep_checkpoints = max(1, int(keep_checkpoints))
        self.top_n = int(top_n)
        self.save = save
        self._slots = slots or _SLOTS
        self._trainer_cls = trainer_cls
        self._lock = threading.RLock()
        self._cv = threading.Condition(self._lock)
        self._model_lock = threading.Lock()
        self._owners: set[str] = {owner} if owner else set()
        self._config = config
        self._config_version = 0
        self._want = "run"  # "run" | "pause" | "stop"
        self._rollback_to: int | None = None
        self._thread: threading.Thread | None = None
        self._trainer = None
        self._final_model: TopicModel | None = None
        self._reports: tuple = ()
        self._branches: tuple = ()
        self._checkpoints: tuple = ()
        self._last_ckpt_time = time.monotonic()
        self._iteration = 0
        self._run = None  # engine.run.Run: history with branches, saved on finish/stop
        self._versions: dict[int, int] = {}
        self._modality_rows = None
        self.created_at = time.time()
        self._snapshot = Snapshot(job_id=self.job_id, run_id=self.run_id, name=self.name,
                                  status=JobStatus.QUEUED, iteration=0,
                                  total_iterations=int(config.iterations), config=config,
                                  owners=frozenset(self._owners), updated_at=time.time())

    # ------------------------------------------------------------------ reading
    def __repr__(self) -> str:
        s = self._snapshot
        return f"TrainingJob({self.job_id!r}, {s.status}, {s.iteration}/{s.total_iterations})"

    @property
    def run_dir(self) -> Path:
        return Path(self.workspace.runs_dir) / self.run_id

    @property
    def owners(self) -> frozenset:
        return self._snapshot.owners

    def snapshot(self) -> Snapshot:
        """The latest snapshot (a reference swap; never blocks)."""
        return self._snapshot

    @property
    def config(self):
        """The config the next pass will use."""
        return self._config

    def model_view(self) -> TopicModel | None:
        """A private copy of the current model (Φ, Θ copied under the model lock).

        Waits at most for the pass in progress to end. None before the first pass.
        """
        with self._model_lock:
            if self._trainer is not None:
                m = self._trainer.model
            else:
                m = self._final_model
            if m is None:
                return None
            return replace(m, phi=np.array(m.phi, copy=True), theta=np.array(m.theta, copy=True),
                           background=np.array(m.background, copy=True), n_t=np.array(m.n_t, copy=True),
                           topic_names=list(m.topic_names), labels=dict(m.labels))

    def wait_for(self, predicate: Callable[[Snapshot], bool], timeout: float | None = None) -> Snapshot:
        """Block until ``predicate(snapshot)`` holds or ``timeout`` passes; returns the snapshot."""
        with self._cv:
            self._cv.wait_for(lambda: predicate(self._snapshot), timeout)
            return self._snapshot

    def wait(self, timeout: float | None = None) -> Snapshot:
        """Block until the job has ended (or ``timeout``); returns the latest snapshot."""
        return self.wait_for(lambda s: s.done, timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to exit; True if it did."""
        t = self._thread
        if t is not None:
            t.join(timeout)
            return not t.is_alive()
        return True

    # ------------------------------------------------------------------ controls
    def _check(self, owner: str | None) -> None:
        if self._owners and owner not in self._owners:
            raise JobPermissionError(
                f"job {self.job_id!r} belongs to another session; open it from the job list to control it here")

    def add_owner(self, owner: str) -> None:
        with self._cv:
            self._owners.add(owner)
            self._publish(owners=frozenset(self._owners))

    def start(self, owner: str | None = None) -> "TrainingJob":
        """Start the thread (queued until a run slot is free). A second call does nothing."""
        self._check(owner)
        with self._cv:
            if self._thread is None:
                self._slots.enqueue(self)
                self._spawn()
        return self

    def pause(self, owner: str | None = None) -> None:
        """Pause before the next pass (a checkpoint is written, the run slot released)."""
        self._control(owner, want="pause")

    def resume(self, owner: str | None = None) -> None:
        """Continue a paused job (it queues for a run slot again)."""
        self._control(owner, want="run")

    def stop(self, owner: str | None = None) -> None:
        """Stop before the next pass; the run is checkpointed and saved."""
        self._control(owner, want="stop")

    def _control(self, owner, want: str) -> None:
        self._check(owner)
        with self._cv:
            if self._snapshot.done:
                return
            if want == "run" and self._want == "pause":
                self._slots.enqueue(self)
            self._want = want
            self._cv.notify_all()
        self._slots.wake()

    def update_config(self, change, owner: str | None = None):
        """Replace the config atomically; the next pass uses it.

        ``change`` is a new ``ModelConfig`` or a function ``old -> new``. The number and groups
        of topics cannot change while a job lives. Returns the new config.
        """
        self._check(owner)
        with self._cv:
            old = self._config
            new = change(old) if callable(change) else change
            if hasattr(new, "validate"):
                new.validate()
            for f in ("n_topics", "n_background"):
                if getattr(new, f, None) != getattr(old, f, None):
                    raise ConfigError(f"{f} cannot change during training (start a new run instead)")
            self._config = new
            self._config_version += 1
            self._publish(config=new, total_iterations=int(new.iterations))
            self._cv.notify_all()
            return new

    def more(self, k: int, owner: str | None = None):
        """Run ``k`` more passes (also after the job finished or was stopped)."""
        if int(k) < 1:
            raise ConfigError(f"more(k): k must be ≥ 1, got {k}")
        self._check(owner)
        with self._cv:
            base = max(self._iteration, int(self._config.iterations))
            cfg = self.update_config(lambda c: c.with_changes(iterations=base + int(k)), owner)
            if self._snapshot.status in (JobStatus.FINISHED, JobStatus.STOPPED):
                self._revive()
            return cfg

    def rollback(self, iteration: int, owner: str | None = None) -> None:
        """Go back to the checkpoint at ``iteration`` and continue from there.

        A running job rolls back before its next pass, a paused one stays paused at
        ``iteration``, an ended one (even a failed one) starts again from there.
        """
        self._check(owner)
        with self._cv:
            if int(iteration) not in ckpt.list_checkpoints(self.run_dir):
                have = ", ".join(map(str, ckpt.list_checkpoints(self.run_dir))) or "none"
                raise EngineError(f"no checkpoint at iteration {iteration} (checkpoints: {have})")
            self._rollback_to = int(iteration)
            if self._snapshot.done:
                self._want = "run"
                self._revive()
            self._cv.notify_all()
        self._slots.wake()

    # convenience edits -------------------------------------------------
    def set_regularizer(self, name: str, *, enabled: bool | None = None, tau=None,
                        owner: str | None = None, **params):
        """Enable/disable regularizer ``name``, set its τ (a number or trajectory) or params."""

        def edit(cfg):
            regs = list(cfg.regularizers)
            i = _reg_index(regs, name)
            regs[i] = _edit_regularizer(regs[i], enabled=enabled, tau=tau, params=params)
            return cfg.with_changes(regularizers=tuple(regs))

        return self.update_config(edit, owner)

    def add_regularizer(self, regularizer, owner: str | None = None):
        def edit(cfg):
            if any(r.name == regularizer.name for r in cfg.regularizers):
                raise ConfigError(f"a regularizer named {regularizer.name!r} already exists")
            return cfg.with_changes(regularizers=tuple(cfg.regularizers) + (regularizer,))

        return self.update_config(edit, owner)

    def remove_regularizer(self, name: str, owner: str | None = None):
        def edit(cfg):
            regs = list(cfg.regularizers)
            del regs[_reg_index(regs, name)]
            return cfg.with_changes(regularizers=tuple(regs))

        return self.update_config(edit, owner)

    def set_modality_weights(self, weights: Mapping[str, float], owner: str | None = None):
        def edit(cfg):
            merged = dict(cfg.modality_weights or {})
            merged.update({k: float(v) for k, v in weights.items()})
            return cfg.with_changes(modality_weights=merged)

        return self.update_config(edit, owner)

    # ------------------------------------------------------------------ thread
    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"artm-job-{self.job_id}", daemon=False)
        self._thread.start()

    def _revive(self) -> None:
        t = self._thread
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join()  # the old thread is past its last publish; it ends promptly
        self._publish(status=JobStatus.QUEUED, error=None, traceback=None)
        self._slots.enqueue(self)
        self._spawn()

    def _publish(self, **changes) -> None:
        with self._cv:
            self._snapshot = replace(self._snapshot, updated_at=time.time(), **changes)
            self._cv.notify_all()

    def _queued_at(self, position: int) -> None:
        if self._snapshot.queue_position != position or self._snapshot.status != JobStatus.QUEUED:
            self._publish(status=JobStatus.QUEUED, queue_position=position)

    def _main(self) -> None:
        try:
            while True:
                self._publish(status=JobStatus.QUEUED, queue_position=self._slots.position(self))
                if not self._slots.acquire(self, lambda: self._want == "stop"):
                    return self._end(JobStatus.STOPPED)
                try:
                    self._publish(status=JobStatus.RUNNING, queue_position=None)
                    outcome = self._iterate()
                    if outcome == "pause":
                        self._checkpoint()
                finally:
                    self._slots.release(self)
                if outcome != "pause":
                    return self._end(outcome)
                with self._cv:
                    self._publish(status=JobStatus.PAUSED)
                    self._cv.wait_for(lambda: self._want != "pause" or self._rollback_to is not None)
                    if self._want == "stop":
                        stop = True
                    else:
                        stop = False
                if stop:
                    return self._end(JobStatus.STOPPED)
        except BaseException as e:  # noqa: BLE001 - a job must never lose an error
            self._fail(e)

    def _iterate(self) -> str:
        """Run passes until paused, stopped or done; returns "pause", "stopped" or "finished"."""
        while True:
            with self._cv:
                target, self._rollback_to = self._rollback_to, None
                want, config, version = self._want, self._config, self._config_version
            if target is not None:
                self._do_rollback(target)
                continue
            if want == "stop":
                return JobStatus.STOPPED
            if want == "pause":
                return "pause"
            if self._trainer is None:
                self._make_trainer(config)
            if self._iteration >= int(config.iterations):
                return JobStatus.FINISHED
            with self._model_lock:
                report = self._trainer.step(config)
            self._record(report, version)
            if self._checkpoint_due():
                self._checkpoint()

    def _make_trainer(self, config) -> None:
        cls = self._trainer_cls or _default_trainer_cls()
        if self._iteration > 0:  # revived after finish/stop: continue from its last checkpoint
            state, _ = ckpt.read_checkpoint(self.run_dir, self._iteration)
            trainer = cls.from_state(self.corpus, config, state)
        else:
            trainer = cls(self.corpus, config, phi0=self.phi0)
        if self._run is None:
            self._run = new_run(self.corpus, _config_dict(config), trainer.model, name=self.name,
                                run_id=self.run_id)
            for r in self._reports:  # a job restored from a checkpoint replays its history
                self._run.record(r)
        with self._model_lock:
            self._trainer = trainer
            self._final_model = None

    def _record(self, report: IterationReport, version: int) -> None:
        self._iteration = int(report.iteration)
        self._reports = self._reports + (report,)
        self._run.record(report)
        self._versions[self._iteration] = version
        recent = [r.seconds for r in self._reports[-5:]]
        spi = sum(recent) / len(recent) if recent else None
        total = int(self._config.iterations)
        names, top = self._top_tokens(self._trainer.model)
        self._publish(iteration=self._iteration, reports=self._reports, config_version=version,
                      total_iterations=total, seconds_per_iteration=spi,
                      eta_seconds=None if spi is None else spi * max(0, total - self._iteration),
                      topic_names=names, top_tokens=top)

    def _top_tokens(self, model: TopicModel) -> tuple[tuple, TopTokens]:
        """Top ``top_n`` (token, p) per topic and modality; argpartition over Φ, no copy of Φ."""
        phi = model.phi
        vocab = self.corpus.vocab
        if self._modality_rows is None:
            tm = np.asarray(model.token_modality)
            self._modality_rows = {m: (None if (tm == i).all() else np.flatnonzero(tm == i))
                                   for i, m in enumerate(model.modalities)}
            self._tokens = vocab["token"].to_numpy()
        out = {}
        for m, rows in self._modality_rows.items():
            sub = phi if rows is None else phi[rows]
            if sub.shape[0] == 0:
                continue
            k = min(self.top_n, sub.shape[0])
            part = np.argpartition(sub, sub.shape[0] - k, axis=0)[-k:]  # (k, T)
            vals = np.take_along_axis(sub, part, axis=0)
            order = np.argsort(-vals, axis=0, kind="stable")
            part = np.take_along_axis(part, order, axis=0)
            vals = np.take_along_axis(vals, order, axis=0)
            ids = part if rows is None else rows[part]
            toks = self._tokens[ids]
            out[m] = tuple(tuple((str(toks[j, t]), float(vals[j, t])) for j in range(k) if vals[j, t] > 0)
                           for t in range(sub.shape[1]))
        return tuple(model.topic_names), MappingProxyType(out)

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint_due(self) -> bool:
        if self.checkpoint_every and self._iteration % self.checkpoint_every == 0:
            return True
        return time.monotonic() - self._last_ckpt_time >= self.checkpoint_seconds

    def _meta(self) -> dict:
        return {"job_id": self.job_id, "run_id": self.run_id, "name": self.name,
                "config": _config_dict(self._config), "config_version": self._config_version,
                "reports": [_report_dict(r) for r in self._reports],
                "branches": [b.to_dict() for b in self._branches],
                "branch": self._run.branch if self._run is not None else 0}

    def _checkpoint(self) -> None:
        """Checkpoint the current iteration (no-op before the first pass or if it exists)."""
        if self._trainer is None or self._iteration == 0:
            return
        if self._iteration in self._checkpoints:
            self._last_ckpt_time = time.monotonic()
            return
        ckpt.write_checkpoint(self.run_dir, self._iteration, self._trainer.get_state(), self._meta())
        self._last_ckpt_time = time.monotonic()
        have = ckpt.list_checkpoints(self.run_dir)
        old = have[:-self.keep_checkpoints]
        ckpt.delete_checkpoints(self.run_dir, old)
        self._checkpoints = tuple(i for i in have if i not in old)
        self._publish(checkpoints=self._checkpoints)

    def _do_rollback(self, iteration: int) -> None:
        cls = self._trainer_cls or _default_trainer_cls()
        state, meta = ckpt.read_checkpoint(self.run_dir, iteration)
        trainer = cls.from_state(self.corpus, self._config, state)
        parent = self._run.branch
        new = self._run.start_branch(iteration)
        branch = Branch(branch=new, parent_branch=parent, from_iteration=iteration,
                        abandoned_at=self._iteration, at=self._run.lineage[-1]["at"])
        later = [i for i in ckpt.list_checkpoints(self.run_dir) if i > iteration]
        ckpt.delete_checkpoints(self.run_dir, later)
        with self._model_lock:
            self._trainer = trainer
            self._final_model = None
        self._iteration = iteration
        self._reports = tuple(r for r in self._reports if r.iteration <= iteration)
        self._branches = self._branches + (branch,)
        self._checkpoints = tuple(ckpt.list_checkpoints(self.run_dir))
        self._last_ckpt_time = time.monotonic()
        names, top = self._top_tokens(trainer.model)
        self._publish(iteration=iteration, reports=self._reports, branches=self._branches,
                      checkpoints=self._checkpoints, topic_names=names, top_tokens=top, saved=False,
                      total_iterations=int(self._config.iterations))

    # ------------------------------------------------------------------ ending
    def _end(self, status: str) -> None:
        saved = self._snapshot.saved
        if self._trainer is not None and self._iteration > 0:
            self._checkpoint()
            if self.save:
                self._save_run(status)
                saved = True
            with self._model_lock:
                self._final_model = self._trainer.model
                self._trainer = None  # Φ/Θ stay in _final_model; EM buffers are released
        with self._cv:
            self._want = "run"
            self._publish(status=status, saved=saved, queue_position=None, eta_seconds=None)

    def _fail(self, e: BaseException) -> None:
        tb = traceback.format_exc()
        msg = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        saved = self._snapshot.saved
        with self._model_lock:
            if self._trainer is not None:
                try:
                    self._final_model = self._trainer.model
                except Exception:  # noqa: BLE001 - the trainer may be broken; keep the error
                    self._final_model = None
            self._trainer = None
        if self.save and self._run is not None and self._final_model is not None and self._iteration > 0:
            try:  # keep what was learned, marked failed (Φ/Θ as the failing pass left them)
                self._save_run(JobStatus.FAILED, model=self._final_model, error=msg)
                saved = True
            except Exception as e2:  # noqa: BLE001
                tb += f"\nwhile saving the failed run: {type(e2).__name__}: {e2}"
        with self._cv:
            self._want = "run"
            self._publish(status=JobStatus.FAILED, error=msg, traceback=tb, queue_position=None,
                          eta_seconds=None, saved=saved)

    def _save_run(self, status: str, model: TopicModel | None = None, error: str | None = None) -> None:
        """Save the run (model, latest config, history with branches) in the workspace."""
        run = self._run
        run.model = model if model is not None else self._trainer.model
        run.config = _config_dict(self._config)
        run.status = status
        run.error = error
        save_run(self.workspace, run, replace=True)


# --------------------------------------------------------------------------- helpers

def _now() -> str:
    from .storage import now_iso

    return now_iso()


def _config_dict(config) -> dict:
    return config.to_dict() if hasattr(config, "to_dict") else dict(vars(config))


def _report_dict(r: IterationReport) -> dict:
    return {"iteration": int(r.iteration), "seconds": float(r.seconds),
            "tau": {k: float(v) for k, v in r.tau.items()},
            "scores": {k: (None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v))
                       for k, v in r.scores.items()}}


def _reg_index(regs: list, name: str) -> int:
    for i, r in enumerate(regs):
        if r.name == name:
            return i
    known = ", ".join(r.name for r in regs) or "none"
    raise ConfigError(f"no regularizer named {name!r} (regularizers: {known})")


def _edit_regularizer(reg, *, enabled=None, tau=None, params=None):
    """A copy of ``reg`` with ``enabled``/``tau``/params changed (dataclass replace, else dicts)."""
    changes: dict[str, Any] = {}
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if tau is not None:
        changes["tau"] = _as_trajectory(tau)
    changes.update(params or {})
    import dataclasses

    if dataclasses.is_dataclass(reg):
        try:
            return dataclasses.replace(reg, **changes)
        except TypeError as e:
            raise ConfigError(f"regularizer {reg.name!r}: {e}") from None
    d = reg.to_dict()
    d.update({k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in changes.items()})
    return type(reg).from_dict(d)


def _as_trajectory(tau):
    from .schedule import as_trajectory

    return as_trajectory(tau)


# --------------------------------------------------------------------------- registry

class JobRegistry:
    """Process-wide, thread-safe table of jobs keyed by run id.

    Share one instance per process (``default_registry()``; the app wraps it in
    ``st.cache_resource``). Sessions keep only job ids.
    """

    def __init__(self, slots: RunSlots | None = None, keep_ended: int = 50):
        self._lock = threading.Lock()
        self._jobs: dict[str, TrainingJob] = {}
        self._slots = slots or _SLOTS
        self.keep_ended = keep_ended

    def start(self, workspace, corpus, config, owner: str | None = None, name: str | None = None,
              phi0: np.ndarray | None = None, **job_options) -> str:
        """Create a job, queue it, return its id (= run id)."""
        job = TrainingJob(workspace, corpus, config, name=name, owner=owner, phi0=phi0,
                          slots=self._slots, **job_options)
        with self._lock:
            if job.job_id in self._jobs:
                raise EngineError(f"a job with id {job.job_id!r} already exists")
            self._jobs[job.job_id] = job
            self._prune()
        job.start(owner)
        return job.job_id

    def get(self, job_id: str) -> TrainingJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise EngineError(f"no job {job_id!r} in this process (it may have ended before a restart)")
        return job

    def __contains__(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._jobs

    def jobs(self) -> list[TrainingJob]:
        """All jobs, oldest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at)

    def jobs_for(self, owner: str) -> list[TrainingJob]:
        """Jobs ``owner`` may control, oldest first."""
        return [j for j in self.jobs() if owner in j.owners]

    def snapshots(self) -> list[Snapshot]:
        return [j.snapshot() for j in self.jobs()]

    def attach(self, job_id: str, owner: str) -> TrainingJob:
        """Let ``owner`` (a session that opened the job on purpose) control it too."""
        job = self.get(job_id)
        job.add_owner(owner)
        return job

    def control(self, job_id: str, owner: str, action: str, *args, **kwargs):
        """``registry.control(id, owner, "pause")`` ≡ ``registry.get(id).pause(*args, owner=owner)``."""
        allowed = {"start", "pause", "resume", "stop", "more", "rollback", "update_config",
                   "set_regularizer", "add_regularizer", "remove_regularizer", "set_modality_weights"}
        if action not in allowed:
            raise EngineError(f"unknown job action {action!r}")
        return getattr(self.get(job_id), action)(*args, owner=owner, **kwargs)

    def forget(self, job_id: str, owner: str | None = None) -> None:
        """Drop an ended job from the registry (its run stays on disk)."""
        job = self.get(job_id)
        job._check(owner)
        if not job.snapshot().done:
            raise EngineError(f"job {job_id!r} is still {job.snapshot().status}; stop it first")
        with self._lock:
            self._jobs.pop(job_id, None)

    def stop_all(self, timeout: float | None = None) -> None:
        """Stop every job (no owner check: for process shutdown) and wait for them."""
        jobs = self.jobs()
        for j in jobs:
            with j._cv:
                if not j.snapshot().done:
                    j._want = "stop"
                    j._cv.notify_all()
        self._slots.wake()
        deadline = None if timeout is None else time.monotonic() + timeout
        for j in jobs:
            j.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _prune(self) -> None:
        ended = sorted((j for j in self._jobs.values() if j.snapshot().done), key=lambda j: j.created_at)
        for j in ended[:max(0, len(ended) - self.keep_ended)]:
            self._jobs.pop(j.job_id, None)


_REGISTRY: JobRegistry | None = None
_REGISTRY_LOCK = threading.Lock()


def default_registry() -> JobRegistry:
    """The process-wide registry (created on first use; jobs are stopped at interpreter exit)."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry()
            _at_shutdown(lambda: _REGISTRY.stop_all(timeout=120))
        return _REGISTRY


def _at_shutdown(fn: Callable[[], None]) -> None:
    """Run ``fn`` when the interpreter shuts down, *before* it joins non-daemon threads."""
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(fn)
            return
        except RuntimeError:
            pass
    import atexit

    atexit.register(fn)


# --------------------------------------------------------------------------- CLI helper

def run_job_blocking(job: TrainingJob, on_report: Callable[[IterationReport], None] | None = None,
                     poll: float = 0.5) -> Snapshot:
    """Run ``job`` in the foreground: start it, call ``on_report`` for each pass, return the
    final snapshot. Ctrl-C (KeyboardInterrupt) stops the job cleanly — it checkpoints and saves
    the run — and waits for it; a second Ctrl-C propagates.
    """
    job.start()
    seen = 0

    def emit(snap: Snapshot) -> int:
        last = seen
        for r in snap.reports:
            if r.iteration > last and on_report is not None:
                on_report(r)
        return max([seen] + [r.iteration for r in snap.reports])

    try:
        while True:
            snap = job.wait_for(lambda s: s.done or s.iteration != seen, poll)
            seen = emit(snap)
            if snap.done:
                return snap
    except KeyboardInterrupt:
        job.stop()
        snap = job.wait()
        emit(snap)
        return snap
