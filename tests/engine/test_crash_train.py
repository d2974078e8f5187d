"""Training runs are never lost (issue 16): a run is listed from its first checkpoint, a killed
trainer's run is "interrupted" with its last checkpoint and ``train --resume`` continues it;
SIGTERM stops and saves like Ctrl-C; a delete is not undone by the job that trained the run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import badinputs as B
from engine.cli import main
from engine.store.recovery import orphans
from engine.store.runs import list_runs, load_run
from engine.store.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _corpus(tmp_path, capsys) -> Path:
    root = tmp_path / "ws"
    src = B.jsonl(tmp_path / "c.jsonl", B.good_rows(12))
    assert main(["import", str(src), "--workspace", str(root), "--name", "c", "--min-df", "1"]) == 0
    capsys.readouterr()
    return root


def _train(root, iterations=100000):
    return subprocess.Popen([sys.executable, "-m", "engine", "train", "--corpus", "c", "--topics", "3",
                             "--iterations", str(iterations), "--workspace", str(root), "--jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _wait_listed(root, proc, timeout=120):
    """Wait until the training run is listed (its first checkpoint is written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list_runs(Workspace(root))
        if runs:
            return runs[0]
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the run never appeared")


def test_sigkill_leaves_an_interrupted_run_that_resumes(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    proc = _train(root)
    listed = _wait_listed(root, proc)
    assert listed["status"] == "running"
    proc.kill()
    proc.wait()
    Workspace(root).recover()  # as every command does first: a checkpoint complete at the kill is kept
    runs = list_runs(Workspace(root))
    assert len(runs) == 1 and runs[0]["status"] == "interrupted" and runs[0]["last_checkpoint"] >= 1
    assert main(["runs", "--workspace", str(root)]) == 0
    assert "interrupted" in capsys.readouterr().out
    run_id = runs[0]["run_id"]
    assert load_run(Workspace(root), run_id).model.phi.shape[1] == 3  # loadable as it was
    target = runs[0]["last_checkpoint"] + 5
    code = main(["train", "--resume", run_id, "--iterations", str(target), "--workspace", str(root), "--jsonl"])
    out, err = capsys.readouterr()
    assert code == 0, err
    man = list_runs(Workspace(root))[0]
    assert man["run_id"] == run_id and man["status"] == "finished" and man["iteration"] == target
    assert orphans(Workspace(root)) == []


def test_sigterm_stops_and_saves_like_ctrl_c(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    proc = _train(root)
    _wait_listed(root, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    runs = list_runs(Workspace(root))
    assert len(runs) == 1 and runs[0]["status"] == "stopped"
    assert load_run(Workspace(root), runs[0]["run_id"]).iteration == runs[0]["iteration"]


def test_delete_while_another_process_trains_is_refused(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    proc = _train(root)
    try:
        run = _wait_listed(root, proc)
        code = main(["delete-run", run["run_id"], "--workspace", str(root)])
        err = capsys.readouterr().err
        assert code == 2 and "is being written by another process" in err and len(err.strip().splitlines()) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
    assert main(["delete-run", run["run_id"], "--workspace", str(root)]) == 0
    assert list_runs(Workspace(root)) == []


def _kill_trial(root, env_extra, wait_for):
    """Start ``train``; SIGKILL it once ``wait_for(line)`` is true for a stdout line; returns its stdout."""
    env = {**_env(), **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "engine", "train", "--corpus", "c", "--topics", "3",
                             "--iterations", "100000", "--workspace", str(root), "--jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if wait_for(line):
            break
    proc.kill()
    proc.wait()
    return seen


def test_sigkill_of_train_at_many_points_never_hides_a_run(tmp_path, capsys):
    """Kill -9 at: the first pass, inside the first checkpoint's write, inside the first run save's
    swap, a few passes after it, inside a later checkpoint; after each, recovery leaves every run
    listed, loadable and resumable and no hidden folder."""
    from engine.jobs import TrainingJob
    from engine.store.checkpoints import TEST_SLEEP_ENV
    from engine.store.workspace import TEST_SWAP_SLEEP_ENV

    root = _corpus(tmp_path, capsys)
    ws = Workspace(root)
    trials = [
        ("first pass", {}, lambda ln: '"iteration": 1,' in ln),
        ("inside the first checkpoint", {TEST_SLEEP_ENV: "10:60"}, lambda ln: "checkpoint-sleep" in ln),
        ("inside the first run save", {TEST_SWAP_SLEEP_ENV: "20*:60"}, lambda ln: "swap-sleep" in ln),
        ("pass 13", {}, lambda ln: '"iteration": 13,' in ln),
        ("inside the second checkpoint", {TEST_SLEEP_ENV: "20:60"}, lambda ln: "checkpoint-sleep" in ln),
    ]
    listed_after = []
    for what, env, wait_for in trials:
        _kill_trial(root, env, wait_for)
        ws.recover()
        assert orphans(ws) == [], what
        on_disk = [p for p in ws.runs_dir.iterdir() if not p.name.startswith(".")] if ws.runs_dir.exists() else []
        runs = list_runs(ws)
        assert {r["run_id"] for r in runs} == {p.name for p in on_disk}, what  # nothing invisible
        for r in runs:
            assert r["status"] == "interrupted", (what, r["status"])
            load_run(ws, r["run_id"])
            job = TrainingJob.from_checkpoint(ws, ws.load_corpus("c"), r["run_id"])
            assert job.snapshot().iteration == r["last_checkpoint"]
        listed_after.append(len(runs))
    assert listed_after == [0, 0, 1, 2, 3]
