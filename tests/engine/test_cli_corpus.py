"""CLI: ``import``, ``corpora``, ``inspect-corpus``."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROWS = [
    {"id": "a", "body": "Cats chase mice and cats sleep", "when": "2020-01-05", "party": "red", "tags": ["x", "y"]},
    {"id": "b", "body": "Dogs chase cats in the garden", "when": "2021", "party": "blue", "tags": ["y"]},
    {"id": "c", "body": "the of and", "when": "2022-02-02", "party": "red", "tags": []},
]


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return p


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _tree(root: Path):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_import_prints_one_json_line(tmp_path, data, capsys):
    ws = str(tmp_path / "ws")
    code, out, err = run(capsys, "import", str(data), "--workspace", ws, "--name", "rows",
                         "--text-column", "body", "--date-column", "when", "--modality", "party=@party",
                         "--modality", "tags=@tags", "--min-df", "1", "--max-df", "1.0", "--lang", "en")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    s = json.loads(lines[0])
    assert s["name"] == "rows" and s["documents"] == 2 and s["dropped_empty"] == 1
    assert s["vocabulary"]["@party"] == 2 and s["vocabulary"]["@tags"] == 2
    assert s["tokens"] > 0 and s["seconds"] >= 0
    assert set(s) >= {"name", "documents", "dropped_empty", "tokens", "vocabulary", "seconds"}


def test_corpora_and_inspect(tmp_path, data, capsys):
    ws = str(tmp_path / "ws")
    assert run(capsys, "import", str(data), "--workspace", ws, "--min-df", "1", "--date-column", "when",
               "--modality", "party=@party")[0] == 0
    code, out, _ = run(capsys, "corpora", "--workspace", ws)
    assert code == 0
    listed = json.loads(out)
    assert [c["name"] for c in listed] == ["rows"] and listed[0]["documents"] == 2
    code, out, _ = run(capsys, "inspect-corpus", "rows", "--workspace", ws)
    assert code == 0
    info = json.loads(out)
    assert info["documents"] == 2 and info["dropped_empty"] == 1 and info["documents_in_source"] == 3
    assert info["modalities"]["@party"]["vocabulary"] == 2
    assert info["date_range"] == ["2020-01-05", "2021-01-01"]
    assert {"party", "tags", "date"} <= set(info["metadata_columns"])
    assert info["columns"]["text_column"] == "body"


def test_inspect_unknown_corpus(tmp_path, capsys):
    code, _, err = run(capsys, "inspect-corpus", "nope", "--workspace", str(tmp_path / "ws"))
    assert code == 2 and "no corpus named 'nope'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content,extra,pattern", [
    (b"", [], "the file is empty"),
    (b"\x00\x01\x02binary\xff" * 50, [], "looks like a binary file"),
    (b"a,b\n1,2\n", [], "no usable text column"),
    (b"id,text\n1,hello there\n", ["--text-column", "body"], "text column 'body' does not exist"),
    (b"id,text\n1,the and\n", ["--min-df", "1"], "documents are empty"),
    (b"id,text\n1,alpha beta\n2,gamma delta\n", ["--min-df", "2"], "filters removed every term"),
    (b"id,text\n1,alpha beta\n", ["--modality", "label"], "expected COLUMN=@name"),
    (b"id,text\n1,alpha beta\n", ["--min-df", "lots"], "neither a count"),
])
def test_bad_input_exit_2_one_line_workspace_unchanged(tmp_path, data, capsys, content, extra, pattern):
    ws = tmp_path / "ws"
    assert run(capsys, "import", str(data), "--workspace", str(ws), "--name", "keep", "--min-df", "1")[0] == 0
    before = _tree(ws)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    code, out, err = run(capsys, "import", str(bad), "--workspace", str(ws), "--name", "bad", *extra)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and pattern in err
    if "COLUMN" not in pattern and "neither" not in pattern:
        assert "bad.csv" in err
    assert _tree(ws) == before


def test_name_clash_needs_replace(tmp_path, data, capsys):
    ws = str(tmp_path / "ws")
    assert run(capsys, "import", str(data), "--workspace", ws, "--name", "n", "--min-df", "1")[0] == 0
    before = _tree(Path(ws))
    code, _, err = run(capsys, "import", str(data), "--workspace", ws, "--name", "n")
    assert code == 2 and "already exists" in err and "--replace" in err
    assert _tree(Path(ws)) == before
    code, out, _ = run(capsys, "import", str(data), "--workspace", ws, "--name", "n", "--replace",
                       "--min-df", "1", "--stopwords", "none")
    assert code == 0 and json.loads(out)["name"] == "n"


def test_cp1251_file_via_cli(tmp_path, capsys):
    p = tmp_path / "ru.txt"
    p.write_bytes("Новости России\nРоссия и Москва\n".encode("cp1251"))
    ws = str(tmp_path / "ws")
    code, out, err = run(capsys, "import", str(p), "--workspace", ws, "--one-per-line", "--lang", "ru",
                         "--lemmatize", "--min-df", "1")
    assert code == 0, err
    s = json.loads(out)
    assert any("cp1251" in n for n in s["notes"])
    code, out, err = run(capsys, "import", str(p), "--workspace", ws, "--name", "x", "--encoding", "utf-8")
    assert code == 2 and "ru.txt: line 1" in err and "--encoding cp1251" in err


def test_module_entry_point(tmp_path, data):
    """``python -m engine import`` works as a subprocess too (console script equivalent)."""
    r = subprocess.run([sys.executable, "-m", "engine", "import", str(data), "--workspace", str(tmp_path / "ws"),
                        "--min-df", "1"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "rows"
