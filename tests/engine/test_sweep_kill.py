"""kill -9 at random moments of the hierarchy and sweep writers the crash suite does not cover:
a hierarchy training's plan record, a sweep's plan (a new entry) and its record updates, the saved
sweep (replaced under its id) — after the workspace recovery nothing is half-written: every
listed entry loads, no orphan (folder or hidden ``.tmp`` file) is left anywhere."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from engine import ModelConfig, Workspace
from engine.families.hierarchy import level_configs
from engine.families.hierarchy.build import list_builds, load_build, plan_build
from engine.families.starts.sweep import list_sweep_builds, load_sweep_build, plan_sweep
from engine.store.recovery import orphans, recover
from engine.store.sweeps import list_sweeps, load_sweep
from planted import planted_corpus
from test_crash_writers import _kill_at_random

TRIALS = 10


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A workspace with a corpus, a finished sweep (runs + saved sweep) and a hierarchy plan."""
    root = tmp_path_factory.mktemp("sweepkill") / "ws"
    ws = Workspace(root)
    ws.save_corpus(planted_corpus(n_topics=3, words_per_topic=6, n_docs=60, noise=2), "p")
    corpus = ws.load_corpus("p")
    build = plan_sweep(ws, corpus, [2, 3], starts=2, base=ModelConfig(iterations=4), workers=1)
    saved = build.run(corpus)
    hb = plan_build(ws, corpus, level_configs([2, 4], ModelConfig(iterations=3)))
    return root, corpus, build.sweep_id, saved, hb.build_id


def _hidden(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*") if ".locks" not in p.parts)


def _clean_after_recovery(root: Path) -> Workspace:
    ws = Workspace(root)
    recover(ws)
    assert orphans(ws) == []
    assert _hidden(root) == []     # no .tmp folder or file anywhere, whatever the folder
    return ws


def test_kill_sweep_and_hierarchy_plan_writers(prepared):
    root, corpus, sweep_id, saved, hier_id = prepared
    ws = Workspace(root)
    build = load_sweep_build(ws, sweep_id)
    hb = load_build(ws, hier_id)
    writers = {
        "sweep save": lambda i: build.save_result(corpus),
        "sweep record": lambda i: build._save(note=i),
        "sweep plan": lambda i: plan_sweep(ws, corpus, [2, 3], starts=2, base=ModelConfig(iterations=4)),
        "hierarchy record": lambda i: hb._save(note=i),
        "hierarchy plan": lambda i: plan_build(ws, corpus, level_configs([2, 4], ModelConfig(iterations=3))),
    }
    rng = random.Random(12)
    for name, fn in writers.items():
        for _ in range(TRIALS):
            _kill_at_random(fn, rng)
            ws2 = _clean_after_recovery(root)
            assert [m["sweep_id"] for m in list_sweeps(ws2)] == [sweep_id], name
            back = load_sweep(ws2, sweep_id)
            assert back.runs["run_id"].tolist() == saved.runs["run_id"].tolist(), name
            for m in list_sweep_builds(ws2, unfinished=False):
                load_sweep_build(ws2, m["sweep_id"])
            for m in list_builds(ws2, unfinished=False):
                load_build(ws2, m["build_id"])
            assert load_build(ws2, hier_id).run_ids == hb.run_ids, name
