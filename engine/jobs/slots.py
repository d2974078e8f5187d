"""Admission control: how many jobs run EM at once in this process (see :mod:`engine.jobs`)."""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable

from ..errors import ConfigError

__all__ = ["RunSlots", "PROCESS_SLOTS"]


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



#: The process-wide slots every registry and job shares by default: one job runs EM at a time.
PROCESS_SLOTS = RunSlots(1)
