"""Background jobs: pause/resume exactness, live τ edits, stop/save, checkpoints surviving a
SIGKILL, concurrency, failures, ownership, rollback branches. Every wait has a timeout so a hung
thread fails the test instead of hanging CI."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine.store import checkpoints as ckpt
from engine.em.config import ModelConfig
from engine.errors import ConfigError, EngineError
from engine.jobs import (
    JobPermissionError, JobRegistry, RunSlots, Snapshot, TrainingJob, run_job_blocking,
)
from engine.em.regularizers import SmoothSparsePhi
from engine.store.runs import list_runs, load_run

pytestmark = pytest.mark.timeout(120)
WAIT = 30.0  # seconds any single wait may take before the test fails
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def slots():
    """Private run slots, so these tests neither wait for nor block other jobs in the process."""
    return RunSlots(1)


@pytest.fixture
def registry(slots):
    """A registry on the private slots; every job is stopped and joined at teardown."""
    reg = JobRegistry(slots=slots)
    yield reg
    _stop_all(reg.jobs(), slots)


@pytest.fixture
def jobs(workspace, planted, slots):
    """Factory of jobs on the planted corpus; every job is stopped and joined at teardown."""
    made: list[TrainingJob] = []

    def make(config=None, **kw):
        kw.setdefault("slots", slots)
        job = TrainingJob(workspace, kw.pop("corpus", planted), config or cfg(), **kw)
        made.append(job)
        return job

    yield make
    _stop_all(made, slots)


def _stop_all(made, slots):
    for j in made:
        with j._cv:
            j._want = "stop"
            j._cv.notify_all()
        slots.wake()
    for j in made:
        assert j.join(WAIT), f"job {j.job_id} thread did not exit"


def cfg(**kw) -> ModelConfig:
    base = dict(n_topics=3, iterations=12, seed=7, threads=1,
                regularizers=(SmoothSparsePhi(name="ssphi", tau=0.0),))
    base.update(kw)
    return ModelConfig(**base).validate()


def wait(job: TrainingJob, predicate, what: str) -> Snapshot:
    snap = job.wait_for(predicate, WAIT)
    assert predicate(snap), f"timed out waiting for {what}: {snap.status} at {snap.iteration} ({snap.error})"
    return snap


def finished(job: TrainingJob) -> Snapshot:
    snap = job.wait(WAIT)
    assert snap.done, f"job still {snap.status} at {snap.iteration}"
    return snap


# --------------------------------------------------------------------------- exactness

def test_pause_resume_gives_the_uninterrupted_result(jobs):
    ref = jobs()
    ref_snap = run_job_blocking(ref)
    assert ref_snap.status == "finished" and ref_snap.iteration == 12

    job = jobs()
    job.pause(at=5)
    job.start()
    snap = wait(job, lambda s: s.status == "paused", "pause at 5")
    assert snap.iteration == 5 and 5 in snap.checkpoints  # a checkpoint is written on pause
    time.sleep(0.2)
    assert job.snapshot().iteration == 5  # a paused job does not advance
    job.resume()
    snap = finished(job)
    assert snap.status == "finished" and snap.iteration == 12

    a, b = ref.model_view(), job.model_view()
    np.testing.assert_array_equal(a.phi, b.phi)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert [r.scores for r in ref_snap.reports] == [r.scores for r in snap.reports]


def test_more_iterations_and_rollback_resume_exactly(jobs):
    ref = jobs(cfg(iterations=16))
    run_job_blocking(ref)

    job = jobs(cfg(iterations=10), checkpoint_every=5)
    assert run_job_blocking(job).iteration == 10
    job.more(6)  # continues from the checkpoint written at the finish
    snap = finished(job)
    assert snap.iteration == 16 and snap.total_iterations == 16
    np.testing.assert_array_equal(ref.model_view().phi, job.model_view().phi)

    job.rollback(5)  # back to 5, then on to 16 again: the same model
    snap = finished(job)
    assert snap.iteration == 16
    np.testing.assert_array_equal(ref.model_view().phi, job.model_view().phi)


# --------------------------------------------------------------------------- live control

def test_tau_change_at_iteration_10_is_recorded_and_changes_the_trajectory(jobs, workspace):
    ref = jobs(cfg(iterations=20))
    ref_snap = run_job_blocking(ref)

    job = jobs(cfg(iterations=20))
    job.pause(at=10)
    job.start()
    wait(job, lambda s: s.status == "paused", "pause at 10")
    job.set_regularizer("ssphi", tau=0.5)  # smoothing: Φ's zeros fill in from iteration 11
    job.resume()
    snap = finished(job)

    tau = snap.tau_frame()
    got = dict(zip(tau["iteration"], tau["tau"]))
    assert got == {i: (0.0 if i <= 10 else 0.5) for i in range(1, 21)}
    # identical until the change, different after it
    for r0, r1 in zip(ref_snap.reports[:10], snap.reports[:10]):
        assert r0.scores == r1.scores
    assert not np.array_equal(ref.model_view().phi, job.model_view().phi)
    sparsity = lambda s: s.latest_scores()["sparsity_phi"]  # noqa: E731
    assert sparsity(snap) < sparsity(ref_snap)

    run = load_run(workspace, job.run_id)  # the applied τ is saved with the run
    saved = run.active_tau()
    assert dict(zip(saved["iteration"], saved["tau"])) == got
    assert run.config["regularizers"][0]["tau"]["value"] == 0.5


def test_live_change_applies_within_one_iteration(jobs):
    job = jobs(cfg(iterations=100_000))
    job.start()
    wait(job, lambda s: s.iteration >= 3, "3 iterations")
    before = job.snapshot().iteration
    job.set_regularizer("ssphi", tau=-0.25)
    after = job.snapshot().iteration
    # when the edit landed, passes 1..k (before ≤ k ≤ after) were done and pass k+1 may have
    # been running with the old config; pass k+2 at the latest uses the new one
    wait(job, lambda s: s.iteration >= after + 2, "two more iterations")
    job.stop()
    snap = finished(job)
    first_new = min(r.iteration for r in snap.reports if r.tau.get("ssphi") == -0.25)
    assert first_new <= after + 2
    assert all(r.tau["ssphi"] == 0.0 for r in snap.reports if r.iteration <= before)
    assert all(r.tau["ssphi"] == -0.25 for r in snap.reports if r.iteration >= first_new)


def test_config_edits_add_remove_disable_weights(jobs):
    job = jobs(cfg(iterations=100_000))
    job.pause(at=2)
    job.start()
    wait(job, lambda s: s.status == "paused", "pause")
    job.add_regularizer(SmoothSparsePhi(name="smooth", tau=0.1))
    job.set_regularizer("ssphi", enabled=False)
    job.set_modality_weights({"@default_class": 2.0})
    with pytest.raises(ConfigError):
        job.update_config(lambda c: c.with_changes(n_topics=5))
    with pytest.raises(ConfigError):
        job.set_regularizer("nope", tau=1.0)
    with pytest.raises(ConfigError):
        job.set_modality_weights({"@nope": 1.0})
    job.set_regularizer("smooth", topics=["topic_0"], default_token_weight=2.0)  # parameters
    with pytest.raises(ConfigError):
        job.set_regularizer("smooth", default_token_weight="lots")
    with pytest.raises(ConfigError):
        job.set_regularizer("smooth", no_such_param=1)
    assert tuple(job.config.regularizer("smooth").topics) == ("topic_0",)
    assert job.config.regularizer("smooth").default_token_weight == 2.0
    assert job.snapshot().config.modality_weights == {"@default_class": 2.0}
    job.pause(at=4)
    job.resume()
    snap = wait(job, lambda s: s.status == "paused" and s.iteration >= 4, "second pause")
    assert snap.reports[-1].tau == {"ssphi": 0.0, "smooth": 0.1}  # disabled: τ = 0
    job.remove_regularizer("smooth")
    job.pause(at=5)
    job.resume()
    snap = wait(job, lambda s: s.status == "paused" and s.iteration >= 5, "third pause")
    assert snap.reports[-1].tau == {"ssphi": 0.0}
    assert snap.config_version == 5


# --------------------------------------------------------------------------- stop, save, checkpoints

def test_stop_leaves_a_loadable_run(jobs, workspace):
    job = jobs(cfg(iterations=100_000), name="stopped run")
    job.start()
    wait(job, lambda s: s.iteration >= 3, "3 iterations")
    job.stop()
    snap = finished(job)
    assert snap.status == "stopped" and snap.saved
    assert snap.checkpoints and snap.checkpoints[-1] == snap.iteration

    run = load_run(workspace, job.run_id)
    assert run.status == "stopped" and run.iteration == snap.iteration and run.name == "stopped run"
    np.testing.assert_array_equal(run.model.phi, job.model_view().phi)
    assert sorted(run.active_tau()["iteration"]) == list(range(1, snap.iteration + 1))
    assert [m["run_id"] for m in list_runs(workspace)] == [job.run_id]
    # the checkpoints survive save_run replacing the run folder
    assert ckpt.list_checkpoints(workspace.runs_dir / job.run_id) == list(snap.checkpoints)


def test_finish_saves_and_keeps_newest_checkpoints(jobs, workspace):
    job = jobs(cfg(iterations=12), checkpoint_every=2, keep_checkpoints=3)
    snap = run_job_blocking(job)
    assert snap.checkpoints == (8, 10, 12)
    assert ckpt.list_checkpoints(workspace.runs_dir / job.run_id) == [8, 10, 12]
    assert load_run(workspace, job.run_id).status == "finished"


_CHILD = textwrap.dedent("""
    import sys
    from engine.em.config import ModelConfig
    from engine.jobs import TrainingJob, run_job_blocking
    from engine.store.workspace import Workspace
    ws = Workspace(sys.argv[1])
    corpus = ws.load_corpus("planted")
    config = ModelConfig(n_topics=3, iterations=10, seed=7, threads=1)
    job = TrainingJob(ws, corpus, config, run_id="killed", checkpoint_every=2)
    run_job_blocking(job)
