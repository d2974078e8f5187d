"""The controls of a :class:`~engine.jobs.job.TrainingJob` (pause, resume, stop, more, roll-back,
live config edits): each only sets state under the job's lock; the job thread picks it up
before its next pass."""
from __future__ import annotations

import time
from typing import Mapping

from engine.errors import ConfigError, EngineError
from engine.store import checkpoints as ckpt
from engine.jobs import edits
from engine.jobs.snapshot import JobPermissionError, JobStatus


class JobControls:
    """Mixin of :class:`~engine.jobs.job.TrainingJob`: its public controls."""

    def _check(self, owner: str | None) -> None:
        if self._owners and owner not in self._owners:
            raise JobPermissionError(
                f"job {self.job_id!r} belongs to another session; open it from the job list to control it here")

    def add_owner(self, owner: str) -> None:
        with self._cv:
            self._owners.add(owner)
            self._publish(owners=frozenset(self._owners))

    def start(self, owner: str | None = None) -> "TrainingJob":
        """Start the thread (queued until a run slot is free). A second call does nothing."""
        self._check(owner)
        with self._cv:
            if self._thread is None:
                if getattr(self, "_claim_on_start", False):  # a resumed run: refused (WorkspaceError)
                    self._hold_run_lock()                      # if another process trains it
                self._slots.enqueue(self)
                self._spawn()
        return self

    def pause(self, owner: str | None = None, at: int | None = None) -> None:
        """Pause before the next pass (a checkpoint is written, the run slot released).

        With ``at``, pause once ``at`` passes are done instead (a breakpoint; an earlier
        ``at`` than the current iteration pauses at the next boundary).
        """
        if at is None:
            self._control(owner, want="pause")
            return
        self._check(owner)
        with self._cv:
            self._pause_at = int(at)
            self._cv.notify_all()

    def resume(self, owner: str | None = None) -> None:
        """Continue a paused job (it queues for a run slot again)."""
        self._control(owner, want="run")

    def stop(self, owner: str | None = None) -> None:
        """Stop before the next pass; the run is checkpointed and saved."""
        self._control(owner, want="stop")

    def _request_stop(self) -> None:
        """Stop without an owner check (process shutdown, ``JobRegistry.stop_all``)."""
        with self._cv:
            if not self._snapshot.done:
                self._want = "stop"
                self._cv.notify_all()
        self._slots.wake()

    def _control(self, owner, want: str) -> None:
        self._check(owner)
        with self._cv:
            if self._snapshot.done:
                return
            self._want = want  # a resumed job's thread queues itself (RunSlots.acquire)
            self._cv.notify_all()
        self._slots.wake()

    def update_config(self, change, owner: str | None = None):
        """Replace the config atomically; the next pass uses it.

        ``change`` is a new ``ModelConfig`` or a function ``old -> new``. The number and groups
        of topics cannot change while a job lives. Returns the new config.
        """
        self._check(owner)
        with self._cv:
            old = self._config
            new = change(old) if callable(change) else change
            new.validate().check_corpus(self.corpus)
            for f in ("n_topics", "n_background", "family", "options"):
                if getattr(new, f, None) != getattr(old, f, None):
                    raise ConfigError(f"{f} cannot change during training (start a new run instead)")
            self._config = new
            self._config_version += 1
            self._version_times[self._config_version] = time.monotonic()
            self._publish(config=new, total_iterations=int(new.iterations))
            self._cv.notify_all()
            return new

    def more(self, k: int, owner: str | None = None):
        """``k`` more passes: a live job's target grows by ``k``; a finished or stopped job
        continues from where it ended for ``k`` passes."""
        if isinstance(k, bool) or int(k) < 1:
            raise ConfigError(f"more(k): k must be ≥ 1, got {k}")
        self._check(owner)
        with self._cv:
            if self._snapshot.status in (JobStatus.FINISHED, JobStatus.STOPPED):
                base = self._iteration
            else:
                base = max(self._iteration, int(self._config.iterations))
            cfg = self.update_config(lambda c: c.with_changes(iterations=base + int(k)), owner)
            if self._snapshot.status in (JobStatus.FINISHED, JobStatus.STOPPED):
                self._revive()
            elif self._want == "stop":
                self._want = "run"  # "k more" overrides a stop that has not taken effect yet
            return cfg

    def rollback(self, iteration: int, owner: str | None = None) -> None:
        """Go back to the checkpoint at ``iteration`` and continue from there.

        A running job rolls back before its next pass, a paused one stays paused at
        ``iteration``, an ended one (even a failed one) starts again from there. Raises
        EngineError if there is no such checkpoint; if a concurrent roll-back removes it before
        the job gets to it, the job goes on and ``Snapshot.notice`` says so.
        """
        self._check(owner)
        with self._cv:
            if int(iteration) not in ckpt.list_checkpoints(self.run_dir):
                have = ", ".join(map(str, ckpt.list_checkpoints(self.run_dir))) or "none"
                raise EngineError(f"no checkpoint at iteration {iteration} (checkpoints: {have})")
            self._rollback_to = int(iteration)
            if self._snapshot.done:
                self._want = "run"
                self._revive()
            elif self._want == "stop":
                self._want = "run"  # going back overrides a stop that has not taken effect yet
            self._cv.notify_all()
        self._slots.wake()

    # convenience edits (each is one update_config; see engine.jobs.edits) --------------
    def set_regularizer(self, name: str, *, enabled: bool | None = None, tau=None,
                        owner: str | None = None, **params):
        """Enable/disable regularizer ``name``, set its τ (a number, trajectory or its dict) or
        any of its parameters (``topics=...``, ``modalities=...``)."""
        return self.update_config(
            lambda c: edits.set_regularizer(c, name, enabled=enabled, tau=tau, **params), owner)

    def add_regularizer(self, regularizer, owner: str | None = None):
        """Add a regularizer (a Regularizer object or its dict); its name must be new."""
        return self.update_config(lambda c: edits.add_regularizer(c, regularizer), owner)

    def remove_regularizer(self, name: str, owner: str | None = None):
        return self.update_config(lambda c: edits.remove_regularizer(c, name), owner)

    def set_modality_weights(self, weights: Mapping[str, float], owner: str | None = None):
        """Change τ_m of the given modalities (others keep theirs)."""
        return self.update_config(lambda c: edits.set_modality_weights(c, weights), owner)
