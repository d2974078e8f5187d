"""Background training jobs: live control, immutable snapshots, checkpoints, a process registry.

A :class:`TrainingJob` runs the EM passes of one run in its own thread (never a Streamlit call
in it). Between two passes it reads the controls, runs the pass with the *current*
:class:`~engine.config.ModelConfig`, records the τ it applied, publishes a :class:`Snapshot` and
checkpoints to disk when due. Controls (pause, resume, stop, more iterations, regularizer and
modality-weight edits, rollback) only set state under a lock; the trainer thread picks them up
before its next pass, so a change made during pass *k* is used by pass *k + 1* — a latency of at
most one iteration. The thread never waits for a reader: a snapshot is an immutable object whose
reference is swapped after each pass; Φ and Θ are copied only when someone calls
:meth:`TrainingJob.model_view`.

Concurrency policy
------------------
At most **one job runs EM at a time per process** (``RunSlots(capacity=1)``, shared by every
registry); other started jobs wait in FIFO order, and ``Snapshot.queue_position`` (1 = next)
shows where they are. Why: the machine has 2 cores and each pass already uses
``config.threads`` numba worker threads; numba's threading layers do not promise that parallel
regions launched from several Python threads at once are safe (the ``workqueue`` layer aborts);
and two jobs sharing the cores would each run at half speed, doubling the latency of live
controls. A paused job gives its slot up and goes to the back of the queue when resumed; a stop
request also removes a queued job. Jobs never share mutable state: each owns its trainer, its
config reference and its run folder, so two jobs started together cannot corrupt each other.

Checkpoints
-----------
Written atomically under ``<root>/runs/<run_id>/checkpoints/iter_NNNN/`` (see
:mod:`engine.checkpoint`) every ``checkpoint_every`` passes (default 10) or when
``checkpoint_seconds`` (default 30 s) have passed since the last one, and on pause, stop and
finish. The newest ``keep_checkpoints`` (default 10) are kept. :meth:`TrainingJob.rollback`
restores one and continues from it; the abandoned later checkpoints are deleted and
``Snapshot.branches`` records the branch. On finish or stop the run is saved with
:func:`engine.run.save_run` (loadable with ``load_run``); a failed job keeps its checkpoints
and the error (message and traceback) in its snapshot.

Ownership
---------
A job records the sessions (``owner`` strings) allowed to control it: the one that started it
and any that :meth:`JobRegistry.attach` on purpose. Anyone may read snapshots; a control from
another owner raises :class:`JobPermissionError`. A job started without an owner (the CLI)
accepts every control.
"""
from .job import TrainingJob
from .registry import JobRegistry, default_registry, run_job_blocking
from .slots import PROCESS_SLOTS, RunSlots
from .snapshot import Branch, JobPermissionError, JobStatus, Snapshot, top_tokens_by_modality

__all__ = ["JobStatus", "JobPermissionError", "Branch", "Snapshot", "TrainingJob", "RunSlots",
           "PROCESS_SLOTS", "JobRegistry", "default_registry", "run_job_blocking",
           "top_tokens_by_modality"]