""")


def test_sigkill_while_writing_a_checkpoint_keeps_the_previous_one(workspace, planted, slots):
    workspace.save_corpus(planted, "planted")
    env = dict(os.environ, **{ckpt.TEST_SLEEP_ENV: "4:60"},
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(workspace.root)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        line = ""
        while "checkpoint-sleep 4" not in line:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, f"child exited early: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "child never reached the checkpoint write"
        proc.send_signal(signal.SIGKILL)
        proc.wait(WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()

    run_dir = workspace.runs_dir / "killed"
    assert ckpt.list_checkpoints(run_dir) == [2]  # the half-written iteration 4 is not listed
    assert any(p.name.startswith(".tmp-") for p in (run_dir / "checkpoints").iterdir())
    state, meta = ckpt.read_checkpoint(run_dir, 2)
    assert meta["run_id"] == "killed" and [r["iteration"] for r in meta["reports"]] == [1, 2]

    # a new process continues from the intact checkpoint and matches an uninterrupted run
    job = TrainingJob.from_checkpoint(workspace, planted, "killed", slots=slots)
    assert not any(p.name.startswith(".tmp-") for p in (run_dir / "checkpoints").iterdir())
    snap = run_job_blocking(job)
    assert snap.status == "finished" and snap.iteration == 10 and len(snap.reports) == 10
    ref = TrainingJob(workspace, planted, ModelConfig(n_topics=3, iterations=10, seed=7, threads=1),
                      slots=slots)
    run_job_blocking(ref)
    np.testing.assert_array_equal(ref.model_view().phi, job.model_view().phi)
    assert load_run(workspace, "killed").iteration == 10
    with pytest.raises(EngineError):  # a new job may not silently overwrite a saved run
        TrainingJob(workspace, planted, cfg(), run_id="killed", slots=slots)
    # a saved run goes on from its final checkpoint through the registry
    reg = JobRegistry(slots=slots)
    job_id = reg.continue_run(workspace, planted, "killed", owner="me", checkpoint_every=5)
    more = reg.get(job_id)
    more.more(5, owner="me")
    snap = finished(more)
    assert snap.iteration == 15 and load_run(workspace, "killed").iteration == 15


# --------------------------------------------------------------------------- registry

@pytest.mark.parametrize("capacity", [1, 2])
def test_two_concurrent_jobs_neither_crash_nor_corrupt_each_other(workspace, planted, jobs, capacity):
    """With the default one slot they queue; with two slots they really run at the same time
    (threads=2 each, different seeds and τ) and still match their solo runs bit for bit."""
    configs = {seed: cfg(iterations=100, seed=seed, threads=2,
                         regularizers=(SmoothSparsePhi(name="ssphi", tau=-0.02 * seed),))
               for seed in (1, 2)}
    solo = {seed: jobs(c) for seed, c in configs.items()}
    for j in solo.values():
        run_job_blocking(j)

    reg = JobRegistry(slots=RunSlots(capacity))
    try:
        ids = {seed: reg.start(workspace, planted, c, owner="s") for seed, c in configs.items()}
        both_ran = False
        for seed, job_id in ids.items():
            job = reg.get(job_id)
            snap = finished(job)
            assert snap.status == "finished" and snap.iteration == 100, snap.error
            np.testing.assert_array_equal(job.model_view().phi, solo[seed].model_view().phi)
            np.testing.assert_array_equal(job.model_view().theta, solo[seed].model_view().theta)
            assert [r.scores for r in snap.reports] == [r.scores for r in solo[seed].snapshot().reports]
            assert load_run(workspace, job_id).iteration == 100
        a, b = (reg.get(i).timeline() for i in ids.values())
        both_ran = a[0]["started"] < b[-1]["ended"] and b[0]["started"] < a[-1]["ended"]
        assert both_ran == (capacity == 2)  # overlapping passes only when two slots exist
        assert ids[1] != ids[2]
    finally:
        reg.stop_all(WAIT)


def test_queued_job_shows_its_position(workspace, planted, registry):
    reg = registry
    first = reg.get(reg.start(workspace, planted, cfg(iterations=100_000), owner="a"))
    wait(first, lambda s: s.status == "running" and s.iteration >= 1, "first running")
    second = reg.get(reg.start(workspace, planted, cfg(iterations=3), owner="a"))
    third = reg.get(reg.start(workspace, planted, cfg(iterations=3), owner="a"))
    assert wait(second, lambda s: s.queue_position == 1, "position 1").status == "queued"
    assert wait(third, lambda s: s.queue_position == 2, "position 2").status == "queued"
    first.stop(owner="a")
    assert finished(second).status == "finished"
    assert finished(third).status == "finished"
    assert finished(first).status == "stopped"
    assert third.snapshot().queue_position is None


@pytest.fixture
def test_family():
    """Register a model family for one test (and remove it afterwards)."""
    from engine.em.family import FAMILIES, Family, register_family

    added = []

    def add(name, **points):
        added.append(name)
        return register_family(Family(name=name, **points))

    yield add
    for name in added:
        FAMILIES.pop(name, None)


def test_failing_job_is_captured_and_others_go_on(workspace, planted, registry, test_family):
    from engine.em.estep import BagEStep

    class Boom(BagEStep):
        def run(self, tr, *args):
            if tr.iteration == 2:
                raise RuntimeError("kernel exploded")
            return super().run(tr, *args)

    test_family("test-boom", estep=Boom)
    reg = registry
    bad = reg.get(reg.start(workspace, planted, cfg().with_changes(family="test-boom"), owner="s"))
    good = reg.get(reg.start(workspace, planted, cfg(), owner="s"))
    snap = finished(bad)
    assert snap.status == "failed" and snap.iteration == 2
    assert snap.error == "RuntimeError: kernel exploded"
    assert "Traceback" in snap.traceback and "in step" in snap.traceback
    assert finished(good).status == "finished"
    failed_run = load_run(workspace, bad.job_id)
    assert failed_run.status == "failed" and failed_run.error == "RuntimeError: kernel exploded"


def test_owner_checks(workspace, planted, registry):
    reg = registry
    job_id = reg.start(workspace, planted, cfg(iterations=100_000), owner="alice")
    job = reg.get(job_id)
    wait(job, lambda s: s.iteration >= 1, "start")
    with pytest.raises(JobPermissionError):
        reg.control(job_id, "bob", "stop")
    with pytest.raises(JobPermissionError):
        job.pause(owner="bob")
    with pytest.raises(JobPermissionError):
        job.set_regularizer("ssphi", tau=-1.0, owner="bob")
    with pytest.raises(PermissionError):
        job.stop()  # no owner given for an owned job
    assert job.snapshot().status == "running"
    assert [j.job_id for j in reg.jobs_for("bob")] == []
    reg.attach(job_id, "bob")  # bob opened the job on purpose
    assert [j.job_id for j in reg.jobs_for("bob")] == [job_id]
    reg.control(job_id, "bob", "stop")
    assert finished(job).status == "stopped"
    with pytest.raises(EngineError):
        reg.get("no-such-job")


def test_rollback_records_the_branch(jobs, workspace):
    job = jobs(cfg(iterations=20), checkpoint_every=5)
    first = run_job_blocking(job)
    assert first.checkpoints == (5, 10, 15, 20)
    job.rollback(10)
    snap = wait(job, lambda s: s.done and s.branches, "rolled-back run")
    assert snap.status == "finished" and snap.iteration == 20
    (b,) = snap.branches
    assert (b.branch, b.parent_branch, b.from_iteration, b.abandoned_at) == (1, 0, 10, 20)
    assert [r.iteration for r in snap.reports] == list(range(1, 21))

    run = load_run(workspace, job.run_id)
    assert run.branch == 1 and run.lineage[0]["from_iteration"] == 10
    assert len(run.scores) > len(run.active_scores())  # the abandoned branch stays in the history
    assert sorted(set(run.active_scores()["iteration"])) == list(range(1, 21))
    with pytest.raises(EngineError):
        job.rollback(7)  # no checkpoint there


def test_ctrl_c_in_blocking_run_stops_and_saves(jobs, workspace):
    job = jobs(cfg(iterations=100_000))
    seen = []

    def on_report(r):
        seen.append(r)
        if r.iteration == 3:
            raise KeyboardInterrupt

    snap = run_job_blocking(job, on_report=on_report)
    assert snap.status == "stopped" and snap.saved
    assert [r.iteration for r in seen[:3]] == [1, 2, 3]
    # on stop, the scores whose `every` skipped the last pass are computed once more
    # (coherence has every=5 by default) and reach on_report exactly once
    merged = {}
    for r in seen:
        if r.iteration == snap.iteration:
            assert not set(merged) & set(r.scores)
            merged.update(r.scores)
    assert merged == snap.reports[-1].scores and "coherence" in merged
    run = load_run(workspace, job.run_id)
    assert run.status == "stopped" and run.final_scores()["coherence"] == merged["coherence"]


def test_snapshot_top_tokens_and_model_view(jobs, planted):
    job = jobs(cfg(iterations=30), top_n=4)
    snap = run_job_blocking(job)
    assert snap.topic_names == ("topic_0", "topic_1", "topic_2")
    top = snap.top_tokens["@default_class"]
    assert len(top) == 3 and all(len(t) == 4 for t in top)
    for topic in top:
        ps = [p for _, p in topic]
        assert ps == sorted(ps, reverse=True)
        assert len({tok[:2] for tok, _ in topic}) == 1  # planted: one topic's words each
    view = job.model_view()
    view.phi[:] = 0  # a private copy
    assert job.model_view().phi.sum() > 0
    frame = snap.scores_frame()
    assert set(frame.columns) == {"iteration", "score", "value"} and frame["iteration"].max() == 30
    assert snap.progress == 1.0 and snap.eta_seconds is None


def test_top_tokens_by_modality_matches_a_full_sort():
    from engine.jobs.snapshot import modality_rows, top_tokens_by_modality

    rng = np.random.default_rng(3)
    phi = rng.random((50, 4)).astype(np.float32)
    phi[phi < 0.6] = 0  # ties at zero
    phi[:, 3] = 0  # a dead topic
    phi[0:3, 0] = phi[3, 0] = 0.99  # ties at the top
    tm = np.array([0] * 40 + [1] * 10, np.int32)
    tokens = np.array([f"t{i}" for i in range(50)], dtype=object)
    top = top_tokens_by_modality(phi, modality_rows(tm, ["@a", "@b"]), tokens, 5)
    assert set(top) == {"@a", "@b"}
    for m, rows in (("@a", np.arange(40)), ("@b", np.arange(40, 50))):
        for t in range(4):
            col = phi[rows, t]
            want = [(f"t{rows[i]}", float(col[i])) for i in np.argsort(-col, kind="stable")[:5] if col[i] > 0]
            assert list(top[m][t]) == want
    assert top["@a"][3] == ()


def test_stop_or_pause_while_queued(workspace, planted, registry):
    first = registry.get(registry.start(workspace, planted, cfg(iterations=100_000), owner="a"))
    wait(first, lambda s: s.status == "running", "first running")
    queued = registry.get(registry.start(workspace, planted, cfg(), owner="a"))
    paused = registry.get(registry.start(workspace, planted, cfg(iterations=4), owner="a"))
    wait(queued, lambda s: s.queue_position == 1, "queued")
    queued.stop(owner="a")
    snap = finished(queued)
    assert snap.status == "stopped" and snap.iteration == 0 and not snap.saved
    assert not (workspace.runs_dir / queued.run_id).exists()
    paused.pause(owner="a")
    wait(paused, lambda s: s.queue_position == 1, "moved up")
    first.stop(owner="a")
    wait(paused, lambda s: s.status == "paused", "paused without running a pass")
    assert paused.snapshot().iteration == 0 and paused.model_view() is None
    paused.resume(owner="a")
    assert finished(paused).iteration == 4


_SHUTDOWN_CHILD = textwrap.dedent("""
    import sys
    from engine.em.config import ModelConfig
    from engine.jobs import default_registry
    from engine.store.workspace import Workspace
    ws = Workspace(sys.argv[1])
    reg = default_registry()
    job = reg.get(reg.start(ws, ws.load_corpus("planted"),
                            ModelConfig(n_topics=3, iterations=100_000, threads=1),
                            owner="s", run_id="left-running"))
    job.wait_for(lambda s: s.iteration >= 3, 60)
    from engine.jobs import RunSlots, TrainingJob  # a paused job outside any registry
    other = TrainingJob(ws, ws.load_corpus("planted"), ModelConfig(n_topics=3, iterations=100, threads=1),
                        run_id="left-paused", slots=RunSlots(1))
    other.pause(at=2)
    other.start()
    other.wait_for(lambda s: s.status == "paused", 60)
    print("leaving", flush=True)  # the main thread ends with one job running, one paused
