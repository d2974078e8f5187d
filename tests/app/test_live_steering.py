"""The live view's cheap paths (app/live.py, app/steer.py, app/widgets.py): the score history
grows by the new passes only and equals the snapshot's own frames; a long plan's τ chart is
drawn from a few hundred iterations that keep its breaks. The browser side (a τ edit used from
the next pass, confirmation under the button) is in tests/e2e/test_browser.py."""
from __future__ import annotations

import numpy as np
import pandas as pd

import engine
from app import live
from app.figures.training import plan_iterations, tau_trajectories
from engine.em.model import IterationReport
from engine.jobs.snapshot import Snapshot


def report(i: int, tau: float = 0.1) -> IterationReport:
    scores = {"perplexity": 1000.0 / i}
    if i % 5 == 0:
        scores["coherence"] = 0.01 * i  # a score computed every 5 passes
    return IterationReport(iteration=i, seconds=0.01, tau={"smooth": tau, "decor": -tau}, scores=scores)


def snap(reports, job_id="j1") -> Snapshot:
    return Snapshot(job_id=job_id, run_id=job_id, name="r", status="running", iteration=reports[-1].iteration if reports
                    else 0, total_iterations=10_000, config=None, reports=tuple(reports))


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_history_grows_by_new_passes_and_matches_the_snapshot():
    cache: dict = {}
    reports = [report(i) for i in range(1, 8)]
    scores, tau = live.history(snap(reports), cache)
    same(scores, snap(reports).scores_frame())
    same(tau, snap(reports).tau_frame())
    first_scores = cache["scores"]
    reports += [report(i) for i in range(8, 23)]
    scores, tau = live.history(snap(reports), cache)
    same(scores, snap(reports).scores_frame())
    same(tau, snap(reports).tau_frame())
    assert cache["n"] == 22 and len(first_scores) < len(scores)
    assert live.history(snap(reports), cache)[0] is cache["scores"]  # nothing new: nothing rebuilt


def test_history_rebuilds_after_a_rollback_or_for_another_job():
    cache: dict = {}
    reports = [report(i) for i in range(1, 11)]
    live.history(snap(reports), cache)
    rolled = reports[:6] + [report(i, tau=0.5) for i in range(7, 9)]  # back to 6, then two new passes
    scores, tau = live.history(snap(rolled), cache)
    same(tau, snap(rolled).tau_frame())
    assert set(tau.query("iteration > 6")["tau"].abs()) == {0.5}
    other = [report(i, tau=0.2) for i in range(1, 4)]
    scores, tau = live.history(snap(other, job_id="j2"), cache)
    same(scores, snap(other, job_id="j2").scores_frame())


def test_a_long_plan_is_drawn_from_a_few_hundred_iterations_keeping_its_breaks():
    its = plan_iterations(100_000, [5_000, 70_001], max_points=300)
    assert len(its) <= 310 and its[0] == 1 and its[-1] == 100_000
    assert np.all(np.diff(its) > 0) and {4_999, 5_000, 70_000, 70_001} <= set(its.tolist())
    assert plan_iterations(7).tolist() == list(range(1, 8))  # short plans: every iteration
    step = engine.trajectory_from_dict({"kind": "step", "value": -0.5, "on": 5_000, "off": 70_001})
    fig = tau_trajectories({"planned τ": [step(int(i)) for i in its]}, x=its)
    x, y = np.asarray(fig.data[0].x), np.asarray(fig.data[0].y)
    assert y[x == 4_999][0] == 0 and y[x == 5_000][0] == -0.5 and y[x == 70_001][0] == 0  # the step is sharp


def test_a_poll_rebuilds_costly_parts_within_its_budget(monkeypatch):
    builds = []
    clock = [100.0]
    monkeypatch.setattr(live.time, "monotonic", lambda: clock[0])

    def build(cost):
        def f():
            builds.append(clock[0])
            clock[0] += cost  # the build itself takes `cost` seconds
            return len(builds)
        return f

    assert live._budgeted("t", ("job", "running"), 5, build(2.0)) == 1
    clock[0] += 1.5  # next poll, a new pass: 3.5 s since the last build began < 2 s / CHART_SHARE
    assert live._budgeted("t", ("job", "running"), 6, build(2.0)) == 1
    clock[0] += 5.0  # 8.5 s since: ≥ 8 s, rebuilt
    assert live._budgeted("t", ("job", "running"), 7, build(2.0)) == 2
    assert live._budgeted("t", ("job", "paused"), 7, build(0.1)) == 3  # the state changed: at once
    clock[0] += live.POLL_SECONDS
    assert live._budgeted("t", ("job", "paused"), 8, build(0.1)) == 4  # cheap builds: every poll
    assert live._budgeted("t", ("job", "paused"), 8, build(0.1)) == 4  # same pass: nothing rebuilt


def test_top_words_are_whole_wrapping_lines_with_markup_escaped():
    table = pd.DataFrame({"topic": ["war · army", "<b>x</b> · y"],
                          "top tokens": ["war 3.1% · army 2.0% · " + " · ".join(f"w{i} 0.1%" for i in range(20)),
                                         "<b>x</b> 5.0% · y & z 1.0%"]})
    out = live.top_words_html(table)
    assert out.count("<div") == 2  # one line per topic, nothing cut: every token is there
    assert all(f"w{i} 0.1%" in out for i in range(20))
    assert "<b>x</b>" not in out  # markup in a topic or token name is shown as text
    assert "&lt;b&gt;x&lt;/b&gt; 5.0%" in out and "y &amp; z" in out
