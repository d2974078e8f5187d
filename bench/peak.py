"""Peak resident memory of one process, never counting its parent's.

Linux's ``ru_maxrss`` of a process started by ``subprocess`` includes its parent's peak at the fork:
the forked copy's high-water mark is folded into the child's at ``exec`` (``exec_mmap`` →
``setmax_mm_hiwater_rss``). A bench driver that generated a 10⁶-document corpus (~1 GB) before
starting the training process made that process "peak" at 1,114 MiB although it never held more than
~530 MiB. ``VmHWM`` in ``/proc/<pid>/status`` belongs to the process's own address space (reset at
``exec``), so both functions here read it.

    own_peak_mib()                       # this process (call it last, in the measured process)
    with ChildPeak(proc.pid) as peak:    # a child: VmHWM polled every 20 ms until it exits
        proc.wait()
    peak.mib
"""
from __future__ import annotations

import threading
from pathlib import Path


def _hwm_kib(pid: int | str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def own_peak_mib() -> float:
    """VmHWM of this process, MiB."""
    return (_hwm_kib("self") or 0) / 1024


class ChildPeak:
    """VmHWM of process ``pid`` polled until it is gone (the last value read is the peak: VmHWM only
    grows; a rise in the last ``interval`` seconds of the child's life can be missed)."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval, self.kib = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._done.is_set():
            v = _hwm_kib(self.pid)
            if v is not None:
                self.kib = max(self.kib, v)
            self._done.wait(self.interval)

    def __enter__(self) -> "ChildPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        return self.kib / 1024
