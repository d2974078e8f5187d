"""Issue 14: a job's periodic checkpoints are written by a writer thread while the next passes run
(the run's first one, which lists the run, before the next pass); their content is the state at
their pass, and a failed write fails the job with its message."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.jobs import RunSlots, TrainingJob
from engine.store import checkpoints as ckpt

pytestmark = pytest.mark.timeout(120)
WAIT = 60.0


def _cfg(iterations=12):
    return ModelConfig(n_topics=3, iterations=iterations, seed=7, threads=1).validate()


def _job(workspace, corpus, **kw):
    return TrainingJob(workspace, corpus, _cfg(kw.pop("iterations", 12)), slots=RunSlots(1), **kw)


def test_later_checkpoints_are_written_off_the_training_thread_with_their_pass_state(
        workspace, planted, monkeypatch):
    threads = {}
    real = ckpt.write_checkpoint

    def spy(run_dir, iteration, state, meta=None):
        threads[iteration] = threading.current_thread().name
        return real(run_dir, iteration, state, meta)

    monkeypatch.setattr(ckpt, "write_checkpoint", spy)
    job = _job(workspace, planted, checkpoint_every=2, keep_checkpoints=10).start()
    snap = job.wait(WAIT)
    assert snap.status == "finished", snap.error
    assert sorted(threads) == [2, 4, 6, 8, 10, 12]
    assert threads[2].startswith("artm-job-")  # the first one lists the run before pass 3
    assert all(threads[i].startswith("artm-checkpoint-") for i in (4, 6, 8, 10))
    assert ckpt.list_checkpoints(job.run_dir) == [2, 4, 6, 8, 10, 12]
    assert snap.checkpoints == (2, 4, 6, 8, 10, 12)
    ref = Trainer(planted, _cfg())
    for it in range(1, 13):
        ref.step()
        if it % 2 == 0:  # each checkpoint holds its own pass's arrays, not a later pass's
            state, meta = ckpt.read_checkpoint(job.run_dir, it)
            np.testing.assert_array_equal(state["phi"], ref.phi)
            np.testing.assert_array_equal(state["theta"], ref.theta_buffer)
            assert state["iteration"] == it and len(meta["reports"]) == it


def test_a_failed_background_write_fails_the_job_with_its_message(workspace, planted, monkeypatch):
    real = ckpt.write_checkpoint

    def broken(run_dir, iteration, state, meta=None):
        if iteration == 4:
            raise OSError("No space left on device (test)")
        return real(run_dir, iteration, state, meta)

    monkeypatch.setattr(ckpt, "write_checkpoint", broken)
    job = _job(workspace, planted, checkpoint_every=2, iterations=30).start()
    snap = job.wait(WAIT)
    assert snap.status == "failed"
    assert "No space left on device (test)" in snap.error
    assert snap.iteration < 30  # it stopped at the next checkpoint, not at the end
    assert 2 in ckpt.list_checkpoints(job.run_dir) and 4 not in ckpt.list_checkpoints(job.run_dir)
