"""Inter-process locks on workspace entries (a corpus, a run, a checkpoint folder).

One lock per entry path, as a file held with :mod:`filelock` (``fcntl.flock`` on POSIX: the
kernel releases it when the holder dies, so a killed process never leaves a stale lock). Lock
files live outside the workspace, in ``<temp>/artm-studio-locks/<hash of the entry's parent
folder>/<name>.lock`` (``$ARTM_STUDIO_LOCK_DIR`` overrides ``<temp>/artm-studio-locks``), so a
refused command leaves the workspace byte-for-byte unchanged. Writers hold the lock from the existence check to the final rename
(:func:`engine.store.workspace.atomic_dir` takes it again at the swap, re-entrantly), so two
imports of one name cannot both succeed; recovery (:mod:`engine.store.recovery`) only touches
entries whose lock it can take, so it never undoes a write in progress.

Locks are re-entrant within a process (one ``FileLock`` object per path, with a counter); a
forked child starts with none of its parent's locks.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from pathlib import Path

from filelock import FileLock, Timeout

from engine.errors import WorkspaceError

LOCKS_DIR = ".locks"  # name of no workspace folder; kept for callers that skip it
_ENV = "ARTM_STUDIO_LOCK_DIR"
_cache: dict[str, FileLock] = {}
_cache_guard = threading.Lock()


def _forget_inherited() -> None:
    """In a forked child: drop the parent's lock objects (the child holds none of its locks, and
    filelock refuses to use an instance inherited across fork)."""
    global _cache_guard
    _cache.clear()
    _cache_guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited)


def lock_path(target: Path) -> Path:
    """The lock file of the entry ``target`` (outside the workspace, see the module docstring)."""
    target = Path(target)
    parent = os.path.realpath(target.parent)
    base = Path(os.environ.get(_ENV) or Path(tempfile.gettempdir()) / "artm-studio-locks")
    return base / hashlib.sha256(parent.encode()).hexdigest()[:24] / f"{target.name}.lock"


def _lock_of(target: Path) -> FileLock:
    path = lock_path(target)
    key = str(path)
    with _cache_guard:
        lock = _cache.get(key)
        if lock is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = _cache[key] = FileLock(str(path), thread_local=False)
        return lock


@contextlib.contextmanager
def entry_lock(target: Path, what: str | None = None, timeout: float = 0.0):
    """Hold the lock of entry ``target`` for the ``with`` block.

    Parameters
    ----------
    target : Path
        The entry's folder (need not exist yet).
    what : str, optional
        How to name the entry in the error ("corpus 'news'").
    timeout : float
        Seconds to wait for another holder; 0 = fail at once.

    Raises
    ------
    WorkspaceError
        Another process holds the lock: the message names the entry and says to retry.
    """
    lock = _lock_of(Path(target))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        name = what or f"{target.name!r} in {target.parent}"
        raise WorkspaceError(f"{name} is being written by another process (import, training or delete); "
                             "wait for it to finish and try again") from None
    try:
        yield
    finally:
        lock.release()


def is_locked(target: Path) -> bool:
    """True when another process (or this one) holds the lock of ``target``."""
    if not lock_path(target).exists():
        return False
    lock = _lock_of(target)
    if lock.is_locked:
        return True
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


__all__ = ["entry_lock", "is_locked", "lock_path", "LOCKS_DIR"]
