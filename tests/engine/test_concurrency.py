"""Concurrent processes on one workspace (issue 16): two trains, two resumes of one run, import
--replace of the corpus a training uses, a rename while another process trains. Each case runs
real `artm-studio` processes and checks what is listed and loadable afterwards."""
from __future__ import annotations

import signal
import subprocess
import sys

import badinputs as B
from engine.cli import main
from engine.store.runs import list_runs, load_run
from engine.store.workspace import Workspace
from test_crash_train import _corpus, _env, _wait_listed


def _train(root):
    """A long `train` whose output goes to a file (a pipe nobody reads would fill and block it)."""
    log = open(root.parent / f"train-{len(list(root.parent.glob('train-*')))}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "engine", "train", "--corpus", "c", "--topics", "3",
                             "--iterations", "100000", "--workspace", str(root), "--jsonl"],
                            stdout=log, stderr=subprocess.STDOUT, text=True, env=_env())


def _cli(root, *argv, stdout=subprocess.PIPE):
    return subprocess.Popen([sys.executable, "-m", "engine", *argv, "--workspace", str(root)],
                            stdout=stdout, stderr=subprocess.PIPE, text=True, env=_env())


def _interrupted_run(root) -> str:
    proc = _train(root)
    run = _wait_listed(root, proc)
    proc.kill()
    proc.wait()
    return run["run_id"]


def test_two_resumes_of_one_run_one_is_refused(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    run_id = _interrupted_run(root)
    a, b = (_cli(root, "train", "--resume", run_id, "--iterations", "100000", stdout=subprocess.DEVNULL)
            for _ in range(2))
    # exactly one of them is refused (the other trains until stopped)
    while a.poll() is None and b.poll() is None:
        try:
            a.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
    loser, winner = (a, b) if a.poll() is not None else (b, a)
    err = loser.stderr.read().strip().splitlines()
    assert loser.returncode != 0 and len(err) == 1, err
    assert "being written by another process" in err[0] or "being trained by another process" in err[0]
    assert winner.poll() is None
    winner.send_signal(signal.SIGTERM)
    assert winner.wait(timeout=120) == 130
    (man,) = list_runs(Workspace(root))
    assert man["run_id"] == run_id and man["status"] == "stopped"
    load_run(Workspace(root), run_id)


def test_two_trains_on_one_corpus_both_saved(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    procs = [_cli(root, "train", "--corpus", "c", "--topics", "3", "--iterations", "4", "--name", f"t{i}")
             for i in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = list_runs(Workspace(root))
    assert sorted(m["name"] for m in runs) == ["t0", "t1"]
    assert {m["status"] for m in runs} == {"finished"}
    for m in runs:
        load_run(Workspace(root), m["run_id"])


def test_import_replace_while_training_keeps_both(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    trainer = _train(root)
    run = _wait_listed(root, trainer)
    src = B.jsonl(tmp_path / "new.jsonl", B.good_rows(20))
    assert main(["import", str(src), "--workspace", str(root), "--name", "c", "--min-df", "1", "--replace"]) == 0
    capsys.readouterr()
    trainer.send_signal(signal.SIGTERM)
    assert trainer.wait(timeout=120) == 130
    ws = Workspace(root)
    assert ws.load_corpus("c").n_docs == 20          # the new corpus
    back = load_run(ws, run["run_id"])               # the run trained on the old one is intact
    assert back.model.theta.shape[1] == 12


def test_rename_while_another_process_trains_is_refused_then_works(tmp_path, capsys):
    root = _corpus(tmp_path, capsys)
    trainer = _train(root)
    run = _wait_listed(root, trainer)
    code = main(["rename-run", run["run_id"], "mine", "--workspace", str(root)])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code != 0 and len(err) == 1 and "being written by another process" in err[0], err
    trainer.send_signal(signal.SIGTERM)
    assert trainer.wait(timeout=120) == 130
    assert main(["rename-run", run["run_id"], "mine", "--workspace", str(root)]) == 0
    assert list_runs(Workspace(root))[0]["name"] == "mine"
