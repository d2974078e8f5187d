"""CLI model commands in-process (engine.cli.main) plus one ``python -m engine`` subprocess."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.store.runs import list_runs, load_run
from engine.store.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]

TOPIC_WORDS = {
    "pets": "cat dog kitten puppy leash vet".split(),
    "money": "stock market bond trader price bank".split(),
    "sport": "football goal striker match league coach".split(),
}


@pytest.fixture
def ws(tmp_path, kernels_ready):
    from planted import planted_corpus

    w = Workspace(tmp_path / "ws")
    w.save_corpus(planted_corpus(extra_modality="@labels"), "planted")
    return w


@pytest.fixture
def text_ws(tmp_path, kernels_ready):
    """A corpus imported from text through the ingest pipeline (for transform)."""
    import random

    from engine.corpus.ingest import ImportOptions, import_corpus

    rnd = random.Random(0)
    rows = []
    for i in range(45):
        topic = list(TOPIC_WORDS)[i % 3]
        words = [rnd.choice(TOPIC_WORDS[topic]) for _ in range(25)]
        rows.append({"id": f"doc{i}", "text": " ".join(words)})
    src = tmp_path / "docs.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    w = Workspace(tmp_path / "ws")
    import_corpus(src, "news", ImportOptions(text_column="text", id_column="id", lang="en", min_df=1),
                  workspace=w)
    return w


def run_cli(args, capsys):
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_train_prints_scores_and_saves(ws, capsys):
    rc, out, err = run_cli(["train", "--workspace", str(ws.root), "--corpus", "planted", "--topics", "3",
                            "--iterations", "8", "--seed", "3", "--name", "first",
                            "--reg", "SmoothSparsePhi(tau=-0.05, topics=subject, start=4)"], capsys)
    assert rc == 0, err
    lines = [line for line in out.splitlines() if line.startswith("iter")]
    assert len(lines) == 8 and "perplexity=" in lines[0] and "sparsity_phi=" in lines[-1]
    runs = list_runs(ws)
    assert len(runs) == 1 and runs[0]["name"] == "first" and runs[0]["status"] == "finished"
    run = load_run(ws, runs[0]["run_id"])
    assert run.iteration == 8
    assert "coherence" in run.final_scores()  # every=5 but always on the last iteration
    tau = run.tau[run.tau.regularizer == "SmoothSparsePhi"].sort_values("iteration")
    assert tau.tau.tolist()[:3] == [0.0, 0.0, 0.0] and tau.tau.tolist()[3] == pytest.approx(-0.05)
    perp = run.scores[run.scores.score == "perplexity"].value.tolist()
    assert perp[-1] < perp[0]


def test_train_jsonl_and_show_json_recovers_planted_topics(ws, capsys):
    rc, out, err = run_cli(["train", "--workspace", str(ws.root), "--corpus", "planted", "--topics", "3",
                            "--iterations", "15", "--jsonl", "--modality-weight", "@labels=2"], capsys)
    assert rc == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["iteration"] for o in objs] == list(range(1, 16))
    assert all(o["seconds"] >= 0 and o["perplexity"] > 0 for o in objs)
    assert "class_precision@labels" in objs[-1] and "topic_distance" in objs[-1]
    assert objs[-1]["perplexity"] <= objs[0]["perplexity"]
    rc, out, _ = run_cli(["show", "--workspace", str(ws.root), "--json", "--top", "3",
                          "--modality", "@default_class", list_runs(ws)[0]["run_id"][:15]], capsys)
    assert rc == 0
    topics = json.loads(out)
    assert [t["name"] for t in topics] == ["topic_0", "topic_1", "topic_2"]
    groups = set()
    for t in topics:
        heads = {tok["token"].split("_")[0] for tok in t["top_tokens"]}
        assert len(heads) == 1, t  # each topic's top words come from one planted block
        groups |= heads
    assert groups == {"w0", "w1", "w2"}
    rc, out, _ = run_cli(["show", "--workspace", str(ws.root), list_runs(ws)[0]["run_id"]], capsys)
    assert rc == 0 and "topic_2" in out and "@labels: label" in out


def test_runs_export_rename_delete(ws, capsys, tmp_path):
    assert main(["train", "--workspace", str(ws.root), "--corpus", "planted", "--topics", "2",
                 "--iterations", "2", "--name", "tiny"]) == 0
    capsys.readouterr()
    rc, out, _ = run_cli(["runs", "--workspace", str(ws.root), "--json"], capsys)
    runs = json.loads(out)
    assert rc == 0 and [r["name"] for r in runs] == ["tiny"]
    run_id = runs[0]["run_id"]
    rc, out, _ = run_cli(["runs", "--workspace", str(ws.root)], capsys)
    assert run_id in out and "finished" in out
    for fmt in ("csv", "parquet"):
        rc, out, _ = run_cli(["export", "--workspace", str(ws.root), "tiny", "--format", fmt,
                              "--out", str(tmp_path / fmt)], capsys)
        assert rc == 0
        assert {Path(p).name for p in out.split()} == {f"{n}.{fmt}" for n in ("phi", "theta", "top_tokens", "scores")}
    theta = pd.read_csv(tmp_path / "csv" / "theta.csv")
    assert len(theta) == 60 and list(theta.columns) == ["id", "topic_0", "topic_1"]
    assert main(["rename-run", "--workspace", str(ws.root), run_id, "renamed"]) == 0
    assert list_runs(ws)[0]["name"] == "renamed"
    assert main(["delete-run", "--workspace", str(ws.root), "renamed"]) == 0
    assert list_runs(ws) == []
    capsys.readouterr()
    rc, _, err = run_cli(["show", "--workspace", str(ws.root), "renamed"], capsys)
    assert rc == 2 and "no run 'renamed'" in err


def test_config_file_and_errors(ws, capsys, tmp_path):
    cfg = tmp_path / "run.json"
    cfg.write_text(json.dumps({"n_topics": 2, "n_background": 1, "iterations": 3, "seed": 5}))
    rc, _, err = run_cli(["train", "--workspace", str(ws.root), "--corpus", "planted", "--config", str(cfg),
                          "--iterations", "2"], capsys)
    assert rc == 0, err
    run = load_run(ws, list_runs(ws)[0]["run_id"])
    assert run.config["n_background"] == 1 and run.config["iterations"] == 2 and run.config["random_state"] == 5  # old key "seed" accepted
    assert run.model.topic_names == ["topic_0", "topic_1", "background_0"]
    cases = [
        (["--reg", "SmoothSparsePhi(tau=__import__('os'))"], "tau"),
        (["--reg", "NoSuchReg(tau=1)"], "unknown regularizer"),
        (["--modality-weight", "@labels"], "MODALITY=WEIGHT"),
        (["--modality-weight", "@nope=2"], "@nope"),
        (["--topics", "0"], "topic"),
        (["--config", str(tmp_path / "missing.json")], "does not exist"),
    ]
    for extra, msg in cases:
        rc, _, err = run_cli(["train", "--workspace", str(ws.root), "--corpus", "planted", "--iterations", "1",
                              *extra], capsys)
        assert rc == 2 and msg in err, (extra, err)
    rc, _, err = run_cli(["train", "--workspace", str(ws.root), "--corpus", "nope"], capsys)
    assert rc == 2 and "no corpus named 'nope'" in err


def test_transform_new_text(text_ws, capsys):
    assert main(["train", "--workspace", str(text_ws.root), "--corpus", "news", "--topics", "3",
                 "--iterations", "20", "--name", "news3"]) == 0
    capsys.readouterr()
    rc, out, err = run_cli(["transform", "--workspace", str(text_ws.root), "news3",
                            "--text", "The striker scored a goal in the football match"], capsys)
    assert rc == 0, err
    res = json.loads(out)
    assert res["tokens"] == 4  # striker, goal, football, match
    best = res["topics"][0]["topic"]
    run = load_run(text_ws, list_runs(text_ws)[0]["run_id"])
    from engine.analysis.tables import top_tokens

    words = set(top_tokens(run.model, run.tokens, n=6, topics=[best]).token)
    assert words <= set(TOPIC_WORDS["sport"]) | {"football", "goal", "striker", "match", "league", "coach"}
    assert res["topics"][0]["p"] > 0.8
    rc, out, err = run_cli(["transform", "--workspace", str(text_ws.root), "news3", "--one-pass",
                            "--text", "The striker scored a goal in the football match"], capsys)
    assert rc == 0, err
    one = json.loads(out)
    assert one["topics"][0]["topic"] == best and 0.5 < one["topics"][0]["p"] < 1.0 + 1e-6


def test_python_m_engine_sigint_stops_and_saves(ws):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "engine", "train", "--workspace", str(ws.root),
                             "--corpus", "planted", "--topics", "3", "--iterations", "100000",
                             "--jsonl", "--name", "interrupted"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    try:
        first = proc.stdout.readline()
        assert json.loads(first)["iteration"] == 1
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped" in err
    runs = list_runs(ws)
    assert len(runs) == 1 and runs[0]["status"] == "stopped" and runs[0]["name"] == "interrupted"
    run = load_run(ws, runs[0]["run_id"])
    assert 1 <= run.iteration < 100000
    assert run.model.phi.shape == (21, 3)


def test_train_with_seed_lexicon(text_ws, capsys, tmp_path):
    lex = tmp_path / "themes.txt"
    lex.write_text("finance: Stock, bank, zebra\nsports: football, Striker\n", encoding="utf-8")
    rc, out, err = run_cli(["train", "--workspace", str(text_ws.root), "--corpus", "news", "--topics", "4",
                            "--iterations", "10", "--seeds", str(lex), "--name", "seeded"], capsys)
    assert rc == 0, err
    assert "zebra" in err and "stock" not in err.split("vocabulary")[-1].split("\n")[0].split(":")[-1]
    run = load_run(text_ws, list_runs(text_ws)[0]["run_id"])
    assert run.model.labels == {"topic_0": "finance", "topic_1": "sports"}
    seeds = [r for r in run.config["regularizers"] if r["kind"] == "SeedWords"][0]
    assert seeds["lexicon"] == {"topic_0": ["stock", "bank"], "topic_1": ["football", "striker"]}
    from engine.analysis.tables import top_tokens

    tt = top_tokens(run.model, run.tokens, n=6)
    assert set(tt[tt.topic == "topic_0"].token) <= set(TOPIC_WORDS["money"])
    assert set(tt[tt.topic == "topic_1"].token) <= set(TOPIC_WORDS["sport"])
    assert set(tt[tt.topic == "topic_1"].label) == {"sports"}
    csv = tmp_path / "lex.csv"
    csv.write_text("topic,word\na,x\nb,y\nc,z\nd,w\ne,v\n", encoding="utf-8")
    rc, _, err = run_cli(["train", "--workspace", str(text_ws.root), "--corpus", "news", "--topics", "2",
                          "--iterations", "1", "--seeds", str(csv)], capsys)
    assert rc == 2 and "none of the seed words" in err


def test_train_with_holdout_corpus(ws, capsys, kernels_ready):
    from planted import planted_corpus

    ws.save_corpus(planted_corpus(extra_modality="@labels", seed=11, n_docs=30), "planted_test")
    rc, out, err = run_cli(["train", "--workspace", str(ws.root), "--corpus", "planted", "--topics", "3",
                            "--iterations", "6", "--jsonl", "--holdout-corpus", "planted_test"], capsys)
    assert rc == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [("holdout_perplexity" in o) for o in objs] == [False] * 4 + [True, True]
    assert objs[-1]["holdout_perplexity"] < objs[0]["perplexity"]


def test_transform_file_lines_and_progress_bar(text_ws, capsys, tmp_path):
    import io

    from engine.cli.common import ProgressBar

    assert main(["train", "--workspace", str(text_ws.root), "--corpus", "news", "--topics", "3",
                 "--iterations", "15", "--name", "n3"]) == 0
    capsys.readouterr()
    f = tmp_path / "new.txt"
    f.write_text("stock market price\n\nkitten and puppy at the vet\nzzz qqq\n", encoding="utf-8")
    rc, out, err = run_cli(["transform", "--workspace", str(text_ws.root), "n3", "--file", str(f), "--lines"], capsys)
    assert rc == 0, err
    res = json.loads(out)
    assert [r["text"] for r in res] == [0, 1, 2] and [r["tokens"] for r in res] == [3, 3, 0]
    assert res[0]["topics"][0]["topic"] != res[1]["topics"][0]["topic"]
    assert res[2]["topics"] == []  # no known word: no topic
    rc, _, err = run_cli(["transform", "--workspace", str(text_ws.root), "n3", "--file", str(tmp_path / "no.txt")],
                         capsys)
    assert rc == 2 and "does not exist" in err
    s = io.StringIO()
    bar = ProgressBar(4, stream=s, force=True)
    bar.update(2)
    assert "[" + "#" * 15 + "." * 15 + "] 2/4" in s.getvalue()
    quiet = io.StringIO()
    ProgressBar(4, stream=quiet).update(1)  # not a terminal: nothing drawn
    assert quiet.getvalue() == ""
