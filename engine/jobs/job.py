"""The :class:`TrainingJob`: one run's EM passes in a background thread, steerable live.

See :mod:`engine.jobs` for the concurrency policy, checkpoints and ownership rules.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from engine.em.config import ModelConfig
from engine.em.family import family_of
from engine.em.health import check_report
from engine.em.model import IterationReport, TopicModel
from engine.em.scores import score_set_for
from engine.em.trainer import Trainer
from engine.errors import ConfigError, EngineError, WorkspaceError
from engine.store import checkpoints as ckpt
from engine.store.budget import check_training_memory
from engine.store.locks import entry_lock
from engine.store.runs import new_run, new_run_id, run_path
from engine.store.workspace import validate_name
from engine.jobs.edits import config_dict, report_from_dict
from engine.jobs.snapshot import Branch, JobStatus, Snapshot, modality_rows
from engine.jobs.slots import PROCESS_SLOTS, RunSlots
from engine.jobs.controls import JobControls
from engine.jobs.lifetime import _watch, stop_live_jobs
from engine.jobs.persistence import JobPersistence, _checkpoint_config

__all__ = ["TrainingJob", "stop_live_jobs"]


class TrainingJob(JobControls, JobPersistence):
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
        Folder name of the run (default: :func:`engine.store.runs.new_run_id`).
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
    save : bool
        Save the run with ``engine.store.runs.save_run`` on finish/stop.
    exist_ok : bool
        Allow ``run_id`` of a run already in the workspace (it will be overwritten when this
        job saves; :meth:`from_checkpoint` sets it). Otherwise that raises WorkspaceError.
    labels : dict topic name -> label, optional
        Human topic labels stored with the saved model (every save, whoever watches the job).
    holdout : sparse matrix of shape (D', W), optional
        Held-out counts over the corpus vocabulary: adds held-out perplexity to the scores.

    The model family (E-step, extra scores, initial Φ) comes from ``config.family``
    (:mod:`engine.em.family`); the job always runs the one :class:`engine.em.trainer.Trainer`.
    """

    def __init__(self, workspace, corpus, config, *, name: str | None = None, run_id: str | None = None,
                 owner: str | None = None, phi0: np.ndarray | None = None, checkpoint_every: int = 10,
                 checkpoint_seconds: float = 30.0, keep_checkpoints: int = 10, top_n: int = 10,
                 slots: RunSlots | None = None, save: bool = True,
                 exist_ok: bool = False, labels: Mapping[str, str] | None = None, holdout=None):
        config.validate().check_corpus(corpus)
        family = family_of(config.family)
        if family.check_corpus is not None:
            family.check_corpus(corpus, config)
        self.memory = check_training_memory(corpus, config)  # refuses, with the numbers, what would not fit
        if phi0 is not None:
            shape = (corpus.n_tokens, config.total_topics)
            if np.shape(phi0) != shape:
                raise ConfigError(f"phi0 must have shape {shape} (tokens × topics), got {np.shape(phi0)}")
        self.workspace = workspace
        self.corpus = corpus
        self.run_id = validate_name(run_id, "run id") if run_id else new_run_id()
        self.job_id = self.run_id
        if run_id and not exist_ok and (self.run_dir / "manifest.json").exists():
            raise WorkspaceError(f"a run {run_id!r} already exists in {workspace.root}; "
                                 "continue it with from_checkpoint or pick another run id")
        self.name = name or self.run_id
        self.phi0 = phi0
        self.checkpoint_every = int(checkpoint_every)
        self.checkpoint_seconds = float(checkpoint_seconds)
        self.keep_checkpoints = max(1, int(keep_checkpoints))
        self.top_n = int(top_n)
        self.save = save
        self.labels = dict(labels or {})
        self.holdout = holdout
        self._slots = slots or PROCESS_SLOTS
        self._lock = threading.RLock()
        self._cv = threading.Condition(self._lock)
        self._model_lock = threading.Lock()
        self._owners: set[str] = {owner} if owner else set()
        self._config = config
        self._config_version = 0
        self._want = "run"  # "run" | "pause" | "stop"
        self._pause_at: int | None = None
        self._rollback_to: int | None = None
        self._thread: threading.Thread | None = None
        self._trainer = None
        self._model: TopicModel | None = None  # latest model; its arrays are never modified
        self._score_set = None
        self._score_key = None
        self._timeline: list[tuple] = []  # (iteration, config_version, started, ended), monotonic s
        self._version_times: dict[int, float] = {0: time.monotonic()}
        self._reports: tuple = ()
        self._branches: tuple = ()
        self._checkpoints: tuple = ()
        self._last_ckpt_time = time.monotonic()
        self._iteration = 0
        self._run = None  # engine.store.runs.Run: history with branches, saved on finish/stop
        self._modality_rows = None
        self.created_at = time.time()
        self._snapshot = Snapshot(job_id=self.job_id, run_id=self.run_id, name=self.name,
                                  status=JobStatus.QUEUED, iteration=0,
                                  total_iterations=int(config.iterations), config=config,
                                  owners=frozenset(self._owners), updated_at=time.time())

    @classmethod
    def from_checkpoint(cls, workspace, corpus, run_id: str, iteration: int | None = None,
                        **options) -> "TrainingJob":
        """A job that continues run ``run_id`` from its checkpoint at ``iteration`` (default: the
        newest) — e.g. after the process that trained it was killed. Call :meth:`start`."""
        folder = run_path(workspace, run_id)
        # under the run's lock: a process training this run refuses us before anything is read
        # or cleaned; start() takes the lock again and holds it until the job ends
        with entry_lock(folder, f"run {run_id!r} (training)"):
            ckpt.clean_partial(folder)
            have = ckpt.list_checkpoints(folder)
            if not have:
                raise EngineError(f"run {run_id!r} has no checkpoint to continue from")
            it = have[-1] if iteration is None else int(iteration)
            state, meta = ckpt.read_checkpoint(folder, it)
            config = ModelConfig.from_dict(_checkpoint_config(workspace, run_id, meta, state))
            options.setdefault("name", meta.get("name") or run_id)
            job = cls(workspace, corpus, config, run_id=run_id, exist_ok=True, **options)
        job._claim_on_start = True
        job._iteration = it
        job._reports = tuple(report_from_dict(r) for r in meta.get("reports", ()) if r["iteration"] <= it)
        job._branches = tuple(Branch.from_dict(b) for b in meta.get("branches", ()))
        job._checkpoints = tuple(have)
        job._snapshot = replace(job._snapshot, iteration=it, reports=job._reports,
                                branches=job._branches, checkpoints=job._checkpoints)
        return job

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
        """A private copy of the model after the latest pass (None before the first pass).

        Φ and Θ are copied here, on demand, under the model lock — never by the trainer thread.
        The trainer allocates new arrays in every pass, so this never waits for a pass to end.
        """
        with self._model_lock:
            m = self._model
            if m is None:
                return None
            return replace(m, phi=np.array(m.phi, copy=True), theta=np.array(m.theta, copy=True),
                           background=np.array(m.background, copy=True), n_t=np.array(m.n_t, copy=True),
                           topic_names=list(m.topic_names), labels=dict(m.labels))

    def timeline(self) -> list[dict]:
        """Per pass: iteration, config_version used, started/ended (``time.monotonic()``), and
        ``changed_at``, when that config version was set — the data behind latency numbers."""
        out = []
        for it, v, t0, t1 in list(self._timeline):
            out.append({"iteration": it, "config_version": v, "started": t0, "ended": t1,
                        "changed_at": self._version_times.get(v)})
        return out

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

    # ------------------------------------------------------------------ thread
    def _spawn(self) -> None:
        _watch(self)
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
        """Queue → run passes → pause (slot released, wait) / end; repeat until really ended."""
        try:
            while True:
                self._publish(status=JobStatus.QUEUED, queue_position=self._slots.position(self))
                if self._slots.acquire(self, lambda: self._want == "stop"):
                    try:
                        self._publish(status=JobStatus.RUNNING, queue_position=None)
                        outcome = self._iterate()
                        if outcome == "pause":
                            self._checkpoint()
                    finally:
                        self._slots.release(self)
                else:
                    outcome = JobStatus.STOPPED
                if outcome == "pause":
                    with self._cv:
                        self._publish(status=JobStatus.PAUSED)
                        self._cv.wait_for(lambda: self._want != "pause" or self._rollback_to is not None)
                        if self._want != "stop":
                            continue
                    outcome = JobStatus.STOPPED
                if self._end(outcome):
                    return
        except BaseException as e:  # noqa: BLE001 - a job must never lose an error
            self._fail(e)

    def _iterate(self) -> str:
        """Run passes until paused, stopped or done; returns "pause", "stopped" or "finished"."""
        while True:
            with self._cv:
                target, self._rollback_to = self._rollback_to, None
                if self._pause_at is not None and self._iteration >= self._pause_at and self._want == "run":
                    self._want, self._pause_at = "pause", None
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
            started = time.monotonic()
            report = self._trainer.step(config, score_fn=self._scores_for(config).compute)
            report = check_report(report, self._trainer.model,  # health scores; no mass → fails
                                  self._trainer.estep.theta_summary(), self._trainer.last_stats)
            self._timeline.append((int(report.iteration), version, started, time.monotonic()))
            self._set_model(self._trainer.model)
            self._record(report, version)
            if self._checkpoint_due():
                self._checkpoint(background=True)  # written while the next passes run

    def pass_progress(self) -> tuple[int, int] | None:
        """(units done, units) of the pass in progress when the E-step reports them (the batches
        of a corpus stored as batches: ``BatchedEStep.progress``), else None."""
        trainer = self._trainer
        return None if trainer is None else getattr(trainer.estep, "progress", None)

    def _make_trainer(self, config) -> None:
        if self._iteration > 0:  # revived after finish/stop: continue from its last checkpoint
            self._flush_writes()
            state, _ = ckpt.read_checkpoint(self.run_dir, self._iteration)
            trainer = Trainer.from_state(self.corpus, config, state)
        else:
            trainer = Trainer(self.corpus, config, phi0=self.phi0)
        if self._run is None:
            self._run = new_run(self.corpus, config_dict(config), trainer.model, name=self.name,
                                run_id=self.run_id)
            if self._branches:
                self._run.lineage = [{k: v for k, v in b.to_dict().items() if k != "abandoned_at"}
                                     for b in self._branches]
                self._run.branch = self._branches[-1].branch
            for r in self._reports:  # a job restored from a checkpoint replays its history
                self._run.record(r)
        self._set_trainer(trainer)

    def _set_trainer(self, trainer) -> None:
        old, self._trainer = self._trainer, trainer
        if old is not None and old is not trainer:
            old.close()  # its E-step worker threads
        if trainer is not None:
            self._set_model(trainer.model)

    def _set_model(self, model: TopicModel | None) -> None:
        with self._model_lock:
            self._model = model

    def _scores_for(self, config):
        """The run's ScoreSet (:func:`engine.em.scores.score_set_for`: ``config.scores``,
        held-out perplexity, the family's scores), rebuilt only when what it depends on changes
        (the score settings, or the regularizers' parameters a family score may read)."""
        key = (repr(sorted(config.scores.items())),
               repr([(r.kind, r.name, r.params()) for r in config.regularizers]))
        if self._score_set is None or key != self._score_key:
            self._score_set, self._score_key = score_set_for(config, self.corpus, self.holdout), key
        return self._score_set

    def _record(self, report: IterationReport, version: int) -> None:
        self._iteration = int(report.iteration)
        self._reports = self._reports + (report,)
        self._run.record(report)
        recent = [r.seconds for r in self._reports[-5:]]
        spi = sum(recent) / len(recent) if recent else None
        total = int(self._config.iterations)
        names, top = self._top_source(self._model)
        self._publish(iteration=self._iteration, reports=self._reports, config_version=version,
                      total_iterations=total, seconds_per_iteration=spi,
                      eta_seconds=None if spi is None else spi * max(0, total - self._iteration),
                      topic_names=names, top_source=top)

    def _top_source(self, model: TopicModel) -> tuple[tuple, tuple]:
        """(topic names, what Snapshot.top_tokens needs): references only, nothing computed."""
        if self._modality_rows is None:
            self._modality_rows = modality_rows(model.token_modality, model.modalities)
            self._tokens = self.corpus.vocab["token"].to_numpy()
        return tuple(model.topic_names), (model.phi, self._modality_rows, self._tokens, self.top_n)
