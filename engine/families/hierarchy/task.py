"""A background thread for long family workflows (a hierarchy, a topic-count sweep).

``Task(fn)`` runs ``fn(progress, should_stop)`` in a daemon thread; ``progress(dict)`` appends an
event, ``should_stop()`` turns true after :meth:`Task.stop`. The exception, if any, is kept as
text in :attr:`Task.error` (never lost); the return value in :attr:`Task.result`.
"""
from __future__ import annotations

import threading
import time
import traceback
import uuid
from typing import Any, Callable


class Task:
    def __init__(self, fn: Callable[[Callable[[dict], None], Callable[[], bool]], Any], kind: str = "task"):
        self.task_id = uuid.uuid4().hex[:12]
        self.kind = kind
        self._fn = fn
        self._lock = threading.Lock()
        self._events: list[dict] = []
        self._stop = threading.Event()
        self.status = "queued"
        self.result: Any = None
        self.error: str | None = None
        self.started = time.time()
        self._thread = threading.Thread(target=self._run, name=f"artm-{kind}-{self.task_id}", daemon=True)

    def start(self) -> "Task":
        self.status = "running"
        self._thread.start()
        return self

    def _progress(self, event: dict) -> None:
        with self._lock:
            self._events.append(dict(event))

    def _run(self) -> None:
        try:
            self.result = self._fn(self._progress, self._stop.is_set)
            self.status = "stopped" if self._stop.is_set() else "finished"
        except Exception as e:  # noqa: BLE001 - kept for the UI, never lost
            self.error = str(e) or type(e).__name__
            self.status = "stopped" if self._stop.is_set() else "failed"
            self._progress({"traceback": traceback.format_exc(limit=5)})

    @property
    def events(self) -> list[dict]:
        with self._lock:
            return list(self._events)

    @property
    def done(self) -> bool:
        return self.status in ("finished", "failed", "stopped")

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
