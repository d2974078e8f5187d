"""kill -9 at random moments of every writer (issue 16): run saves and deletes, topic labels,
seed setups (lexicons), corpus replacement, hierarchy saves, labels and deletes, run and hierarchy
exports, sweep reports.

Each writer runs in a forked child that repeats its write in a loop; the parent kills it with
SIGKILL after a random delay, then runs the workspace recovery and asserts: every listed entry
loads, no orphan is left (``check`` would be clean), and every exported file is either absent or
complete (as many rows as the table it was written from). ``TRIALS`` kills per writer.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time

import numpy as np
import pandas as pd
import pytest

import badinputs as B
from engine import ModelConfig
from engine.cli import main
from engine.families.hierarchy import (
    HierarchyOptions, delete_hierarchy, export_hierarchy, level_configs, list_hierarchies, load_hierarchy,
    save_hierarchy, set_level_labels, train_levels,
)
from engine.families.seeds.lexicon import Lexicon
from engine.store.recovery import orphans, recover
from engine.store.runs import (
    delete_run, export_run, list_runs, load_run, rename_run, save_run, set_family_options, set_topic_labels,
)
from engine.store.workspace import Workspace, write_text_atomic

TRIALS = 12
CTX = mp.get_context("fork")  # the child inherits the loaded run: a kill trial costs milliseconds


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A workspace with corpus ``c``, one run and one hierarchy."""
    tmp = tmp_path_factory.mktemp("writers")
    root = tmp / "ws"
    src = B.jsonl(tmp / "c.jsonl", B.good_rows(30))
    assert main(["import", str(src), "--workspace", str(root), "--name", "c", "--min-df", "1"]) == 0
    assert main(["train", "--corpus", "c", "--topics", "3", "--iterations", "3", "--workspace", str(root)]) == 0
    ws = Workspace(root)
    corpus = ws.load_corpus("c")
    h = train_levels(corpus, level_configs([2, 4], ModelConfig(iterations=3, seed=1, threads=1)), HierarchyOptions())
    save_hierarchy(ws, h)
    return root, corpus, list_runs(ws)[0]["run_id"], h


def _loop(fn):
    def target(ready):
        i = 0
        while True:
            fn(i)
            if i == 0:
                ready.set()
            i += 1
    return target


def _kill_at_random(fn, rng, max_delay=0.25):
    ready = CTX.Event()
    proc = CTX.Process(target=_loop(fn), args=(ready,), daemon=True)
    proc.start()
    assert ready.wait(120), "the writer never completed a first write"
    # a random moment inside the write loop (the point of the test, not a wait for a condition)
    time.sleep(rng.uniform(0, max_delay))
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert proc.exitcode == -signal.SIGKILL, f"the writer died on its own: {proc.exitcode}"


def _clean_after_recovery(root):
    ws = Workspace(root)
    recover(ws)
    left = orphans(ws)
    assert left == [], left
    return ws


def _complete_tables(folder, expected: dict[str, int]):
    """Every file in ``folder`` is one of ``expected`` (name -> rows) and complete."""
    for p in folder.iterdir():
        assert p.name in expected, f"unexpected file {p.name} in the export folder"
        rows = len(pd.read_csv(p)) if p.suffix == ".csv" else len(pd.read_parquet(p))
        assert rows == expected[p.name], p.name


def _copy(base_root, tmp_path):
    import shutil  # copying the prepared workspace is only needed here

    root = tmp_path / "ws"
    shutil.copytree(base_root, root)
    return root


