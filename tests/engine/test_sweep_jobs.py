"""A sweep's runs are ordinary job runs: equal to the in-memory sweep, stopped after some runs and
continued to the same result, a killed CLI sweep resumed, bad input refused with nothing written."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine import ModelConfig, Workspace
from engine.analysis.sweep import run_sweep
from engine.errors import ConfigError
from engine.jobs import JobRegistry
from engine.families.starts.sweep import list_sweep_builds, load_sweep_build, plan_sweep, sweep_builds_dir
from engine.store import checkpoints as ckpt
from engine.store.runs import list_runs, run_path
from engine.store.sweeps import list_sweeps, load_sweep
from planted import planted_corpus
from test_hierarchy_jobs import _wait

ROOT = Path(__file__).resolve().parents[2]
BASE = ModelConfig(iterations=30)
TOPICS = [3, 5, 8]


@pytest.fixture(scope="module")
def planted():
    """Planted 5 topics and the uninterrupted in-memory sweep of them."""
    corpus = planted_corpus(n_topics=5, words_per_topic=8, n_docs=200, noise=4)
    return corpus, run_sweep(corpus, TOPICS, starts=2, base=BASE, workers=2)


def _ws(tmp_path, corpus):
    ws = Workspace(tmp_path)
    ws.save_corpus(corpus, "p4")
    return ws, ws.load_corpus("p4")


def _same_result(saved, ref):
    cols = [c for c in ref.runs.columns if c != "seconds"]
    pd.testing.assert_frame_equal(saved.runs[cols], ref.runs[cols], check_dtype=False)
    scols = [c for c in ref.summary.columns if not c.startswith("seconds")]
    pd.testing.assert_frame_equal(saved.summary[scols], ref.summary[scols], check_dtype=False)
    assert saved.bends == {k: (None if v is None else float(v)) for k, v in ref.bends.items()}
    for t in TOPICS:
        for s in (0, 1):
            pd.testing.assert_frame_equal(saved.topic_stability(t, s).drop(columns="top_words"),
                                          ref.topic_stability(t, s), check_dtype=False)


def test_runs_are_jobs_and_equal_the_in_memory_sweep(planted, tmp_path):
    corpus, ref = planted
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_sweep(ws, corpus, TOPICS, starts=2, base=BASE, selection=8, name="jobs")
    assert list_runs(ws) == [] and [b["status"] for b in list_sweep_builds(ws)] == ["interrupted"]
    rows = []
    saved = build.run(corpus, on_run=rows.append)
    assert sorted((r["topics"], r["start"]) for r in rows) == [(t, s) for t in TOPICS for s in (0, 1)]
    _same_result(saved, ref)
    assert saved.sweep_id == build.sweep_id and load_sweep(ws, build.sweep_id).name == "jobs"
    runs = {r["run_id"]: r for r in list_runs(ws)}
    for e in build.entries:                       # every run is an ordinary saved, finished run
        assert runs[e["run_id"]]["status"] == "finished" and e["name"] in runs[e["run_id"]]["name"]
    assert saved.selection is not None and saved.selection["surviving"].iloc[-1] <= 8
    s = saved.summary.set_index("topics")
    assert s.loc[5, "stability"] == 1.0 and s.loc[5, "stability"] > s.loc[8, "stability"]  # the planted T
    assert list_sweep_builds(ws) == [] and load_sweep_build(ws, build.sweep_id).status == "finished"


def test_stopped_sweep_keeps_finished_runs_and_continues_to_the_same_result(planted, tmp_path):
    corpus, ref = planted
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_sweep(ws, corpus, TOPICS, starts=2, base=BASE, workers=1)
    rows = []
    assert build.run(corpus, on_run=rows.append, should_stop=lambda: len(rows) >= 2) is None
    first = {(r["topics"], r["start"]) for r in rows}
    assert len(first) == 2
    assert [(b["status"], b["done"], b["total"]) for b in list_sweep_builds(ws)] == [("stopped", 2, 6)]
    assert list_sweeps(ws) == []                  # the sweep itself is written only at the end
    stamps = {e["run_id"]: (run_path(ws, e["run_id"]) / "manifest.json").stat().st_mtime_ns
              for e in build.entries if (e["topics"], e["start"]) in first}
    more = []
    saved = load_sweep_build(ws, build.sweep_id).run(corpus, on_run=more.append)
    assert {(r["topics"], r["start"]) for r in more} == {(t, s) for t in TOPICS for s in (0, 1)} - first
    for rid, stamp in stamps.items():             # finished runs were not trained again
        assert (run_path(ws, rid) / "manifest.json").stat().st_mtime_ns == stamp
    _same_result(saved, ref)


def test_a_run_stopped_mid_training_continues_from_its_checkpoint(planted, tmp_path):
    corpus, ref = planted
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_sweep(ws, corpus, TOPICS, starts=2, base=BASE, workers=1)
    jobs = []
    reg = JobRegistry()

    def on_job(e, job_id):
        jobs.append(job_id)
        reg.get(job_id).pause(at=5)               # the first run pauses after pass 5 …

    def mid():                                    # … and then the sweep is stopped
        return bool(jobs) and reg.get(jobs[0]).snapshot().status == "paused"

    assert build.run(corpus, registry=reg, on_job=on_job, should_stop=mid) is None
    assert build.run_status(jobs[0]) == "resumable"
    done = ckpt.list_checkpoints(run_path(ws, jobs[0]))[-1]
    assert 5 <= done < 30 and len(jobs) == 1      # paused at 5 (later only if the pause came late)
    _same_result(load_sweep_build(ws, build.sweep_id).run(corpus), ref)


def test_killed_cli_sweep_resumes(planted, tmp_path):
    corpus, _ = planted
    ws, corpus = _ws(tmp_path, corpus)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--workspace", str(tmp_path), "--iterations", "150", "--threads", "1", "--workers", "1"]
    out = tmp_path / "out.jsonl"
    with open(out, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "engine", "sweep", "--corpus", "p4", "--topics", "3,4",
                                 "--starts", "2", *args], stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
        try:
            lines = lambda: [json.loads(x) for x in out.read_text().splitlines() if x.startswith("{")]  # noqa: E731
            assert _wait(lambda: any("topics" in x for x in lines()), proc=proc), out.read_text()
            plan = lines()[0]
            build = load_sweep_build(ws, plan["sweep_id"])
            second = build.entries[1]["run_id"]
            assert _wait(lambda: bool(ckpt.list_checkpoints(run_path(ws, second))), proc=proc), out.read_text()
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert [(b["status"], b["done"]) for b in list_sweep_builds(ws)] == [("interrupted", 1)]
    res = subprocess.run([sys.executable, "-m", "engine", "sweep", "--resume", plan["sweep_id"],
                          "--out", str(tmp_path / "r" / "s"), *args[:2]],
                         capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.startswith('{"topics"')]
    assert len(rows) == 3                          # the run finished before the kill is not retrained
    saved = load_sweep(ws, plan["sweep_id"])
    ref = run_sweep(corpus, [3, 4], starts=2, base=ModelConfig(iterations=150, threads=1), workers=1)
    cols = ["topics", "start", "perplexity", "holdout_perplexity", "coherence", "topic_distance"]
    pd.testing.assert_frame_equal(saved.runs[cols], ref.runs[cols], check_dtype=False)
    assert json.loads((tmp_path / "r" / "s.json").read_text())["summary"][0]["topics"] == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"topics": []}, "at least one topic count"),
    ({"topics": [0, 3]}, "topic counts must be integers"),
    ({"topics": "3,4"}, "list of integers"),
    ({"starts": 0}, "starts must be"),
    ({"holdout": float("nan")}, "holdout"),
    ({"holdout": 0.9}, "holdout"),
    ({"workers": 0}, "workers"),
    ({"selection": -1}, "TopicSelection"),
    ({"base": ModelConfig(modality_weights={"@nope": 1.0})}, "nope"),
])
def test_bad_input_writes_nothing(planted, tmp_path, kwargs, match):
    corpus, _ = planted
    ws, corpus = _ws(tmp_path, corpus)
    args = {"topics": [3, 4], "starts": 2, "base": BASE, **kwargs}
    with pytest.raises(ConfigError, match=match):
        plan_sweep(ws, corpus, args.pop("topics"), **args)
    assert not sweep_builds_dir(ws).exists() and list_runs(ws) == []


def test_continue_on_another_corpus_is_refused(planted, tmp_path):
    corpus, _ = planted
    ws, corpus = _ws(tmp_path, corpus)
    build = plan_sweep(ws, corpus, [3], starts=1, base=BASE)
    other = planted_corpus(n_topics=3, words_per_topic=8, n_docs=60, noise=4, seed=9)
    with pytest.raises(ConfigError, match="continue it on that corpus"):
        build.run(other)
    assert list_runs(ws) == [] and load_sweep_build(ws, build.sweep_id).status == "planned"
