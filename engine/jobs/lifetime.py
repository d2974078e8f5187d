"""Process exit: every live job is stopped and saved before the interpreter joins threads."""
from __future__ import annotations

import atexit
import threading
import time
import weakref

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
