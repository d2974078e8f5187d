"""CSV injection: every CSV the engine writes neutralizes formula-leading cells (OWASP rule)."""
import csv
import io
import subprocess
from pathlib import Path

import pandas as pd

from engine.store.csvsafe import FORMULA_START, safe_cell, safe_frame, to_csv

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tx", "\rx"]


def test_each_formula_start_gets_a_quote_and_nothing_else_changes():
    for v in HOSTILE:
        assert safe_cell(v) == "'" + v
    for v in ("word", "'quoted", "", "a=b", 3, -2.5, None):
        assert safe_cell(v) == v
    df = pd.DataFrame({"token": HOSTILE, "n": range(len(HOSTILE)), "x": [-1.5] * len(HOSTILE), "=col": ["a"] * 6})
    out = safe_frame(df)
    assert all(str(v).startswith("'") for v in out["token"]) and list(out["n"]) == list(range(6))
    assert list(out["x"]) == [-1.5] * 6 and list(out.columns)[-1] == "'=col"
    rows = list(csv.reader(io.StringIO(to_csv(df), newline="")))
    assert not any(cell.startswith(FORMULA_START) for row in rows for cell in row if not _number(cell))


def _number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def test_every_csv_writer_in_the_code_goes_through_csvsafe():
    """grep: no .to_csv( / csv.writer outside csvsafe itself (tests and benchmarks aside)."""
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(["grep", "-rnE", r"\.to_csv\(|csv\.writer|csv\.DictWriter", "engine", "app",
                        "--include=*.py"], cwd=root, capture_output=True, text=True)
    offenders = [ln for ln in r.stdout.splitlines()
                 if "csvsafe" not in ln and "def to_csv" not in ln and "lex.to_csv()" not in ln]
    assert offenders == []