""")


def test_interpreter_exit_stops_and_saves_running_jobs(workspace, planted):
    workspace.save_corpus(planted, "planted")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", _SHUTDOWN_CHILD, str(workspace.root)], env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "leaving" in done.stdout
    run = load_run(workspace, "left-running")
    assert run.status == "stopped" and run.iteration >= 3
    paused = load_run(workspace, "left-paused")
    assert paused.status == "stopped" and paused.iteration == 2


_SIGINT_CHILD = textwrap.dedent("""
    import sys
    from engine.em.config import ModelConfig
    from engine.jobs import TrainingJob, run_job_blocking
    from engine.store.workspace import Workspace
    ws = Workspace(sys.argv[1])
    job = TrainingJob(ws, ws.load_corpus("planted"), ModelConfig(n_topics=3, iterations=100_000, threads=1),
                      run_id="interrupted")
    snap = run_job_blocking(job, on_report=lambda r: print("iteration", r.iteration, flush=True),
                            poll=0.05, on_interrupt=lambda: print("stopping", flush=True))
    print("status", snap.status, snap.iteration, snap.saved, flush=True)
""")


def test_sigint_in_the_cli_runner_stops_cleanly_and_saves(workspace, planted):
    workspace.save_corpus(planted, "planted")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _SIGINT_CHILD, str(workspace.root)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            line = proc.stdout.readline()
            assert line, f"child exited early: {proc.stderr.read()}"
            if line.startswith("iteration 3"):
                break
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopping" in out
    status = [ln for ln in out.splitlines() if ln.startswith("status")][-1].split()
    assert status[1] == "stopped" and status[3] == "True"
    run = load_run(workspace, "interrupted")
    assert run.status == "stopped" and run.iteration == int(status[2]) >= 3


def test_controls_from_many_threads_never_deadlock_or_corrupt(workspace, planted, registry):
    import random
    import threading

    config = cfg(iterations=150)
    ids = [registry.start(workspace, planted, config.with_changes(seed=i + 1), owner="o",
                          checkpoint_every=3) for i in range(3)]
    unexpected = []

    def hammer(seed):
        rng = random.Random(seed)
        for _ in range(150):
            job = registry.get(rng.choice(ids))
            action = rng.choice(["pause", "resume", "resume", "tau", "more", "rollback", "read", "stop"])
            try:
                if action == "pause":
                    job.pause(owner="o")
                elif action == "resume":
                    job.resume(owner="o")
                elif action == "tau":
                    job.set_regularizer("ssphi", tau=rng.uniform(-0.1, 0.1), owner="o")
                elif action == "more":
                    job.more(rng.randint(1, 5), owner="o")
                elif action == "rollback" and job.snapshot().checkpoints:
                    job.rollback(rng.choice(job.snapshot().checkpoints), owner="o")
                elif action == "read":
                    snap = job.snapshot()
                    snap.top_tokens, snap.scores_frame(), job.model_view()
                elif action == "stop" and rng.random() < 0.1:
                    job.stop(owner="o")
            except EngineError:
                pass  # e.g. a rollback to a checkpoint a concurrent rollback just removed
            except Exception as e:  # noqa: BLE001
                unexpected.append(repr(e))
            time.sleep(rng.uniform(0, 0.005))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
        assert not t.is_alive(), "a control call hung"
    assert unexpected == []
    for job_id in ids:
        registry.get(job_id).resume(owner="o")  # also cancels a pause not yet taken
    for job_id in ids:
        snap = finished(registry.get(job_id))
        assert snap.status in ("finished", "stopped"), snap.traceback
        assert [r.iteration for r in snap.reports] == list(range(1, snap.iteration + 1))
        if snap.saved:
            assert load_run(workspace, job_id).iteration == snap.iteration


def test_quick_resume_pause_does_not_block_the_queue(workspace, planted, registry):
    first = registry.get(registry.start(workspace, planted, cfg(iterations=100_000), owner="a"))
    first.pause(at=1, owner="a")
    wait(first, lambda s: s.status == "paused", "paused")
    for _ in range(20):  # resume + pause faster than the thread wakes up
        first.resume(owner="a")
        first.pause(owner="a")
    other = registry.get(registry.start(workspace, planted, cfg(iterations=3), owner="a"))
    assert finished(other).status == "finished"
    first.stop(owner="a")
    assert finished(first).status == "stopped"


def test_checkpoint_files_round_trip_without_pickle(tmp_path):
    state = {"iteration": 3, "phi": np.arange(6, dtype=np.float32).reshape(3, 2), "n_t": None,
             "nested": {"a": [np.ones(2, np.int64), 1.5], "flag": True}, "scalar": np.float64(2.5)}
    ckpt.write_checkpoint(tmp_path, 3, state, {"note": "x"})
    back, meta = ckpt.read_checkpoint(tmp_path, 3)
    np.testing.assert_array_equal(back["phi"], state["phi"])
    assert back["phi"].dtype == np.float32 and back["n_t"] is None and back["scalar"] == 2.5
    np.testing.assert_array_equal(back["nested"]["a"][0], np.ones(2, np.int64))
    assert back["nested"]["flag"] is True and meta == {"note": "x"}
    files = sorted(p.name for p in ckpt.checkpoint_path(tmp_path, 3).iterdir())
    assert files == ["checkpoint.json", "nested_a_0.npy", "phi.npy"]
    with pytest.raises(EngineError):
        ckpt.write_checkpoint(tmp_path, 4, {"bad": np.array([{"x": 1}], dtype=object)})
    assert ckpt.list_checkpoints(tmp_path) == [3]  # the failed write left nothing behind
    (tmp_path / "checkpoints" / ".tmp-iter_0005-dead").mkdir()
    (tmp_path / "checkpoints" / "iter_0006").mkdir()  # no checkpoint.json: incomplete
    assert ckpt.list_checkpoints(tmp_path) == [3]
    assert ckpt.clean_partial(tmp_path) == 1
    with pytest.raises(EngineError):
        ckpt.read_checkpoint(tmp_path, 6)


def test_labels_holdout_and_family_scores(jobs, workspace, planted, test_family):
    from engine.em.scores import SparsityTheta, TopicMass, score_set_for

    test_family("test-scores", scores=lambda corpus, config: [
        SparsityTheta(every=1),  # already in the defaults: not added twice
        TopicMass(every=2)])
    holdout = planted.n_dw[:10]
    config = cfg(iterations=4).with_changes(family="test-scores", scores={"topic_mass": 0})
    kinds = [s.kind for s in score_set_for(config, planted, holdout)]
    assert kinds.count("SparsityTheta") == 1 and kinds.count("TopicMass") == 1
    job = jobs(config, labels={"topic_0": "sports"}, holdout=holdout)
    snap = run_job_blocking(job)
    assert any(k.startswith("holdout_") for k in snap.reports[-1].scores)
    # the family's TopicMass (every 2) although the config switched the default one off
    assert ["topic_mass:topic_0" in r.scores for r in snap.reports] == [False, True, False, True]
    run = load_run(workspace, job.run_id)
    assert run.model.labels == {"topic_0": "sports"} and run.status == "finished"


@pytest.mark.parametrize("late", ["more", "rollback", "more_after_stop"])
def test_controls_arriving_while_the_job_ends_are_not_lost(jobs, late, monkeypatch):
    """A control made while the job is saving its end (here: right after the job's save_run,
    so the timing is exact) must not be dropped by the job ending right after."""
    from engine.jobs import persistence as job_module  # where the job saves its run

    calls = []
    real_save = job_module.save_run

    def save_then_control(ws, run, **kw):
        out = real_save(ws, run, **kw)
        if calls or run.status == "running":  # the save at the first checkpoint is not the end
            return out
        calls.append(run.status)
        if late == "more":
            job.more(3)
        elif late == "rollback":
            job.rollback(5)
        else:
            job.more(2)  # the stop below has taken effect: this overrides nothing...
            job.stop()  # ...but a stop after it and a more after that: more wins
            job.more(1)
        return out

    monkeypatch.setattr(job_module, "save_run", save_then_control)
    job = jobs(cfg(iterations=10), checkpoint_every=5)
    snap = run_job_blocking(job)
    assert calls == ["finished"]
    want = {"more": (13, ()), "rollback": (10, (5,)), "more_after_stop": (13, ())}[late]
    assert snap.status == "finished" and snap.iteration == want[0]
    assert tuple(b.from_iteration for b in snap.branches) == want[1]
