"""The job registry of a shared server: jobs belong to their users (read-only for others unless
shared, every control by someone else recorded for the owner), roll-back that stays at the
rolled-back state, queue position ETA, and the configurable number of parallel jobs."""
from __future__ import annotations

import pytest

from engine.em.config import ModelConfig
from engine.em.regularizers import SmoothSparsePhi
from engine.errors import ConfigError
from engine.jobs import JobPermissionError, JobRegistry, RunSlots
from engine.jobs.slots import default_capacity
from engine.store.runs import load_run

pytestmark = pytest.mark.timeout(120)
WAIT = 30.0


def cfg(**kw) -> ModelConfig:
    base = dict(n_topics=3, iterations=12, seed=7, threads=1, regularizers=(SmoothSparsePhi(name="ssphi", tau=0.0),))
    base.update(kw)
    return ModelConfig(**base).validate()


def wait(job, predicate, what):
    snap = job.wait_for(predicate, WAIT)
    assert predicate(snap), f"timed out waiting for {what}: {snap.status} at {snap.iteration} ({snap.error})"
    return snap


@pytest.fixture
def make_registry():
    made = []

    def make(capacity=1):
        reg = JobRegistry(slots=RunSlots(capacity))
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.stop_all(timeout=WAIT)


def test_others_read_but_cannot_control_until_shared(workspace, planted, make_registry):
    reg = make_registry()
    jid = reg.start(workspace, planted, cfg(iterations=100_000), owner="alice")
    job = reg.get(jid)
    wait(job, lambda s: s.iteration >= 1, "first pass")
    assert reg.can_control(jid, "alice") and not reg.can_control(jid, "bob")
    assert job.snapshot().reports  # bob may read the snapshot (charts and scores)
    with pytest.raises(JobPermissionError):
        reg.control(jid, "bob", "pause")
    with pytest.raises(JobPermissionError):
        reg.share(jid, "bob")  # only the owner shares
    assert reg.events_for_owner("alice") == []  # a refused control is no event

    reg.share(jid, "alice")
    event = reg.control(jid, "bob", "pause")
    assert event.actor == "bob" and event.detail == "paused" and event.iteration >= 1
    snap = wait(job, lambda s: s.status == "paused", "pause by bob")
    assert snap.iteration <= event.iteration + 1  # the pass in progress ends, no further pass starts
    told = reg.events_for_owner("alice")
    assert [(e.actor, e.action) for e in told] == [("bob", "pause")]
    assert reg.events_for_owner("alice", since=told[-1].at) == []
    assert reg.events_for_owner("bob") == []  # bob owns nothing

    reg.share(jid, "alice", shared=False)
    with pytest.raises(JobPermissionError):
        reg.control(jid, "bob", "resume")
    reg.control(jid, "alice", "stop")
    assert job.wait(WAIT).status == "stopped"


def test_config_edit_event_names_the_version_the_next_pass_uses(workspace, planted, make_registry):
    reg = make_registry()
    jid = reg.start(workspace, planted, cfg(iterations=100_000), owner="alice")
    job = reg.get(jid)
    wait(job, lambda s: s.iteration >= 2, "two passes")
    event = reg.control(jid, "alice", "set_regularizer", "ssphi", tau=0.25)
    snap = wait(job, lambda s: s.config_version >= event.config_version, "a pass with the edit")
    first_new = min(r.iteration for r in snap.reports if r.tau.get("ssphi") == 0.25)
    assert event.iteration < first_new <= event.iteration + 2  # the pass in progress, at most, keeps the old τ
    assert all(r.tau.get("ssphi") == 0.0 for r in snap.reports if r.iteration < first_new)
    reg.control(jid, "alice", "stop")
    job.wait(WAIT)


def test_rollback_stays_at_the_rolled_back_state(workspace, planted, make_registry):
    reg = make_registry()
    jid = reg.start(workspace, planted, cfg(iterations=20), owner="alice", checkpoint_every=5)
    job = reg.get(jid)
    assert job.wait(WAIT).status == "finished"
    reg.control(jid, "alice", "rollback", 10)
    snap = wait(job, lambda s: s.done and s.saved and s.iteration == 10, "roll-back to 10 saved")
    assert snap.status == "finished" and snap.total_iterations == 10
    assert load_run(workspace, jid).model is not None and snap.branches[-1].from_iteration == 10
    assert load_run(workspace, jid).active_scores()["iteration"].max() == 10
    reg.control(jid, "alice", "more", 3)  # only now does it train again
    snap = wait(job, lambda s: s.done and s.iteration == 13, "3 more")
    assert snap.status == "finished"


def test_queue_position_and_eta_from_the_running_jobs(workspace, planted, make_registry):
    reg = make_registry(capacity=1)
    a = reg.get(reg.start(workspace, planted, cfg(iterations=100_000), owner="alice"))
    wait(a, lambda s: s.iteration >= 3 and s.eta_seconds is not None, "an ETA")
    b = reg.get(reg.start(workspace, planted, cfg(iterations=5), owner="bob"))
    c = reg.get(reg.start(workspace, planted, cfg(iterations=5), owner="carol"))
    wait(c, lambda s: s.queue_position == 2, "carol second in the queue")
    eta_b, eta_c = reg.queue_eta(b.job_id), reg.queue_eta(c.job_id)
    assert eta_b is not None and eta_c is not None and eta_c > eta_b > 0
    assert reg.queue_eta(a.job_id) is None  # running, not queued
    reg.control(a.job_id, "alice", "stop")
    assert c.wait(WAIT).status == "finished" and b.wait(WAIT).status == "finished"


def test_two_slots_train_two_jobs_at_once(workspace, planted, make_registry):
    reg = make_registry(capacity=2)
    a = reg.get(reg.start(workspace, planted, cfg(iterations=100_000), owner="alice"))
    b = reg.get(reg.start(workspace, planted, cfg(iterations=100_000), owner="bob"))
    wait(a, lambda s: s.status == "running" and s.iteration >= 2, "a running")
    wait(b, lambda s: s.status == "running" and s.iteration >= 2, "b running")
    assert a.snapshot().status == "running"  # both hold a slot at the same time
    for j, who in ((a, "alice"), (b, "bob")):
        reg.control(j.job_id, who, "stop")
        assert j.wait(WAIT).status == "stopped"


def test_capacity_from_the_environment(monkeypatch):
    monkeypatch.setenv("ARTM_STUDIO_MAX_JOBS", "3")
    assert default_capacity() == 3
    monkeypatch.setenv("ARTM_STUDIO_MAX_JOBS", "many")
    with pytest.raises(ConfigError, match="ARTM_STUDIO_MAX_JOBS"):
        default_capacity()
    monkeypatch.delenv("ARTM_STUDIO_MAX_JOBS")
    assert default_capacity() >= 1