def test_kill_run_writers(base, tmp_path):
    """Labels, rename, seed setup (lexicon), re-save and delete of a run, killed at random moments."""
    base_root, corpus, run_id, _ = base
    root = _copy(base_root, tmp_path)
    ws = Workspace(root)
    run = load_run(ws, run_id)
    lex = Lexicon({"animals": ["cats", "dogs"], "food": ["grain"]})
    writers = {
        "labels": lambda i: set_topic_labels(ws, run_id, {run.model.topic_names[0]: f"label {i}"}),
        "rename": lambda i: rename_run(ws, run_id, f"name {i}"),
        "lexicon": lambda i: set_family_options(ws, run_id, "seeds", {"lexicon": lex.to_dict(), "i": i}),
        "save": lambda i: save_run(ws, run),
    }
    rng = random.Random(16)
    kills = 0
    for name, fn in writers.items():
        for _ in range(TRIALS):
            _kill_at_random(fn, rng)
            kills += 1
            ws2 = _clean_after_recovery(root)
            assert [m["run_id"] for m in list_runs(ws2)] == [run_id], name
            back = load_run(ws2, run_id)
            np.testing.assert_array_equal(back.model.phi, run.model.phi)
    # save then delete, over and over: the run is either there and loadable, or gone

    def save_delete(i):
        save_run(ws, run)
        delete_run(ws, run_id)

    for _ in range(TRIALS):
        _kill_at_random(save_delete, rng)
        kills += 1
        ws2 = _clean_after_recovery(root)
        ids = [m["run_id"] for m in list_runs(ws2)]
        assert ids in ([], [run_id])
        if ids:
            load_run(ws2, run_id)
    assert kills == 5 * TRIALS


def test_kill_corpus_replace(base, tmp_path):
    base_root, corpus, _, _ = base
    root = _copy(base_root, tmp_path)
    ws = Workspace(root)
    rng = random.Random(17)
    for _ in range(TRIALS):
        _kill_at_random(lambda i: ws.save_corpus(corpus, "c", replace=True), rng)
        ws2 = _clean_after_recovery(root)
        assert [c["name"] for c in ws2.list_corpora()] == ["c"]
        assert ws2.load_corpus("c").n_dw.nnz == corpus.n_dw.nnz


def test_kill_hierarchy_writers(base, tmp_path):
    base_root, _, _, h = base
    root = _copy(base_root, tmp_path)
    ws = Workspace(root)
    hid = h.hierarchy_id
    topic = h.levels[1].model.topic_names[0]

    def save_delete(i):
        save_hierarchy(ws, h)
        delete_hierarchy(ws, hid)

    writers = {
        "save": lambda i: save_hierarchy(ws, h),
        "labels": lambda i: set_level_labels(ws, hid, 1, {topic: f"label {i}"}),
        "save+delete": save_delete,
    }
    rng = random.Random(18)
    for name, fn in writers.items():
        for _ in range(TRIALS):
            _kill_at_random(fn, rng)
            ws2 = _clean_after_recovery(root)
            ids = [m["hierarchy_id"] for m in list_hierarchies(ws2)]
            if name != "save+delete" or ids:
                assert ids == [hid], name
                back = load_hierarchy(ws2, hid)
                np.testing.assert_array_equal(back.levels[1].model.phi, h.levels[1].model.phi)
            if name == "save+delete" and not ids:
                save_hierarchy(ws2, h)  # the next writer starts from a saved hierarchy


def test_kill_exports(base, tmp_path):
    """Run export (CSV and Parquet), hierarchy export and a report file: a kill leaves each file
    absent or complete, never half a table."""
    base_root, corpus, run_id, h = base
    ws = Workspace(base_root)
    run = load_run(ws, run_id)
    rng = random.Random(19)
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"run-{fmt}"
        paths = export_run(run, corpus, fmt, out)
        expected = {p.name: len(pd.read_csv(p) if fmt == "csv" else pd.read_parquet(p)) for p in paths}
        for p in paths:
            p.unlink()
        for _ in range(TRIALS):
            _kill_at_random(lambda i: export_run(run, corpus, fmt, out), rng, max_delay=0.1)
            for p in list(out.iterdir()):  # killed writers' hidden temporaries: named, never a table name
                if p.name.startswith("."):
                    assert p.name.endswith(".tmp"), p.name
                    p.unlink()
            _complete_tables(out, expected)
    out = tmp_path / "hier"
    paths = export_hierarchy(h, out)
    expected = {p.name: len(pd.read_csv(p)) for p in paths}
    for _ in range(TRIALS):
        _kill_at_random(lambda i: export_hierarchy(h, out), rng, max_delay=0.1)
        for p in list(out.iterdir()):
            if p.name.startswith("."):
                p.unlink()
        _complete_tables(out, expected)
    report = tmp_path / "report.html"
    body = "<html>" + "x" * (4 << 20) + "</html>"
    for _ in range(TRIALS):
        _kill_at_random(lambda i: write_text_atomic(report, body), rng, max_delay=0.1)
        assert report.read_text() == body
