"""Bad input to hierarchies and sweeps, through the engine and the CLI: a child level with fewer
topics than its parent, a level on another corpus, τ of any size (0 trains, negative / nan / inf /
1e308 refused, also as a live edit), continuing on a changed corpus — one clear message, nothing
saved half-way (no hierarchy, no plan, no run)."""
from __future__ import annotations

import json

import pytest

from engine import ModelConfig, Workspace
from engine.cli import main as cli_main
from engine.errors import ConfigError
from engine.families.hierarchy import HierarchyOptions, level_configs, list_hierarchies
from engine.families.hierarchy.build import list_builds, plan_build
from engine.families.starts.sweep import list_sweep_builds
from engine.jobs import JobRegistry
from engine.store.runs import list_runs
from planted import planted_corpus
from planted_hierarchy import planted_hierarchy

BASE = ModelConfig(iterations=3, seed=3, threads=1)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path)
    corpus, _ = planted_hierarchy(n_parents=2, children=2, n_docs=80)
    w.save_corpus(corpus, "tree")
    w.save_corpus(planted_corpus(n_topics=3, n_docs=60), "other")
    return w


def _nothing_saved(ws):
    assert list_hierarchies(ws) == [] and list_builds(ws, unfinished=False) == [] and list_runs(ws) == []
    assert list_sweep_builds(ws, unfinished=False) == []


def _cli(capsys, ws, *args):
    try:
        code = cli_main([*args, "--workspace", str(ws.root)])
    except SystemExit as e:  # refused by the argument parser (e.g. a number that is not finite)
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("tau", ["-1", "nan", "inf", "1e308", "-0.5", "1e7"])
def test_cli_tau_out_of_range(ws, capsys, tau):
    code, _, err = _cli(capsys, ws, "hierarchy", "--corpus", "tree", "--levels", "2,4", "--tau", tau)
    assert code == 2 and "tau" in err and any(m in err for m in ("between 0 and", "finite", "too large")), err
    assert err.count("\n") <= 2                                     # one message, no traceback
    _nothing_saved(ws)


def test_tau_zero_trains_independent_levels(ws, capsys):
    code, out, _ = _cli(capsys, ws, "hierarchy", "--corpus", "tree", "--levels", "2,4", "--tau", "0",
                        "--iterations", "3", "--threads", "1")
    assert code == 0
    h = json.loads(out.splitlines()[-1])
    assert h["levels"] == [2, 4] and len(list_hierarchies(ws)) == 1


@pytest.mark.parametrize("tau", [-1.0, float("nan"), float("inf"), 1e308, 2e6])
def test_live_tau_edit_out_of_range_is_refused(ws, tau):
    corpus = ws.load_corpus("tree")
    build = plan_build(ws, corpus, level_configs([2, 4], BASE.with_changes(iterations=400)), HierarchyOptions())
    reg = JobRegistry()
    seen = {}

    def on_report(k, r):
        if k == 1 and "err" not in seen:
            job = reg.get(build.run_ids[1])
            with pytest.raises(ConfigError, match="tau|finite") as e:
                job.set_regularizer("hierarchy_link", tau=tau)
            seen["err"] = str(e.value)
            job.stop()

    assert build.run(corpus, registry=reg, on_report=on_report) is None
    assert "hierarchy_link.tau" in seen["err"] or "finite number" in seen["err"]
    assert list_hierarchies(ws) == []                              # stopped, nothing half-saved
    cfg = reg.get(build.run_ids[1]).snapshot().config
    assert [float(r.tau(1)) for r in cfg.regularizers if r.kind == "HierarchyLink"] == [1.0]


def test_cli_fewer_topics_and_other_corpus(ws, capsys):
    code, _, err = _cli(capsys, ws, "hierarchy", "--corpus", "tree", "--levels", "4,2")
    assert code == 2 and "fewer than its parent" in err
    _nothing_saved(ws)
    code, out, _ = _cli(capsys, ws, "hierarchy", "--corpus", "tree", "--levels", "2", "--iterations", "3")
    hid = json.loads(out.splitlines()[-1])["hierarchy_id"]
    runs = list_runs(ws)
    for corpus, levels, msg in (("other", "4", "same corpus"), ("tree", "1", "fewer than its parent")):
        code, _, err = _cli(capsys, ws, "hierarchy", "--corpus", corpus, "--levels", levels, "--extend", hid)
        assert code == 2 and msg in err, err
    assert list_runs(ws) == runs and list_builds(ws) == []
    assert [m["levels"] for m in list_hierarchies(ws)] == [[2]]


def test_continue_on_a_changed_corpus_is_refused(ws, capsys):
    corpus = ws.load_corpus("tree")
    build = plan_build(ws, corpus, level_configs([2, 4], BASE))
    ws.save_corpus(planted_corpus(n_topics=3, n_docs=70), "tree", replace=True)
    code, _, err = _cli(capsys, ws, "hierarchy", "--resume", build.build_id)
    assert code == 2 and "continue it on that corpus" in err
    assert list_runs(ws) == [] and list_hierarchies(ws) == []


@pytest.mark.parametrize("extra, msg", [
    (["--topics", "0,3"], "topic counts"),
    (["--topics", "three"], "--topics"),
    (["--topics", "3", "--starts", "0"], "starts"),
    (["--topics", "3", "--holdout", "nan"], "holdout"),
    (["--topics", "3", "--holdout", "0.9"], "holdout"),
    (["--topics", "3", "--workers", "0"], "workers"),
    (["--topics", "3", "--selection", "-4"], "TopicSelection"),
    ([], "give --corpus and --topics"),
])
def test_cli_sweep_bad_input(ws, capsys, extra, msg):
    code, _, err = _cli(capsys, ws, "sweep", "--corpus", "tree", *extra)
    assert code == 2 and msg in err, err
    _nothing_saved(ws)
