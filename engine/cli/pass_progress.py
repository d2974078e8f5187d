"""Progress within a pass for ``train`` on a corpus stored as batches: a pass over 10⁷ documents
takes minutes, so the bar of :class:`engine.cli.common.ProgressBar` also follows the batches.

A daemon thread polls :meth:`engine.jobs.TrainingJob.pass_progress` (the batches the E-step has
finished) every ``every`` seconds and redraws one line on stderr, in the bar's style::

    [#########.....................] pass 1/1  batch 312/1000  41.2s  eta 90.6s
"""
from __future__ import annotations

import sys
import threading
import time


class PassTicker:
    """Redraws the batch bar while ``job`` trains; :meth:`stop` ends it (and clears the line)."""

    def __init__(self, job, total_passes: int, stream=None, force: bool = False, every: float = 0.5):
        self.job, self.total_passes, self.every = job, max(int(total_passes), 1), float(every)
        self.stream = stream or sys.stderr
        self.enabled = force or (hasattr(self.stream, "isatty") and self.stream.isatty())
        self._stop = threading.Event()
        self._pass: tuple[int, float] | None = None  # (pass, start time) of the bar's pass
        self._thread = threading.Thread(target=self._run, name="artm-pass-progress", daemon=True)

    def start(self) -> "PassTicker":
        if self.enabled:
            self._thread.start()
        return self

    def line(self) -> str | None:
        """The bar for the pass in progress; None before the E-step reports and between passes."""
        prog = self.job.pass_progress()
        if prog is None:
            return None
        done, total = prog
        current = self.job.snapshot().iteration + 1  # the pass being computed
        now = time.perf_counter()
        if done < total:
            if self._pass is None or self._pass[0] != current:
                self._pass = (current, now)
        elif self._pass is None or self._pass[0] != current:
            return None  # between passes (scores, checkpoint) or after the last one
        el = now - self._pass[1]
        eta = el / done * (total - done) if done else 0.0
        width, total = 30, max(int(total), 1)
        fill = int(width * min(done, total) / total)
        return (f"\r[{'#' * fill}{'.' * (width - fill)}] pass {min(current, self.total_passes)}/"
                f"{self.total_passes}  batch {done}/{total}  {el:5.1f}s  eta {eta:5.1f}s")

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            text = self.line()
            if text is not None:
                self.stream.write(text)
                self.stream.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()
