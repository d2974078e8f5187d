"""The process-wide :class:`JobRegistry` and the foreground runner the CLI uses.

The registry is where ownership lives for a multi-user server: a job belongs to the session
(or signed-in user) that started it; others read its snapshots but control it only if the
owner shared it, and every control made by someone else is recorded as a :class:`JobEvent`
the owner's session shows. It also estimates when a queued job starts (:meth:`queue_eta`).
"""
from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine.errors import EngineError
from engine.em.model import IterationReport
from engine.jobs.job import TrainingJob
from engine.jobs.slots import PROCESS_SLOTS, RunSlots
from engine.jobs.snapshot import Snapshot

__all__ = ["JobEvent", "JobRegistry", "default_registry", "run_job_blocking", "CONTROLS"]

#: One INFO line per control the registry applies (for a server's log, and the steering bench:
#: "control <action> job=<id> iteration=<k> at=<unix time>"). Silent unless a handler is attached.
log = logging.getLogger("engine.jobs")

#: Actions :meth:`JobRegistry.control` accepts (methods of :class:`TrainingJob`).
CONTROLS = frozenset({"start", "pause", "resume", "stop", "more", "rollback", "update_config",
                      "set_regularizer", "add_regularizer", "remove_regularizer", "set_modality_weights"})


_CONFIG_EDITS = frozenset({"update_config", "set_regularizer", "add_regularizer", "remove_regularizer",
                           "set_modality_weights", "more"})


@dataclass(frozen=True)
class JobEvent:
    """One control applied to a job: who did what, when, and where the job was.

    ``iteration`` is the number of passes the job had completed when the control arrived;
    ``config_version`` the version a config edit created (passes report the version they used,
    so ``Snapshot.config_version >= event.config_version`` means a pass has used the edit).
    """

    at: float
    job_id: str
    actor: str
    action: str
    detail: str
    iteration: int
    config_version: int | None = None


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
        self._shared: set[str] = set()
        self._events: deque[JobEvent] = deque(maxlen=1000)

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

    def can_control(self, job_id: str, who: str | None) -> bool:
        """True if ``who`` owns job ``job_id`` (or attached to it), or its owner shared it."""
        job = self.get(job_id)
        return not job.owners or who in job.owners or job_id in self._shared

    def share(self, job_id: str, owner: str, shared: bool = True) -> None:
        """Let every session control job ``job_id`` (``shared=False`` takes that back).

        Only an owner may share; controls by others are then recorded as events for the owner.
        """
        job = self.get(job_id)
        job._check(owner)
        with self._lock:
            (self._shared.add if shared else self._shared.discard)(job_id)

    def is_shared(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._shared

    def control(self, job_id: str, owner: str, action: str, *args, **kwargs) -> JobEvent:
        """``registry.control(id, who, "pause")`` ≈ ``registry.get(id).pause(*args, owner=who)``.

        ``who`` may control the job if it owns it or the owner shared it (then the control is
        made on the owner's behalf and recorded for them). ``"rollback"`` goes back to the
        checkpoint and *stays* there: the job's target becomes that iteration, so it ends (and
        is saved) at the rolled-back state until someone asks for more iterations.

        Returns the :class:`JobEvent` recorded (with the iteration the job had reached).
        Raises JobPermissionError for anyone else and EngineError for an unknown action.
        """
        if action not in CONTROLS:
            raise EngineError(f"unknown job action {action!r}")
        job = self.get(job_id)
        acting = owner
        if job.owners and owner not in job.owners and self.is_shared(job_id):
            acting = sorted(job.owners)[0]  # on the owner's behalf; recorded below
        iteration = job.snapshot().iteration
        if action == "rollback":
            self._rollback_and_stay(job, int(args[0]), acting)
            version = None
        elif action in _CONFIG_EDITS and action != "more":
            with job._cv:  # the iteration the edit lands at: no pass may end between reading it and the edit
                iteration = job.snapshot().iteration
                getattr(job, action)(*args, owner=acting, **kwargs)
                version = job._config_version
        else:
            getattr(job, action)(*args, owner=acting, **kwargs)
            version = job._config_version if action in _CONFIG_EDITS else None
        event = JobEvent(at=time.time(), job_id=job_id, actor=owner or "", action=action,
                         detail=_describe(action, args, kwargs), iteration=iteration, config_version=version)
        with self._lock:
            self._events.append(event)
        log.info("control %s job=%s iteration=%d at=%.3f", action, job_id, iteration, event.at)
        return event

    @staticmethod
    def _rollback_and_stay(job: TrainingJob, iteration: int, owner: str | None) -> None:
        with job._cv:  # one step for the trainer thread: target and roll-back seen together
            job.rollback(iteration, owner)  # checks the checkpoint exists before anything changes
            job.update_config(lambda c: c.with_changes(iterations=iteration), owner)

    def events(self, job_id: str | None = None, since: float = 0.0) -> list[JobEvent]:
        """Recorded controls (of one job, or all), oldest first, newer than ``since``."""
        with self._lock:
            return [e for e in self._events if e.at > since and (job_id is None or e.job_id == job_id)]

    def events_for_owner(self, owner: str, since: float = 0.0) -> list[JobEvent]:
        """Controls others made on jobs ``owner`` owns, newer than ``since`` — what to tell them."""
        mine = {j.job_id for j in self.jobs() if owner in j.owners}
        return [e for e in self.events(since=since) if e.job_id in mine and e.actor != owner]

    def queue_eta(self, job_id: str) -> float | None:
        """Seconds until queued job ``job_id`` should get a run slot (None if it is not queued
        or nothing can be estimated yet).

        Each running job frees its slot after its own ETA; each job ahead in the queue then
        holds a slot for its planned passes × the mean seconds per pass of the running jobs.
        """
        job = self.get(job_id)
        queued = self._slots.queued_jobs()
        if job not in queued:
            return None
        running = [j.snapshot() for j in self._slots.running_jobs()]
        spi = [s.seconds_per_iteration for s in running if s.seconds_per_iteration]
        if len(running) >= self._slots.capacity and not all(s.eta_seconds is not None for s in running):
            return None
        free = [s.eta_seconds or 0.0 for s in running] + [0.0] * max(0, self._slots.capacity - len(running))
        heapq.heapify(free)
        mean_spi = sum(spi) / len(spi) if spi else None
        for ahead in queued[:queued.index(job)]:
            s = ahead.snapshot()
            if mean_spi is None:
                return None
            t = heapq.heappop(free)
            heapq.heappush(free, t + mean_spi * max(0, s.total_iterations - s.iteration))
        return float(free[0])

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


def _describe(action: str, args: tuple, kwargs: dict) -> str:
    """A short human description of a control, e.g. ``"10 more iterations"``."""
    if action == "more":
        return f"{args[0] if args else kwargs.get('k')} more iterations"
    if action == "rollback":
        return f"rolled back to iteration {args[0]}"
    if action in _CONFIG_EDITS:
        return "changed the settings (τ, regularizers or weights)"
    return {"pause": "paused", "resume": "resumed", "stop": "stopped", "start": "started"}.get(action, action)


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
