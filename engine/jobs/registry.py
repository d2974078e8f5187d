"""The process-wide :class:`JobRegistry` and the foreground runner the CLI uses."""
from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np

from engine.errors import EngineError
from engine.em.model import IterationReport
from engine.jobs.job import TrainingJob
from engine.jobs.slots import PROCESS_SLOTS, RunSlots
from engine.jobs.snapshot import Snapshot

__all__ = ["JobRegistry", "default_registry", "run_job_blocking"]


class JobRegistry:
    """Process-wide, thread-safe table of jobs keyed by run id.

    Share one instance per process (``default_registry()``; the app wraps it in
    ``st.cache_resource``). Sessions keep only job ids.
    """

    def __init__(self, slots: RunSlots | None = None, keep_ended: int = 50):
        self._lock = threading.Lock()
        self._jobs: dict[str, TrainingJob] = {}
        self._slots = slots or PROCESS_SLOTS
        self.keep_ended = keep_ended

    def start(self, workspace, corpus, config, owner: str | None = None, name: str | None = None,
              phi0: np.ndarray | None = None, **job_options) -> str:
        """Create a job, queue it, return its id (= run id).

        ``job_options`` go to :class:`TrainingJob` (``run_id``, ``checkpoint_every``,
        ``checkpoint_seconds``, ``keep_checkpoints``, ``top_n``...). Invalid configs raise
        ConfigError here, before anything is queued.
        """
        job = TrainingJob(workspace, corpus, config, name=name, owner=owner, phi0=phi0,
                          slots=self._slots, **job_options)
        return self._add(job, owner)

    def continue_run(self, workspace, corpus, run_id: str, owner: str | None = None,
                     iteration: int | None = None, **job_options) -> str:
        """Continue run ``run_id`` from its newest checkpoint (or the one at ``iteration``) as a
        new job — a run saved earlier, or one whose process died mid-training."""
        job = TrainingJob.from_checkpoint(workspace, corpus, run_id, iteration, owner=owner,
                                          slots=self._slots, **job_options)
        return self._add(job, owner)

    def _add(self, job: TrainingJob, owner: str | None) -> str:
        with self._lock:
            old = self._jobs.get(job.job_id)
            if old is not None and not old.snapshot().done:
                raise EngineError(f"job {job.job_id!r} is already {old.snapshot().status} in this process")
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
            j._request_stop()
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
    """The process-wide registry (created on first use). Every job, in any registry, is stopped
    and saved at interpreter exit (see :func:`engine.jobs.job.stop_live_jobs`)."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry()
        return _REGISTRY


# --------------------------------------------------------------------------- CLI helper

def run_job_blocking(job: TrainingJob, on_report: Callable[[IterationReport], None] | None = None,
                     owner: str | None = None, poll: float = 0.5,
                     on_interrupt: Callable[[], None] | None = None) -> Snapshot:
    """Run ``job`` in the foreground (the CLI's ``train``): start it, call ``on_report`` for
    each finished pass, in order, from this thread, and return the final snapshot.

    Ctrl-C (KeyboardInterrupt, raised here or inside ``on_report``) stops the job cleanly — it
    finishes the pass in progress, checkpoints and saves the run — and waits for it; the
    snapshot then says ``"stopped"``. ``on_interrupt()`` is called first (e.g. to print
    "stopping after this iteration…"). A second Ctrl-C while waiting propagates; the job still
    stops and saves before the interpreter exits (its thread is not a daemon).

    A failed job does not raise here: check ``snapshot.status == "failed"`` and
    ``snapshot.error``.
    """
    last: list[IterationReport | None] = [None]  # the latest report passed to on_report

    def seen() -> int:
        return last[0].iteration if last[0] is not None else 0

    def emit(snap: Snapshot) -> None:
        for r in snap.reports[max(0, len(snap.reports) - (snap.iteration - seen()) - 1):]:
            if r.iteration > seen():
                last[0] = r
                if on_report is not None:
                    on_report(r)

    def emit_final(snap: Snapshot) -> None:
        """Scores a stopped job added to its last pass (those its ``every`` had skipped)."""
        emit(snap)
        sent = last[0]
        if snap.reports and sent is not None and snap.reports[-1].iteration == sent.iteration \
                and on_report is not None:
            final = snap.reports[-1]
            extra = {k: v for k, v in final.scores.items() if k not in sent.scores}
            if extra:
                on_report(IterationReport(iteration=final.iteration, seconds=0.0, tau={}, scores=extra))

    try:
        job.start(owner)
        while True:
            snap = job.wait_for(lambda s: s.done or s.iteration != seen(), poll)
            if snap.done:
                emit_final(snap)
                return snap
            emit(snap)
    except KeyboardInterrupt:
        job.stop(owner)
        if on_interrupt is not None:
            on_interrupt()
        snap = job.wait()
        try:
            emit_final(snap)
        except KeyboardInterrupt:
            pass
        return snap
