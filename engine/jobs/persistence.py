"""Checkpoints, roll-back and the end of a :class:`~engine.jobs.job.TrainingJob` (final scores,
the saved run, a failure kept with its traceback)."""
from __future__ import annotations

import copy
import threading
import time
import traceback
from dataclasses import replace

import numpy as np

from engine.em.model import IterationReport
from engine.em.trainer import Trainer
from engine.errors import WorkspaceError
from engine.store import checkpoints as ckpt
from engine.store.legacy import upgrade_config
from engine.store.locks import entry_lock
from engine.store.runs import read_run_manifest, save_run
from engine.jobs.edits import config_dict, report_dict
from engine.jobs.snapshot import Branch, JobStatus


class JobPersistence:
    """Mixin of :class:`~engine.jobs.job.TrainingJob`: what it writes to disk."""

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

    def _checkpoint(self, background: bool = False) -> None:
        """Checkpoint the current iteration (no-op before the first pass or if it exists).

        ``background``: the state is copied here (the trainer's arrays at this pass) and written
        by a writer thread while the next passes run; at most one write is in flight (a second
        checkpoint first waits for the first). The run's first checkpoint, which also saves the run
        so it is listed and resumable, is always written before the next pass. The folder appears atomically either way
        (:func:`engine.store.checkpoints.write_checkpoint`), and only then is it listed in the
        snapshot (a roll-back target) and are older ones pruned. A failed write fails the job at
        its next checkpoint or end (:meth:`_flush_writes`)."""
        self._flush_writes()
        if self._trainer is None or self._iteration == 0:
            return
        if self._iteration in self._checkpoints:
            self._last_ckpt_time = time.monotonic()
            return
        if self._deleted():
            return
        self._hold_run_lock()
        iteration, state, meta = self._iteration, self._trainer.get_state(), self._meta()
        first = None  # listed (and resumable) from its first checkpoint on
        if self.save and not getattr(self, "_saved_once", False) and not (self.run_dir / "manifest.json").exists():
            first = self._run_to_save(JobStatus.RUNNING)
        self._last_ckpt_time = time.monotonic()
        if not background or first is not None:  # the first one lists the run: written before the next pass
            self._write_checkpoint(iteration, state, meta, first)
            return
        self._writer = threading.Thread(target=self._write_checkpoint, args=(iteration, state, meta, first),
                                        name=f"artm-checkpoint-{self.job_id}", daemon=False)
        self._writer.start()

    def _flush_writes(self) -> None:
        """Wait for the checkpoint being written in the background; re-raise its error here."""
        writer = getattr(self, "_writer", None)
        if writer is not None:
            writer.join()
            self._writer = None
        error, self._write_error = getattr(self, "_write_error", None), None
        if error is not None:
            raise error

    def _write_checkpoint(self, iteration: int, state: dict, meta: dict, first) -> None:
        """Write one checkpoint (and the run's first save), then prune and publish the list."""
        try:
            ckpt.write_checkpoint(self.run_dir, iteration, state, meta)
            if first is not None:
                self._write_run(first)
            self._prune_checkpoints()
        except BaseException as e:  # noqa: BLE001 - re-raised on the training thread
            if threading.current_thread() is not getattr(self, "_writer", None):
                raise
            self._write_error = e

    def _prune_checkpoints(self) -> None:
        with self._cv:  # rollback() checks targets under this lock: never prune a pending one
            have = ckpt.list_checkpoints(self.run_dir)
            old = [i for i in have[:-self.keep_checkpoints] if i != self._rollback_to]
            ckpt.delete_checkpoints(self.run_dir, old)
            self._checkpoints = tuple(i for i in have if i not in old)
            self._publish(checkpoints=self._checkpoints)

    def _do_rollback(self, iteration: int) -> None:
        self._flush_writes()
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
        self._flush_writes()
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
            self._release_run_lock()
            self._publish(status=status, saved=saved, queue_position=None, eta_seconds=None)
            return True

    def _fail(self, e: BaseException) -> None:
        tb = traceback.format_exc()
        msg = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        saved = self._snapshot.saved
        try:
            self._flush_writes()  # a checkpoint still being written lands (or its error is noted)
        except Exception as e2:  # noqa: BLE001 - keep the first error
            tb += f"\nwhile writing a checkpoint: {type(e2).__name__}: {e2}"
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
            self._release_run_lock()
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

    def _hold_run_lock(self) -> None:
        """Hold the run folder's inter-process lock until the job ends: other processes cannot
        delete it meanwhile, and a run whose lock nobody holds is listed as interrupted."""
        if getattr(self, "_run_lock", None) is None:
            self._run_lock = entry_lock(self.run_dir, f"run {self.run_id!r} (training)")
            self._run_lock.__enter__()

    def _release_run_lock(self) -> None:
        lock, self._run_lock = getattr(self, "_run_lock", None), None
        if lock is not None:
            lock.__exit__(None, None, None)

    def _deleted(self) -> bool:
        """True when the run was saved once and its folder is gone: deleted while training; the
        job then stops writing (it would resurrect the run)."""
        gone = getattr(self, "_saved_once", False) and not (self.run_dir / "manifest.json").exists()
        if gone and not getattr(self, "_detached", False):
            self._detached = True
            self.save = False
            self._publish(notice=f"run {self.run_id} was deleted; this job no longer saves it")
        return gone

    def _save_run(self, status: str, error: str | None = None) -> None:
        """Save the run (model, latest config, history with branches) in the workspace."""
        if self._deleted():
            return
        self._write_run(self._run_to_save(status, error))

    def _run_to_save(self, status: str, error: str | None = None):
        """The run as it is now, detached from later passes: a shallow copy whose history frames,
        model arrays and lineage are never modified afterwards (a writer thread may save it)."""
        self._saved_once = True
        run = self._run
        run.model = replace(self._model, labels={**self._model.labels, **self.labels})
        run.config = config_dict(self._config)
        run.status = status
        run.error = error
        if self._trainer is not None:
            run.arrays = {k: np.array(v, copy=True) for k, v in self._trainer.extra_arrays().items()}
        return _detached(run)

    def _write_run(self, run) -> None:
        save_run(self.workspace, run, replace=True)


def _detached(run):
    """A shallow copy of ``run`` with its own lineage list (Run.record replaces its frames)."""
    out = copy.copy(run)
    out.lineage = [dict(e) for e in run.lineage]
    return out


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
