"""`artm-studio report RUN --out x.html` and `export --format html`: the stakeholder report
without the dashboard (engine/cli/report.py)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import engine
from engine.cli import main
from engine.cli.report import topics_table
from engine.store.runs import load_run, resolve_run_id, set_topic_labels


@pytest.fixture(scope="module")
def trained(tmp_path_factory, kernels_ready):
    ws_dir = tmp_path_factory.mktemp("report_ws")
    ws = engine.Workspace(ws_dir)
    engine.ensure_sample_corpus(ws)
    assert main(["train", "--workspace", str(ws_dir), "--corpus", "uk-commons", "--topics", "4", "--background", "1",
                 "--iterations", "4", "--name", "rep", "--seed", "2"]) == 0
    run_id = resolve_run_id(ws, "rep")
    set_topic_labels(ws, run_id, {"topic_0": "Health <script>alert(1)</script>"})
    return ws_dir, ws, run_id


def test_report_lists_topics_words_and_scores(trained, tmp_path, capsys):
    ws_dir, ws, run_id = trained
    out = tmp_path / "sub" / "report.html"
    assert main(["report", "rep", "--workspace", str(ws_dir), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    run = load_run(ws, run_id)
    table = topics_table(run)
    assert len(table) == 5 and table["topic"].iloc[-1] == "background_0 (background)"
    shares = table["share %"].iloc[:-1].astype(float)
    assert abs(shares.sum() - 100) < 0.5 and list(shares) == sorted(shares, reverse=True)
    for words in table["top words"]:  # every topic's words are on the page
        assert words.split(", ")[0] in html
    assert "<script>alert(1)</script>" not in html and "Health &lt;script&gt;" in html  # labels escaped
    assert "perplexity" in html and "uk-commons" in html and re.search(r"4 passes", html)
    # the top word shown for a topic is its most probable word-modality token
    m = run.model
    rows = np.flatnonzero(run.tokens["modality"].to_numpy() == m.modalities[0])
    t = m.topic_names.index("topic_1")
    best = run.tokens["token"].iloc[rows[np.argmax(np.asarray(m.phi)[rows, t])]]
    assert table.set_index("topic").loc[m.label(t), "top words"].split(", ")[0] == best


def test_export_html_and_bad_out(trained, tmp_path, capsys):
    ws_dir, ws, run_id = trained
    assert main(["export", run_id, "--workspace", str(ws_dir), "--format", "html", "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert main(["report", run_id, "--workspace", str(ws_dir), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
