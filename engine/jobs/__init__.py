"""Background training jobs: live control, immutable snapshots, checkpoints, a process registry.

A :class:`TrainingJob` runs the EM passes of one run in its own thread (never a Streamlit call
in it). Between two passes it reads the controls, runs the pass with the *current*
:class:`~engine.em.config.ModelConfig`, records the τ it applied, publishes a :class:`Snapshot` and
checkpoints to disk when due. Controls (pause, resume, stop, more iterations, regularizer and
modality-weight edits, rollback) only set state under a lock; the trainer thread picks them up
before its next pass, so a change made during pass *k* is used by pass *k + 1* — a latency of at
most one iteration. The thread never waits for a reader: a snapshot is an immutable object whose
reference is swapped after each pass; it shares the pass's Φ (which the trainer never modifies
afterwards), the reader computes the top tokens from it on first access, and Φ and Θ are copied
only when someone calls :meth:`TrainingJob.model_view`.

Concurrency policy
------------------
At most **one job runs EM at a time per process** (``RunSlots(capacity=1)``, shared by every
registry); other started jobs wait in FIFO order, and ``Snapshot.queue_position`` (1 = next)
shows where they are. Why: the machine has 2 cores and each pass already runs its ``nogil``
numba kernels on ``config.threads`` worker threads, i.e. on every core; a second job at the same
time would only time-slice those cores — both would run at half speed, every live control would
take twice as long to apply, and the memory would double — and numba's parallel threading layers
(should a kernel ever use ``prange``) are not safe to enter from several threads at once (the
``workqueue`` layer aborts). A paused job gives its slot up and goes to the back of the queue
when resumed; a stop request also removes a queued job. Jobs never share mutable state: each
owns its trainer, its config reference and its run folder, so two jobs started together cannot
corrupt each other (``test_two_concurrent_jobs...`` checks their Φ bit for bit).

Checkpoints
-----------
Written atomically under ``<root>/runs/<run_id>/checkpoints/iter_NNNN/`` (see
:mod:`engine.store.checkpoints`) every ``checkpoint_every`` passes (default 10) or when
``checkpoint_seconds`` (default 30 s) have passed since the last one, and on pause, stop and
finish. The newest ``keep_checkpoints`` (default 10) are kept. :meth:`TrainingJob.rollback`
restores one and continues from it; the abandoned later checkpoints are deleted and
``Snapshot.branches`` (and the run's ``lineage``) record the branch. On finish or stop the run is
saved with :func:`engine.store.runs.save_run` (loadable with ``load_run``). An exception in the thread
ends the job as "failed" with the message and traceback in its snapshot; the run is saved with
status "failed" (model of the last completed pass); the process and other jobs go on.
:meth:`JobRegistry.continue_run` / :meth:`TrainingJob.from_checkpoint` continue a run from its
newest checkpoint, e.g. after the process was killed (a half-written checkpoint is never listed).

Lifetime
--------
Job threads are not daemons, but the first job started registers a shutdown hook that runs
before the interpreter joins them (:func:`engine.jobs.job.stop_live_jobs`): every job, paused or
running, in any registry, is stopped (the pass in progress ends, a checkpoint is written, the
run saved) and the process exits. :func:`run_job_blocking` is the CLI's way in:
Ctrl-C stops the job the same way.

Ownership
---------
A job records the sessions (``owner`` strings) allowed to control it: the one that started it
and any that :meth:`JobRegistry.attach` on purpose. Anyone may read snapshots; a control from
another owner raises :class:`JobPermissionError`. A job started without an owner (the CLI)
accepts every control. In the app, ``owner`` is a per-session id, the registry is
``default_registry()`` behind ``st.cache_resource``, and a session stores only job ids; a
refreshed tab lists ``registry.snapshots()`` and attaches to the job the user picks.
"""
from engine.jobs.job import TrainingJob
from engine.jobs.registry import JobRegistry, default_registry, run_job_blocking
from engine.jobs.slots import PROCESS_SLOTS, RunSlots
from engine.jobs.snapshot import (
    Branch, JobPermissionError, JobStatus, Snapshot, top_tokens_by_modality,
)

__all__ = ["JobStatus", "JobPermissionError", "Branch", "Snapshot", "TrainingJob", "RunSlots",
           "PROCESS_SLOTS", "JobRegistry", "default_registry", "run_job_blocking",
           "top_tokens_by_modality"]
