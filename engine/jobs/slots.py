"""Admission control: how many jobs run EM at once in this process (see :mod:`engine.jobs`)."""
from __future__ import annotations

import os
import threading
import warnings
from collections import deque
from typing import Callable

from engine.errors import ConfigError

__all__ = ["RunSlots", "PROCESS_SLOTS", "default_capacity"]

#: Environment variable that sets how many jobs may run EM at once in one process.
CAPACITY_ENV = "ARTM_STUDIO_MAX_JOBS"


def default_capacity() -> int:
    """Jobs that may train at once: ``$ARTM_STUDIO_MAX_JOBS``, else the number of cores.

    A bad value raises ConfigError naming the variable (a server must not start with a typo).
    """
    raw = os.environ.get(CAPACITY_ENV, "").strip()
    if not raw:
        return max(1, os.cpu_count() or 1)
    try:
        n = int(raw)
    except ValueError:
        raise ConfigError(f"{CAPACITY_ENV} must be a whole number ≥ 1, got {raw!r}") from None
    if n < 1:
        raise ConfigError(f"{CAPACITY_ENV} must be ≥ 1, got {n}")
    return n


class RunSlots:
    """FIFO admission: at most ``capacity`` jobs hold a slot (run EM) at once.

    Lock order: a job may call into its slots while holding its own lock (enqueue on start or
    resume), so the slots never call back into a job while holding theirs — the queue position
    is published after the slots lock is released.
    """

    def __init__(self, capacity: int = 1):
        if capacity < 1:
            raise ConfigError(f"capacity must be ≥ 1, got {capacity}")
        self.capacity = capacity
        self._cv = threading.Condition()
        self._queue: deque = deque()
        self._running: set = set()
        self._generation = 0  # bumped on every change, so a waiter never misses one

    def _changed(self) -> None:
        self._generation += 1
        self._cv.notify_all()

    def enqueue(self, job: "TrainingJob") -> None:
        """Put ``job`` at the back of the queue (no-op if it is queued or running). Called from
        the thread that starts/resumes the job, so the queue order is the order of the calls."""
        with self._cv:
            if job not in self._queue and job not in self._running:
                self._queue.append(job)
                self._changed()

    def acquire(self, job: "TrainingJob", cancelled: Callable[[], bool]) -> bool:
        """Wait for a slot; False if ``cancelled()`` became true first (checked on every wake)."""
        self.enqueue(job)
        try:
            while True:
                with self._cv:
                    if cancelled():
                        return False
                    if self._queue[0] is job and len(self._running) < self.capacity:
                        self._queue.popleft()
                        self._running.add(job)
                        self._changed()
                        return True
                    position, seen = self._queue.index(job) + 1, self._generation
                job._queued_at(position)  # takes the job's lock: outside ours
                with self._cv:
                    if self._generation == seen:
                        self._cv.wait(0.25)
        finally:
            with self._cv:
                if job in self._queue:
                    self._queue.remove(job)
                    self._changed()

    def release(self, job: "TrainingJob") -> None:
        with self._cv:
            self._running.discard(job)
            self._changed()

    def wake(self) -> None:
        """Make waiting jobs re-check (e.g. after a stop request)."""
        with self._cv:
            self._changed()

    def position(self, job: "TrainingJob") -> int | None:
        with self._cv:
            return self._queue.index(job) + 1 if job in self._queue else None

    @property
    def running(self) -> int:
        with self._cv:
            return len(self._running)

    def running_jobs(self) -> list:
        """Jobs holding a slot now."""
        with self._cv:
            return list(self._running)

    def queued_jobs(self) -> list:
        """Jobs waiting for a slot, next first."""
        with self._cv:
            return list(self._queue)

    def set_capacity(self, capacity: int) -> None:
        """Change how many jobs may hold a slot (waiting jobs re-check at once)."""
        if capacity < 1:
            raise ConfigError(f"capacity must be ≥ 1, got {capacity}")
        with self._cv:
            self.capacity = int(capacity)
            self._changed()


#: The process-wide slots every registry and job shares by default: as many jobs run EM at once
#: as :func:`default_capacity` allows (one per core unless ``$ARTM_STUDIO_MAX_JOBS`` says otherwise).
#: The EM kernels use no numba ``parallel=True`` (see :mod:`engine.em._kernels`), so concurrent
#: jobs in threads are safe; each then gets a share of the cores.
def _process_capacity() -> int:
    try:
        return default_capacity()
    except ConfigError as e:  # at import: say it, keep serving with one job per core
        warnings.warn(f"{e}; using {os.cpu_count() or 1}", stacklevel=2)
        return max(1, os.cpu_count() or 1)


PROCESS_SLOTS = RunSlots(_process_capacity())
