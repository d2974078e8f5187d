"""The :class:`TrainingJob`: one run's EM passes in a background thread, steerable live.

See :mod:`engine.jobs` for the concurrency policy, checkpoints and ownership rules.
"""
from __future__ import annotations

import atexit
import threading
import time
import traceback
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from engine.em.config import ModelConfig
from engine.em.family import family_of
from engine.em.model import IterationReport, TopicModel
from engine.em.scores import score_set_for
from engine.em.trainer import Trainer
from engine.errors import ConfigError, EngineError, WorkspaceError
from engine.store import checkpoints as ckpt
from engine.store.legacy import upgrade_config
from engine.store.runs import new_run, new_run_id, read_run_manifest, run_path, save_run
from engine.store.workspace import validate_name
from engine.jobs import edits
from engine.jobs.edits import config_dict, report_dict, report_from_dict
from engine.jobs.snapshot import Branch, JobPermissionError, JobStatus, Snapshot, modality_rows
from engine.jobs.slots import PROCESS_SLOTS, RunSlots

__all__ = ["TrainingJob"]


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
    held_out : sparse matrix of shape (D', W), optional
        Held-out counts over the corpus vocabulary: adds held-out perplexity to the scores.

    The model family (E-step, extra scores, initial Φ) comes from ``config.family``
    (:mod:`engine.em.family`); the job always runs the one :class:`engine.em.trainer.Trainer`.
    """

    def __init__(self, workspace, corpus, config, *, name: str | None = None, run_id: str | None = None,
                 owner: str | None = None, phi0: np.ndarray | None = None, checkpoint_every: int = 10,
                 checkpoint_seconds: float = 30.0, keep_checkpoints: int = 10, top_n: int = 10,
                 slots: RunSlots | None = None, save: bool = True,
                 exist_ok: bool = False, labels: Mapping[str, str] | None = None, held_out=None):
        config.validate().check_corpus(corpus)
        family = family_of(config.family)
        if family.check_corpus is not None:
            family.check_corpus(corpus, config)
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
        self.held_out = held_out
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
        ckpt.clean_partial(folder)
        have = ckpt.list_checkpoints(folder)
        if not have:
            raise EngineError(f"run {run_id!r} has no checkpoint to continue from")
        it = have[-1] if iteration is None else int(iteration)
        state, meta = ckpt.read_checkpoint(folder, it)
        config = ModelConfig.from_dict(_checkpoint_config(workspace, run_id, meta, state))
        options.setdefault("name", meta.get("name") or run_id)
        job = cls(workspace, corpus, config, run_id=run_id, exist_ok=True, **options)
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

    def pause(self, owner: str | None = None, at: int | None = None) -> None:
        """Pause before the next pass (a checkpoint is written, the run slot released).

        With ``at``, pause once ``at`` passes are done instead (a breakpoint; an earlier
        ``at`` than the current iteration pauses at the next boundary).
        """
        if at is None:
            self._control(owner, want="pause")
            return
        self._check(owner)
        with self._cv:
            self._pause_at = int(at)
            self._cv.notify_all()

    def resume(self, owner: str | None = None) -> None:
        """Continue a paused job (it queues for a run slot again)."""
        self._control(owner, want="run")

    def stop(self, owner: str | None = None) -> None:
        """Stop before the next pass; the run is checkpointed and saved."""
        self._control(owner, want="stop")

    def _request_stop(self) -> None:
        """Stop without an owner check (process shutdown, ``JobRegistry.stop_all``)."""
        with self._cv:
            if not self._snapshot.done:
                self._want = "stop"
                self._cv.notify_all()
        self._slots.wake()

    def _control(self, owner, want: str) -> None:
        self._check(owner)
        with self._cv:
            if self._snapshot.done:
                return
            self._want = want  # a resumed job's thread queues itself (RunSlots.acquire)
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
            new.validate().check_corpus(self.corpus)
            for f in ("n_topics", "n_background", "family", "options"):
                if getattr(new, f, None) != getattr(old, f, None):
                    raise ConfigError(f"{f} cannot change during training (start a new run instead)")
            self._config = new
            self._config_version += 1
            self._version_times[self._config_version] = time.monotonic()
            self._publish(config=new, total_iterations=int(new.iterations))
            self._cv.notify_all()
            return new

    def more(self, k: int, owner: str | None = None):
        """``k`` more passes: a live job's target grows by ``k``; a finished or stopped job
        continues from where it ended for ``k`` passes."""
        if isinstance(k, bool) or int(k) < 1:
            raise ConfigError(f"more(k): k must be ≥ 1, got {k}")
        self._check(owner)
        with self._cv:
            if self._snapshot.status in (JobStatus.FINISHED, JobStatus.STOPPED):
                base = self._iteration
            else:
                base = max(self._iteration, int(self._config.iterations))
            cfg = self.update_config(lambda c: c.with_changes(iterations=base + int(k)), owner)
            if self._snapshot.status in (JobStatus.FINISHED, JobStatus.STOPPED):
                self._revive()
            elif self._want == "stop":
                self._want = "run"  # "k more" overrides a stop that has not taken effect yet
            return cfg

    def rollback(self, iteration: int, owner: str | None = None) -> None:
        """Go back to the checkpoint at ``iteration`` and continue from there.

        A running job rolls back before its next pass, a paused one stays paused at
        ``iteration``, an ended one (even a failed one) starts again from there. Raises
        EngineError if there is no such checkpoint; if a concurrent roll-back removes it before
        the job gets to it, the job goes on and ``Snapshot.notice`` says so.
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
            elif self._want == "stop":
                self._want = "run"  # going back overrides a stop that has not taken effect yet
            self._cv.notify_all()
        self._slots.wake()

    # convenience edits (each is one update_config; see engine.jobs.edits) --------------
    def set_regularizer(self, name: str, *, enabled: bool | None = None, tau=None,
                        owner: str | None = None, **params):
        """Enable/disable regularizer ``name``, set its τ (a number, trajectory or its dict) or
        any of its parameters (``topics=...``, ``modalities=...``)."""
        return self.update_config(
            lambda c: edits.set_regularizer(c, name, enabled=enabled, tau=tau, **params), owner)

    def add_regularizer(self, regularizer, owner: str | None = None):
        """Add a regularizer (a Regularizer object or its dict); its name must be new."""
        return self.update_config(lambda c: edits.add_regularizer(c, regularizer), owner)

    def remove_regularizer(self, name: str, owner: str | None = None):
        return self.update_config(lambda c: edits.remove_regularizer(c, name), owner)

    def set_modality_weights(self, weights: Mapping[str, float], owner: str | None = None):
        """Change τ_m of the given modalities (others keep theirs)."""
        return self.update_config(lambda c: edits.set_modality_weights(c, weights), owner)

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
            self._timeline.append((int(report.iteration), version, started, time.monotonic()))
            self._set_model(self._trainer.model)
            self._record(report, version)
            if self._checkpoint_due():
                self._checkpoint()

    def _make_trainer(self, config) -> None:
        if self._iteration > 0:  # revived after finish/stop: continue from its last checkpoint
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
            self._score_set, self._score_key = score_set_for(config, self.corpus, self.held_out), key
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

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint_due(self) -> bool:
        if self.checkpoint_every and self._iteration % self.checkpoint_every == 0:
            return True
        return time.monotonic() - self._last_ckpt_time >= self.checkpoint_seconds

    def _meta(self) -> dict:
        return {"job_id": self.job_id, "run_id": self.run_id, "name": self.name,
                "config": config_dict(self._config), "config_version": self._config_version,
                "reports": [report_dict(r) for r in self._reports],
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
        with self._cv:  # rollback() checks targets under this lock: never prune a pending one
            have = ckpt.list_checkpoints(self.run_dir)
            old = [i for i in have[:-self.keep_checkpoints] if i != self._rollback_to]
            ckpt.delete_checkpoints(self.run_dir, old)
            self._checkpoints = tuple(i for i in have if i not in old)
            self._publish(checkpoints=self._checkpoints)

    def _do_rollback(self, iteration: int) -> None:
        try:
            state, _ = ckpt.read_checkpoint(self.run_dir, iteration)
        except WorkspaceError as e:  # removed since it was requested: keep going, say so
            self._publish(notice=f"roll-back to iteration {iteration} skipped: {e}")
            return
        trainer = Trainer.from_state(self.corpus, self._config, state)
        parent = self._run.branch
        new = self._run.start_branch(iteration)
        branch = Branch(branch=new, parent_branch=parent, from_iteration=iteration,
                        abandoned_at=self._iteration, at=self._run.lineage[-1]["at"])
        with self._cv:  # the later checkpoints belong to the abandoned branch
            ckpt.delete_checkpoints(self.run_dir, [i for i in ckpt.list_checkpoints(self.run_dir) if i > iteration])
            if self._rollback_to is not None and self._rollback_to > iteration:
                self._publish(notice=f"roll-back to iteration {self._rollback_to} skipped: that checkpoint "
                                     f"was on the branch abandoned by the roll-back to {iteration}")
                self._rollback_to = None
        self._set_trainer(trainer)
        self._iteration = iteration
        self._reports = tuple(r for r in self._reports if r.iteration <= iteration)
        self._branches = self._branches + (branch,)
        self._checkpoints = tuple(ckpt.list_checkpoints(self.run_dir))
        self._last_ckpt_time = time.monotonic()
        names, top = self._top_source(trainer.model)
        self._publish(iteration=iteration, reports=self._reports, branches=self._branches,
                      checkpoints=self._checkpoints, topic_names=names, top_source=top, saved=False,
                      total_iterations=int(self._config.iterations))

    # ------------------------------------------------------------------ ending
    def _end(self, status: str) -> bool:
        """Final scores (stop), checkpoint, save, release the trainer, publish ``status``.

        Returns False — and publishes nothing — if, while it saved, a control asked for more:
        ``more(k)``, ``rollback(i)``, or ``resume`` after a ``stop``; the thread then goes on.
        """
        saved = self._snapshot.saved
        if self._trainer is not None and self._iteration > 0:
            if status == JobStatus.STOPPED:
                self._final_scores()
            self._checkpoint()
            if self.save:
                self._save_run(status)
                saved = True
        self._set_trainer(None)  # Φ/Θ stay in self._model; EM buffers and threads are released
        with self._cv:
            if self._want == "run" and (self._rollback_to is not None
                                        or self._iteration < int(self._config.iterations)):
                self._publish(saved=saved)
                return False
            self._want = "run"
            self._publish(status=status, saved=saved, queue_position=None, eta_seconds=None)
            return True

    def _fail(self, e: BaseException) -> None:
        tb = traceback.format_exc()
        msg = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        saved = self._snapshot.saved
        if self.save and self._run is not None and self._model is not None and self._iteration > 0:
            try:  # keep the model of the last completed pass, marked failed
                self._save_run(JobStatus.FAILED, error=msg)
                saved = True
            except Exception as e2:  # noqa: BLE001
                tb += f"\nwhile saving the failed run: {type(e2).__name__}: {e2}"
        try:
            self._set_trainer(None)
        except Exception:  # noqa: BLE001 - the trainer may be broken; keep the first error
            self._trainer = None
        with self._cv:
            self._want = "run"
            self._publish(status=JobStatus.FAILED, error=msg, traceback=tb, queue_position=None,
                          eta_seconds=None, saved=saved)

    def _final_scores(self) -> None:
        """On stop: compute, on the last pass, the scores its ``every`` schedule skipped."""
        ctx = self._trainer.last_context if self._trainer is not None else None
        if ctx is None or not self._reports or ctx.iteration != self._iteration:
            return
        last = self._reports[-1]
        values = self._scores_for(self._config).compute(replace(ctx, last=True))
        extra = {k: v for k, v in values.items() if k not in last.scores}
        if not extra:
            return
        self._run.record(IterationReport(iteration=last.iteration, seconds=0.0, tau={}, scores=extra))
        self._reports = self._reports[:-1] + (replace(last, scores={**last.scores, **extra}),)
        self._publish(reports=self._reports)

    def _save_run(self, status: str, error: str | None = None) -> None:
        """Save the run (model, latest config, history with branches) in the workspace."""
        run = self._run
        run.model = replace(self._model, labels={**self._model.labels, **self.labels})
        run.config = config_dict(self._config)
        run.status = status
        run.error = error
        if self._trainer is not None:
            run.arrays = self._trainer.extra_arrays()
        save_run(self.workspace, run, replace=True)


def _checkpoint_config(workspace, run_id: str, meta: dict, state: dict) -> dict:
    """The config of a checkpoint; one written before configs named their family gets it from
    the trainer state's old context options, else from the run's manifest."""
    cfg = dict(meta["config"])
    if "family" in cfg:
        return cfg
    if isinstance(state.get("context"), dict):
        return upgrade_config(cfg, context=state["context"])
    try:
        saved = read_run_manifest(workspace, run_id).get("config") or {}
    except WorkspaceError:  # never saved: the checkpoint is all there is
        return cfg
    if saved.get("family", "standard") != "standard":
        cfg.update(family=saved["family"], options=saved.get("options") or {})
    return cfg


# --------------------------------------------------------------------------- process exit

_LIVE_JOBS: "weakref.WeakSet[TrainingJob]" = weakref.WeakSet()
_HOOK_LOCK = threading.Lock()
_HOOKED = False


def stop_live_jobs(timeout: float = 120.0) -> None:
    """Stop every job of this process and wait (up to ``timeout`` s) for their saves.

    Registered to run when the interpreter shuts down, *before* it joins non-daemon threads, so
    a job thread never keeps a finished program alive and never loses its run.
    """
    jobs = list(_LIVE_JOBS)
    for job in jobs:
        job._request_stop()
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.join(max(0.0, deadline - time.monotonic()))


def _watch(job: TrainingJob) -> None:
    global _HOOKED
    with _HOOK_LOCK:
        _LIVE_JOBS.add(job)
        if not _HOOKED:
            register = getattr(threading, "_register_atexit", None)  # runs before the joins
            try:
                if register is None:
                    raise RuntimeError
                register(stop_live_jobs)
            except RuntimeError:
                atexit.register(stop_live_jobs)
            _HOOKED = True
