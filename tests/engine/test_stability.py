"""Stability across random starts, bends, and the topic-count sweep on planted topics."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine import ModelConfig, Workspace
from engine.analysis.stability import knee, stability_score, topic_stability
from engine.analysis.sweep import run_sweep, topic_selection_curve
from engine.cli import main as cli_main
from engine.errors import ConfigError, InputError
from planted import planted_corpus


def _starts(rng, stable=6, unstable=2, W=200, R=4):
    """R starts sharing ``stable`` sparse topics (slightly perturbed, shuffled) plus
    ``unstable`` fresh random topics each."""
    base = rng.dirichlet(np.full(W, 0.05), size=stable).T
    out = []
    for _ in range(R):
        p = np.hstack([base * (1 + 0.05 * rng.random(base.shape)),
                       rng.dirichlet(np.full(W, 0.05), size=unstable).T])
        out.append(p[:, rng.permutation(stable + unstable)])
    return out, base


def test_matching_finds_planted_topics():
    rng = np.random.default_rng(0)
    phis, base = _starts(rng)
    ref = phis[0]
    table = topic_stability(phis, reference=0)
    # a reference topic is stable exactly when it is one of the planted ones
    planted = np.array([min(np.abs(ref[:, t] / ref[:, t].sum() - base[:, k]).sum() for k in range(6)) < 0.2
                        for t in range(8)])
    np.testing.assert_array_equal(table["stable"].to_numpy(), planted)
    assert table.loc[planted, "stability"].min() == 1.0
    assert table.loc[~planted, "stability"].max() == 0.0
    s = stability_score(phis)
    assert s["stability"] == pytest.approx(6 / 8)
    assert s["stable_topics"] == 6


def test_stability_needs_two_starts():
    with pytest.raises(InputError, match="two random starts"):
        stability_score([np.ones((5, 2))])


def test_knee():
    assert knee([10, 20, 40, 80], [100, 40, 35, 33]) == 20
    assert knee([10, 20, 40], [1, 1, 1]) is None
    assert knee([10, 20], [1, 2]) is None


@pytest.fixture(scope="module")
def planted5():
    return planted_corpus(n_topics=5, words_per_topic=8, n_docs=200, noise=4)


def test_sweep_on_planted_topics(planted5):
    res = run_sweep(planted5, [3, 5, 8], starts=3, base=ModelConfig(iterations=30), workers=2)
    assert len(res.runs) == 9 and set(res.runs["start"]) == {0, 1, 2}
    s = res.summary.set_index("topics")
    assert s.loc[5, "stability"] == 1.0                          # the true T is fully stable
    assert s.loc[5, "stability"] > s.loc[8, "stability"]
    assert s.loc[5, "holdout_perplexity"] < s.loc[3, "holdout_perplexity"]
    assert res.bends["holdout_perplexity"] == 5
    per = res.topic_stability(5, start=1)
    assert len(per) == 5 and per["stable"].all()


def test_topic_selection_finds_planted_count(planted5):
    curve = topic_selection_curve(planted5, 12, tau=0.8, base=ModelConfig(iterations=30))
    assert curve["surviving"].iloc[0] == 12
    assert curve["surviving"].iloc[-1] == 5
    assert curve["surviving"].is_monotonic_decreasing


def test_sweep_bad_input(planted5):
    with pytest.raises(ConfigError, match="starts"):
        run_sweep(planted5, [3], starts=0)
    with pytest.raises(ConfigError, match="topic counts"):
        run_sweep(planted5, [0, 3])


def test_sweep_cli_writes_table_and_html(planted5, tmp_path, capsys):
    ws = Workspace(tmp_path / "ws")
    ws.save_corpus(planted5, "p5")
    out = tmp_path / "res" / "sweep"
    assert cli_main(["sweep", "--workspace", str(ws.root), "--corpus", "p5", "--topics", "3,5,8",
                     "--starts", "2", "--iterations", "20", "--selection", "10", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len([x for x in lines if x.startswith('{"topics"')]) == 6
    data = json.loads(out.with_suffix(".json").read_text())
    assert [r["topics"] for r in data["summary"]] == [3, 5, 8]
    assert "stability" in out.with_suffix(".csv").read_text().splitlines()[0]
    html = out.with_suffix(".html").read_text()
    assert "Stability across starts" in html and "TopicSelection" in html
    assert cli_main(["sweep", "--workspace", str(ws.root), "--corpus", "p5", "--topics", "x"]) == 2


def test_run_stability_over_saved_starts(planted5, tmp_path):
    from engine import Trainer
    from engine.families.starts import run_stability, sibling_runs
    from engine.store.runs import new_run, save_run

    ws = Workspace(tmp_path)
    ws.save_corpus(planted5, "p5")
    corpus = ws.load_corpus("p5")
    ids = []
    for seed, T in ((1, 5), (2, 5), (3, 5), (4, 6)):
        cfg = ModelConfig(n_topics=T, iterations=30, seed=seed, threads=1)
        tr = Trainer(corpus, cfg)
        tr.fit()
        run = new_run(corpus, cfg.to_dict(), tr.model, name=f"s{seed}")
        run.status = "finished"
        save_run(ws, run)
        ids.append(run.run_id)
    assert set(sibling_runs(ws, ids[0])) == set(ids[1:3])       # T=6 is another configuration
    table = run_stability(ws, ids[0])
    assert table.attrs["starts"] == 3 and len(table) == 5
    assert table["stable"].all() and (table["stability"] == 1.0).all()
    assert run_stability(ws, ids[3]) is None
