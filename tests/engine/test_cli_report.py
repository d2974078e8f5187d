"""`artm-studio report RUN --out x.html` and `export --format html`: the stakeholder report the
app's Runs page builds (engine.analysis.stakeholder_report), without the dashboard
(engine/cli/report.py) — fixed width ≤ 1,200 px, labelled topics only, background excluded."""
from __future__ import annotations

import re

import pytest

import engine
from engine.analysis import stakeholder_report, topic_names_for
from engine.analysis.report import BODY_WIDTH_PX
from engine.cli import main
from engine.store.runs import load_run, resolve_run_id, set_topic_labels


@pytest.fixture(scope="module")
def trained(tmp_path_factory, kernels_ready):
    ws_dir = tmp_path_factory.mktemp("report_ws")
    ws = engine.Workspace(ws_dir)
    engine.ensure_sample_corpus(ws)
    assert main(["train", "--workspace", str(ws_dir), "--corpus", "uk-commons", "--topics", "4", "--background", "1",
                 "--iterations", "4", "--name", "rep", "--seed", "2"]) == 0
    run_id = resolve_run_id(ws, "rep")
    set_topic_labels(ws, run_id, {"topic_0": "Health <script>alert(1)</script>", "topic_2": "Transport"})
    return ws_dir, ws, run_id


def undated(html: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", html)


def test_report_is_the_stakeholder_report(trained, tmp_path):
    ws_dir, ws, run_id = trained
    out = tmp_path / "sub" / "report.html"
    assert main(["report", "rep", "--workspace", str(ws_dir), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    run = load_run(ws, run_id)
    # the very page the app's report button makes (same run, same corpus)
    assert undated(html) == undated(stakeholder_report(run, ws.load_corpus("uk-commons")))
    # fixed width ≤ 1,200 px, printable, self-contained
    body_css = re.search(r"body\{([^}]*)\}", html).group(1)
    assert int(re.search(r"(?:^|[;\s])width:(\d+)px", body_css).group(1)) == BODY_WIDTH_PX <= 1200
    assert "@media print" in html and "<script" not in html and not re.search(r"(src|href|url)\W+https?:", html)
    # labelled topics only: the two labels, escaped; no other topic and never the background
    rows = re.findall(r"<tr><td>(.*?)</td>", html.split("<h2>Topics</h2>", 1)[1].split("</table>", 1)[0])
    assert sorted(rows) == ["Health &lt;script&gt;alert(1)&lt;/script&gt;", "Transport"]
    names = topic_names_for(run)
    bg = [names[t] for t in range(run.model.n_topics) if run.model.background[t]]
    assert bg and all(n.startswith("background") for n in bg)
    body = html.split("<body>", 1)[1]
    assert not any(n in body for n in bg) and "background:" not in body
    assert "uk-commons" in body and re.search(r"4 passes", body)
    assert "Perplexity" in body  # the explained scores table


def test_report_without_labels_shows_automatic_names_not_background(tmp_path, kernels_ready):
    ws = engine.Workspace(tmp_path / "ws")
    engine.ensure_sample_corpus(ws)
    assert main(["train", "--workspace", str(ws.root), "--corpus", "uk-commons", "--topics", "3", "--background", "1",
                 "--iterations", "3", "--name", "plain", "--seed", "1"]) == 0
    out = tmp_path / "r.html"
    assert main(["report", "plain", "--workspace", str(ws.root), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    run = load_run(ws, resolve_run_id(ws, "plain"))
    names = topic_names_for(run)
    rows = re.findall(r"<tr><td>(.*?)</td>", html.split("<h2>Topics</h2>", 1)[1].split("</table>", 1)[0])
    subject = [names[t] for t in range(run.model.n_topics) if not run.model.background[t]]
    assert sorted(rows) == sorted(subject) and not any(r.startswith("background") for r in rows)
    assert not any(re.fullmatch(r"(topic|background)_\d+", r) for r in rows)  # names, not ids


def test_export_html_and_bad_out(trained, tmp_path, capsys):
    ws_dir, ws, run_id = trained
    assert main(["export", run_id, "--workspace", str(ws_dir), "--format", "html", "--out", str(tmp_path / "x")]) == 0
    exported = (tmp_path / "x" / "report.html").read_text(encoding="utf-8")
    assert main(["report", run_id, "--workspace", str(ws_dir), "--out", str(tmp_path / "r.html")]) == 0
    assert undated(exported) == undated((tmp_path / "r.html").read_text(encoding="utf-8"))  # one report, two commands
    capsys.readouterr()
    assert main(["report", run_id, "--workspace", str(ws_dir), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
