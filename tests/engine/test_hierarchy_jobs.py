"""Hierarchy levels trained as ordinary runs (jobs): exact against the in-memory trainer,
stopped and continued, a killed CLI resumed, τ edited while a level trains."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine import ModelConfig, Workspace
from engine.errors import ConfigError
from engine.families.hierarchy import HierarchyOptions, level_configs, list_hierarchies, load_hierarchy, train_levels
from engine.families.hierarchy.build import list_builds, load_build, plan_build
from engine.jobs import JobRegistry
from engine.store import checkpoints as ckpt
from engine.store.runs import list_runs, load_run, run_path
from planted_hierarchy import planted_hierarchy

BASE = ModelConfig(iterations=8, seed=3, threads=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tree():
    corpus, _ = planted_hierarchy(n_parents=2, children=3, n_docs=120)
    reference = train_levels(corpus, level_configs([2, 6], BASE), HierarchyOptions(tau=1.0))
    return corpus, reference


def _ws(tmp_path, corpus):
    ws = Workspace(tmp_path)
    ws.save_corpus(corpus, "tree")
    return ws, ws.load_corpus("tree")


def _same(h, ref):
    for a, b in zip(h.levels, ref.levels):
        np.testing.assert_array_equal(a.model.phi, b.model.phi)
    np.testing.assert_array_equal(h.levels[1].psi, ref.levels[1].psi)


def test_levels_are_runs_and_match_the_in_memory_trainer(tree, tmp_path):
    corpus, ref = tree
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_build(ws, corpus, level_configs([2, 6], BASE), HierarchyOptions(tau=1.0), name="jobs")
    seen = []
    h = build.run(corpus, on_report=lambda k, r: seen.append((k, r.iteration)))
    assert seen == [(0, i) for i in range(1, 9)] + [(1, i) for i in range(1, 9)]
    _same(h, ref)                                            # bit for bit the same hierarchy
    back = load_hierarchy(ws, build.build_id)
    assert [lv.run_id for lv in back.levels] == build.run_ids
    runs = {r["run_id"]: r for r in list_runs(ws)}
    for k, rid in enumerate(build.run_ids):                  # each level is an ordinary saved run
        assert runs[rid]["status"] == "finished" and f"level {k}" in runs[rid]["name"]
        run = load_run(ws, rid)
        assert run.arrays["n_wt"].shape == (corpus.n_tokens, [2, 6][k])
    link = [r for r in load_run(ws, build.run_ids[1]).config["regularizers"] if r["kind"] == "HierarchyLink"][0]
    assert link["parent"] == build.run_ids[0]
    assert load_build(ws, build.build_id).status == "finished" and list_builds(ws) == []


def test_stopped_build_keeps_finished_levels_and_continues_exactly(tree, tmp_path):
    corpus, ref = tree
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_build(ws, corpus, level_configs([2, 6], BASE), HierarchyOptions(tau=1.0))
    stop = {"now": False}

    def report(k, r):
        stop["now"] = stop["now"] or (k == 1 and r.iteration >= 3)

    assert build.run(corpus, on_report=report, should_stop=lambda: stop["now"],
                     checkpoint_every=1) is None
    assert build.level_status(0) == "finished" and build.level_status(1) == "resumable"
    assert [b["status"] for b in list_builds(ws)] == ["stopped"] and list_hierarchies(ws) == []
    level0 = (run_path(ws, build.run_ids[0]) / "manifest.json").stat().st_mtime_ns
    done = ckpt.list_checkpoints(run_path(ws, build.run_ids[1]))[-1]
    seen = []
    h = load_build(ws, build.build_id).run(corpus, on_report=lambda k, r: seen.append((k, r.iteration)))
    assert seen == [(1, i) for i in range(done + 1, 9)]      # level 0 not trained again
    assert (run_path(ws, build.run_ids[0]) / "manifest.json").stat().st_mtime_ns == level0
    _same(h, ref)                                            # a checkpoint continues exactly


def test_tau_edited_while_a_level_trains(tree, tmp_path):
    """The child level's job is paused at a breakpoint (pass 2), its link τ and ψ passes edited,
    and resumed: every pass up to the pause used τ = 1, every later pass τ = 0 (exact, whatever
    the load: the edit is made while the job waits, not raced against running passes)."""
    corpus, _ = tree
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_build(ws, corpus, level_configs([2, 6], BASE), HierarchyOptions(tau=1.0))
    reg = JobRegistry()
    edited, errors = {}, []

    def steer(job):
        try:
            snap = job.wait_for(lambda s: s.status == "paused" or s.done, timeout=600)
            assert snap.status == "paused", snap.status
            job.set_regularizer("hierarchy_link", tau=0.0)
            job.set_regularizer("hierarchy_link", psi_passes=3)
            edited["at"] = snap.iteration
            job.resume()
        except Exception as e:  # surfaced by the assertion below
            errors.append(e)

    def on_job(k, job_id):
        if k == 1:
            job = reg.get(job_id)
            job.pause(at=2)
            threading.Thread(target=steer, args=(job,), daemon=True).start()

    build.run(corpus, registry=reg, on_job=on_job)
    assert errors == [] and edited["at"] >= 2
    tau = load_run(ws, build.run_ids[1]).tau
    link = tau[tau["regularizer"] == "hierarchy_link"].set_index("iteration")["tau"]
    at = edited["at"]
    assert (link.loc[:at] == 1.0).all() and (link.loc[at + 1:] == 0.0).all() and link.index.max() == 8
    cfg = load_run(ws, build.run_ids[1]).config
    assert [r["psi_passes"] for r in cfg["regularizers"] if r["kind"] == "HierarchyLink"] == [3]


def test_bad_plans_write_nothing(tree, tmp_path):
    corpus, _ = tree
    ws, corpus = _ws(tmp_path, corpus)
    with pytest.raises(ConfigError, match="fewer than its parent"):
        plan_build(ws, corpus, level_configs([6, 2], BASE))
    with pytest.raises(ConfigError, match="tau"):
        plan_build(ws, corpus, level_configs([2, 6], BASE), {"tau": -1})
    assert list_builds(ws) == [] and list_runs(ws) == []
    other, _ = planted_hierarchy(n_parents=2, children=2, n_docs=60, seed=5)
    build = plan_build(ws, corpus, level_configs([2, 6], BASE))
    with pytest.raises(ConfigError, match="continue it on that corpus"):
        build.run(other)


def _wait(predicate, timeout=240.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            return predicate()
        time.sleep(0.1)  # polling the file system for a condition, not a fixed wait
    return False


def test_killed_cli_hierarchy_resumes(tree, tmp_path):
    corpus, _ = tree
    ws, corpus = _ws(tmp_path, corpus)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "engine", "hierarchy", "--workspace", str(tmp_path), "--corpus", "tree",
           "--levels", "2,6", "--iterations", "200", "--threads", "1", "--seed", "3"]
    out = tmp_path / "out.jsonl"
    with open(out, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
        try:
            def first_line():
                lines = out.read_text().splitlines()
                return json.loads(lines[0]) if lines and lines[0].startswith("{") else None

            assert _wait(lambda: first_line() is not None, proc=proc), out.read_text()
            plan = first_line()
            child = run_path(ws, plan["runs"][1])
            assert _wait(lambda: bool(ckpt.list_checkpoints(child)), proc=proc), out.read_text()
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    build = load_build(ws, plan["hierarchy_id"])
    assert [b["status"] for b in list_builds(ws)] == ["interrupted"]
    assert build.level_status(0) == "finished" and build.level_status(1) == "resumable"
    # the kill may land while a checkpoint is being copied into place: the resume's own recovery
    # completes a copy that was whole (or drops it), so the newest checkpoint is read after recovery
    ws.recover()
    done = ckpt.list_checkpoints(child)[-1]
    res = subprocess.run([sys.executable, "-m", "engine", "hierarchy", "--workspace", str(tmp_path),
                          "--resume", plan["hierarchy_id"]], capture_output=True, text=True, env=env,
                         cwd=str(ROOT), timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    its = [(x["level"], x["iteration"]) for x in lines if "iteration" in x]
    assert its[0] == (1, done + 1) and its[-1] == (1, 200) and all(k == 1 for k, _ in its)
    h = load_hierarchy(ws, plan["hierarchy_id"])
    assert [lv.n_topics for lv in h.levels] == [2, 6] and h.levels[1].psi.shape == (6, 2)


def test_extend_is_a_resumable_build_and_equals_one_build(tree, tmp_path):
    """--extend plans the new level as a job run with checkpoints: stopped mid-level it keeps the
    saved hierarchy as it was; continued, it equals training both levels in one build."""
    corpus, ref = tree
    ws, corpus = _ws(tmp_path, corpus)
    configs = level_configs([2, 6], BASE)
    top = plan_build(ws, corpus, configs[:1], HierarchyOptions(tau=1.0), name="top").run(corpus)
    before = (tmp_path / "hierarchies" / top.hierarchy_id / "manifest.json").read_bytes()
    ext = plan_build(ws, corpus, configs[1:], extend=top.hierarchy_id)
    assert ext.record["extends"]["parent"] == top.levels[0].run_id     # the parent run's exact n_wt
    stop = {"now": False}

    def report(k, r):
        assert k == 1
        stop["now"] = stop["now"] or r.iteration >= 3

    assert ext.run(corpus, on_report=report, should_stop=lambda: stop["now"], checkpoint_every=1) is None
    assert ext.level_status(0) == "resumable"
    assert (tmp_path / "hierarchies" / top.hierarchy_id / "manifest.json").read_bytes() == before
    assert [h["hierarchy_id"] for h in list_hierarchies(ws)] == [top.hierarchy_id]
    assert [b["build_id"] for b in list_builds(ws)] == [ext.build_id]
    h = load_build(ws, ext.build_id).run(corpus)
    assert h.hierarchy_id == top.hierarchy_id and [lv.n_topics for lv in h.levels] == [2, 6]
    _same(h, ref)                                            # same as one [2, 6] build, bit for bit
    back = load_hierarchy(ws, top.hierarchy_id)
    _same(back, ref)
    assert [lv.run_id for lv in back.levels] == [top.levels[0].run_id, ext.run_ids[0]]
    assert set(back.scores["level"]) == {0, 1} and len(back.quality) == 1


def test_extend_without_the_parent_run_uses_the_saved_hierarchy(tree, tmp_path):
    """The parent level's run deleted: the link reads φ·n_t of the saved hierarchy, exactly as the
    in-memory extension does."""
    from engine.store.runs import delete_run  # only this test deletes a run

    corpus, _ = tree
    ws, corpus = _ws(tmp_path, corpus)
    configs = level_configs([2, 6], BASE)
    top = plan_build(ws, corpus, configs[:1], HierarchyOptions(tau=1.0)).run(corpus)
    delete_run(ws, top.levels[0].run_id)
    h = plan_build(ws, corpus, configs[1:], extend=top.hierarchy_id).run(corpus)
    mem = train_levels(corpus, configs[1:], parent=load_hierarchy(ws, top.hierarchy_id))
    np.testing.assert_array_equal(h.levels[1].model.phi, mem.levels[1].model.phi)
    np.testing.assert_array_equal(h.levels[1].psi, mem.levels[1].psi)


def test_extend_bad_input_writes_nothing(tree, tmp_path):
    corpus, _ = tree
    ws, corpus = _ws(tmp_path, corpus)
    top = plan_build(ws, corpus, level_configs([3], BASE)).run(corpus)
    runs = {r["run_id"] for r in list_runs(ws)}
    with pytest.raises(ConfigError, match="fewer than its parent"):
        plan_build(ws, corpus, level_configs([2], BASE), extend=top.hierarchy_id)
    other, _ = planted_hierarchy(n_parents=2, children=2, n_docs=60, seed=5)
    ws.save_corpus(other, "other")
    with pytest.raises(ConfigError, match="same corpus"):
        plan_build(ws, ws.load_corpus("other"), level_configs([6], BASE), extend=top.hierarchy_id)
    assert list_builds(ws) == [] and {r["run_id"] for r in list_runs(ws)} == runs
