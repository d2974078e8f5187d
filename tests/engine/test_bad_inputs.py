"""Bad-input catalogue (issue 16): every hostile or broken input gets one line on stderr naming the
problem, a non-zero exit code and an unchanged workspace (every file's bytes compared).

Cases are grouped by class: memory (bombs, huge lines, devices), archives, compression, UCI,
encodings, dates, special files and names, nesting, limits and options. Silent misreads of the
issue (wrong code page, re-aligned UCI lines, mixed day/month order) are here as refusals or as
positive checks of the right reading.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from engine.cli import main

import badinputs as B


def snapshot(root: Path) -> dict:
    """Every path under ``root`` with the SHA-256 of its bytes (folders: None)."""
    out = {}
    if root.exists():
        for p in sorted(root.rglob("*")):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    return out


@pytest.fixture
def ws(tmp_path, capsys):
    """A workspace holding one good corpus ``keep``."""
    root = tmp_path / "ws"
    src = B.jsonl(tmp_path / "good.jsonl", B.good_rows())
    assert main(["import", str(src), "--workspace", str(root), "--name", "keep", "--min-df", "1"]) == 0
    capsys.readouterr()
    return root


def refuse(capsys, ws: Path, argv: list, pattern: str):
    before = snapshot(ws)
    try:
        code = main([*argv, "--workspace", str(ws)])
    except SystemExit as e:  # usage errors: argparse exits (code 2) after its one-line message
        code = e.code
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0, f"accepted: {out}"
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0], re.I), lines[0]
    assert snapshot(ws) == before, "workspace changed"
    return lines[0]


# (id, builder(tmp) -> path, extra import args, expected message pattern)
IMPORT_CASES = [
    # memory: decompression bombs, huge documents, files without an end
    ("gzip bomb over the input limit", lambda d: B.gzip_bomb(d, 64), ["--max-input-mb", "16"],
     r"bomb\.jsonl\.gz \(gzip\) is more than 16\.0 MiB uncompressed"),
    ("zip bomb by ratio", lambda d: B.zip_bomb(d, 300), [], r"expands .*×.*zip bomb"),
    ("zip over the input limit", lambda d: B.zip_stored(d, 8), ["--max-input-mb", "16", "--max-doc-mb", "4"],
     r"big\.txt is 8\.0 MiB, more than the 4\.0 MiB allowed per document"),
    ("one huge line", lambda d: B.write(d / "line.txt", b"word " * (3 << 20)),
     ["--max-doc-mb", "4"], r"line\.txt \(one document\) is 15\.0 MiB, more than the 4\.0 MiB"),
    ("one huge line, one per line", lambda d: B.write(d / "l2.txt", b"ok\n" + b"word " * (3 << 20)),
     ["--max-doc-mb", "4", "--one-per-line"], r"l2\.txt: line 2 is 15\.0 MiB"),
    ("one huge JSON cell", lambda d: B.jsonl(d / "cell.jsonl", [{"id": 1, "text": "w " * (3 << 20)}]),
     ["--max-doc-mb", "4"], r"cell\.jsonl: line 1 is 6\.0 MiB"),
    ("/dev/zero", lambda d: Path("/dev/zero"), [], r"/dev/zero: is a device, not a regular file"),
    ("a fifo", B.fifo, [], r"pipe\.txt: is a pipe, not a regular file"),
    ("input limit 0", lambda d: B.jsonl(d / "x.jsonl", B.good_rows()), ["--max-input-mb", "0"],
     r"--max-input-mb must be a positive"),
    # compression
    ("corrupt gzip", B.corrupt_gzip, [], r"corrupt\.jsonl\.gz: broken gzip file"),
    ("truncated gzip", B.truncated_gzip, [], r"truncated\.txt\.gz: broken gzip file \(truncated"),
    ("gzip with trailing garbage", B.gzip_trailing_garbage, [], r"garbage\.txt\.gz: broken gzip file"),
    # zip archives
    ("zip with a bad CRC", B.zip_bad_crc, [], r"badcrc\.zip: a\.txt is damaged .*CRC"),
    ("zip with lying sizes", B.zip_lying_size, [], r"lying\.zip: a\.txt (holds more data than its header|is damaged)"),
    ("encrypted zip", B.zip_encrypted, [], r"encrypted\.zip: a\.txt is encrypted"),
    ("zip with unknown method", B.zip_unknown_method, [], r"method99\.zip: a\.txt uses compression method 99"),
    ("truncated zip", B.zip_truncated, [], r"truncated\.zip: (broken zip file|.*damaged)"),
    ("zip with corrupt data", B.zip_corrupt_data, [], r"corruptdata\.zip: a\.txt is damaged"),
    ("named .zip, not a zip", B.named_zip_not_zip, [], r"notzip\.zip: named \.zip but is not a zip"),
    # UCI bag of words
    ("UCI line with 2 fields", lambda d: B.uci(d, lines=("1 1 2", "1 2", "2 3 4 1")), [],
     r"docword\.t\.txt: line 5: malformed UCI line '1 2' .*found 2 field"),
    ("UCI line with 4 fields", lambda d: B.uci(d, lines=("1 1 2", "1 2 1 7", "2 3 4")), [],
     r"line 5: malformed UCI line '1 2 1 7' .*found 4 field"),
    ("UCI count 1e39", lambda d: B.uci(d, lines=("1 1 2", "1 2 1e39", "2 3 4")), [],
     r"line 5: .*count not in \(0, 1e\+09\]"),
    ("UCI count inf", lambda d: B.uci(d, lines=("1 1 2", "1 2 inf", "2 3 4")), [], r"line 5: .*count not in"),
    ("UCI count nan", lambda d: B.uci(d, lines=("1 1 nan", "1 2 1", "2 3 4")), [], r"line 4: .*count not in"),
    ("UCI word id 1.7", lambda d: B.uci(d, lines=("1 1 2", "1 1.7 1", "2 3 4")), [],
     r"line 5: docID/wordID .*not an integer"),
    ("UCI doc id 0", lambda d: B.uci(d, lines=("0 1 2", "1 2 1", "2 3 4")), [], r"line 4: docID/wordID out of range"),
    ("UCI header D=999,999,999,999", lambda d: B.uci(d, header=(999_999_999_999, 3, 3)), [],
     r"UCI header says D=999,999,999,999 documents"),
    ("UCI header NNZ beyond the file", lambda d: B.uci(d, header=(2, 3, 10 ** 12)), [],
     r"UCI header says NNZ=1,000,000,000,000 but the file holds at most"),
    ("UCI header W beyond the vocab", lambda d: B.uci(d, header=(2, 10 ** 10, 3)), [],
     r"UCI header says W=10,000,000,000 but vocab\.t\.txt holds at most"),
    ("UCI header not a number", lambda d: B.uci(d, header=(2, "x", 3)), [], r"line 2: malformed UCI header"),
    ("UCI NNZ mismatch", lambda d: B.uci(d, header=(2, 3, 2)), [], r"UCI header says NNZ=2 but the file has 3"),
    ("VW count 1e39", lambda d: B.write(d / "c.vw", "d1 a:1e39 b\n"), [],
     r"c\.vw: line 1: malformed Vowpal Wabbit token 'a:1e39'"),
    ("VW count inf", lambda d: B.write(d / "c2.vw", "d1 a:2 b\nd2 a:inf\n"), [],
     r"line 2: malformed Vowpal Wabbit token 'a:inf'"),
    # the same refusals through `import --batches` (one reader for both imports, issue 14)
    ("UCI line with 2 fields, --batches", lambda d: B.uci(d, lines=("1 1 2", "1 2", "2 3 4 1")), ["--batches"],
     r"docword\.t\.txt: line 5: malformed UCI line '1 2' .*found 2 field"),
    ("UCI NNZ mismatch, --batches", lambda d: B.uci(d, header=(2, 3, 2)), ["--batches"],
     r"UCI header says NNZ=2 but the file has 3"),
    ("VW count inf, --batches", lambda d: B.write(d / "c3.vw", "d1 a:2 b\nd2 a:inf\n"), ["--batches"],
     r"line 2: malformed Vowpal Wabbit token 'a:inf'"),
    ("gzip bomb, --batches", lambda d: B.gzip_bomb(d, 64), ["--max-input-mb", "16", "--batches"],
     r"bomb\.jsonl\.gz \(gzip\) is more than 16\.0 MiB uncompressed"),
    ("mixed encodings, --batches", B.mixed_encoding, ["--batches"], r"mixed\.txt: mixed encodings"),
    ("zip with a bad CRC, --batches", B.zip_bad_crc, ["--batches"], r"badcrc\.zip: a\.txt is damaged .*CRC"),
    ("/dev/zero, --batches", lambda d: Path("/dev/zero"), ["--batches"], r"/dev/zero: is a device"),
    ("phrases with --batches", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--batches", "--phrases"],
     r"--phrases is not supported with --batches"),
    # encodings
    ("mixed UTF-8 and cp1251", B.mixed_encoding, [],
     r"mixed\.txt: mixed encodings: line 1 is UTF-8 but line 6 is not"),
    ("wrong explicit encoding", lambda d: B.encoded(d, "cp1251"), ["--encoding", "utf-8"],
     r"line 1: not valid utf-8 .*try --encoding cp1251"),
    ("unknown encoding", lambda d: B.encoded(d, "cp1251"), ["--encoding", "klingon"], r"unknown encoding 'klingon'"),
    # dates
    ("year 1650", lambda d: B.jsonl(d / "y.jsonl", B.good_rows(year=[1990, 1650])), [],
     r"date column 'year': '?1650'? is outside the years 1678-2261.*--no-dates"),
    ("year 9999 as text", lambda d: B.jsonl(d / "y2.jsonl", B.good_rows(date=["2001-01-01", "9999-12-31"])), [],
     r"date column 'date': '9999-12-31' is outside the years"),
    ("year 1650 explicit column", lambda d: B.jsonl(d / "y3.jsonl", B.good_rows(when=["1650-01-01"])),
     ["--date-column", "when"], r"date column 'when': '1650-01-01' is outside.*another --date-column"),
    ("day/month orders mixed", lambda d: B.jsonl(d / "dm.jsonl", B.good_rows(date=["13/02/2020", "02/13/2020"])), [],
     r"mixes day/month orders \('13/02/2020' is day first, '02/13/2020' is month first\)"),
    # special files and folders
    ("folder with a link out", B.folder_with_link_out, [], r"docs: secret\.txt is a link to .*outside the folder"),
    ("folder with a fifo", B.folder_with_fifo, [], r"stuck\.txt: is a pipe, not a regular file"),
    ("folder with a link to /dev/zero", B.folder_with_device, [], r"zero\.txt is a link to /dev/zero, outside"),
    ("missing file", lambda d: d / "nope.jsonl", [], r"nope\.jsonl: no such file"),
    ("empty file", lambda d: B.write(d / "e.txt", "  \n"), [], r"e\.txt: the file is empty"),
    ("binary file", lambda d: B.write(d / "b.txt", bytes(range(256)) * 10), [],
     r"b\.txt: looks like a binary file"),
    # nesting
    ("JSON line nested 3,000 levels", B.deep_json, [], r"deep\.jsonl: line 1: JSON nested too deeply"),
    ("JSON array nested 100,000 levels", B.deep_json_array, [], r"deep\.json: JSON nested too deeply"),
    # names
    *[(f"reserved name {n}", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--name", n],
       r"invalid corpus name .*reserved by Windows") for n in ("CON", "nul", "Com1", "LPT9", "aux.txt", "PRN")],
    ("empty name", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--name", ""], r"invalid corpus name '': it is empty"),
    ("name ending with a dot", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--name", "abc."], r"invalid corpus name"),
    ("traversal name", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--name", "../x"], r"invalid corpus name"),
    ("existing name", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--name", "keep"],
     r"a corpus named 'keep' already exists"),
    # options
    ("max-vocab 0", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--max-vocab", "0"], r"max_vocab must be a positive"),
    ("min-df -3", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--min-df", "-3"], r"min_df|document frequency"),
    ("bad modality spec", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--modality", "label"],
     r"expected COLUMN=@name"),
    ("missing text column", lambda d: B.jsonl(d / "ok.jsonl", B.good_rows()), ["--text-column", "nope"],
     r"text column 'nope' does not exist"),
]


@pytest.mark.parametrize("case,build,extra,pattern", IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_import_refuses(tmp_path, ws, capsys, case, build, extra, pattern):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    path = build(src_dir)
    refuse(capsys, ws, ["import", str(path), *extra], pattern)


def test_truncated_n_dw_is_a_clear_error(ws, capsys):
    f = ws / "corpora" / "keep" / "n_dw.parquet"
    f.write_bytes(f.read_bytes()[:-40])
    refuse(capsys, ws, ["inspect-corpus", "keep"], r"corpus 'keep' in .* is damaged .*import it again")


def test_manifest_not_json_is_a_clear_error(ws, capsys):
    (ws / "corpora" / "keep" / "manifest.json").write_text("{broken")
    refuse(capsys, ws, ["inspect-corpus", "keep"], r"manifest\.json is not valid JSON")


def test_unknown_corpus_lists_the_stored_ones(ws, capsys):
    refuse(capsys, ws, ["inspect-corpus", "nope"], r"no corpus named 'nope' .*stored corpora: keep")


# --------------------------------------------------------------------------- right readings

def _import_ok(capsys, ws, path, *extra) -> dict:
    code = main(["import", str(path), "--workspace", str(ws), "--min-df", "1", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _vocab(ws, name):
    from engine.store.workspace import Workspace

    return set(Workspace(ws).load_corpus(name).vocab["token"])


@pytest.mark.parametrize("enc", ["cp1251", "koi8_r", "cp866", "iso8859_5", "mac_cyrillic"])
def test_cyrillic_code_pages_are_detected(tmp_path, ws, capsys, enc):
    s = _import_ok(capsys, ws, B.encoded(tmp_path, enc), "--name", f"ru-{enc.replace('_', '')}")
    assert any(f"decoded as {enc}" in n for n in s["notes"]), s["notes"]
    assert {"москва", "парках", "музеев"} <= _vocab(ws, s["name"])


def test_short_koi8_text_is_not_read_as_cp1251(tmp_path, ws, capsys):
    p = tmp_path / "short.txt"
    p.write_bytes("Москва кремль\nПривет мир\n".encode("koi8_r"))
    s = _import_ok(capsys, ws, p, "--name", "short", "--one-per-line")
    assert {"москва", "привет"} <= _vocab(ws, "short")
    assert any("koi8_r" in n for n in s["notes"])


def test_year_column_can_be_kept_out_of_dates(tmp_path, ws, capsys):
    path = B.jsonl(tmp_path / "y.jsonl", B.good_rows(year=[1990, 1650]))
    for flag in (["--no-dates"], ["--date-column", "none"]):
        name = "nodates" + str(len(flag))
        s = _import_ok(capsys, ws, path, "--name", name, *flag)
        from engine.store.workspace import Workspace

        c = Workspace(ws).load_corpus(name)
        assert "date" not in c.documents.columns and "year" in c.documents.columns, s


def test_one_day_month_order_per_column(tmp_path, ws, capsys):
    path = B.jsonl(tmp_path / "dm.jsonl", B.good_rows(date=["01/02/2020", "13/02/2020"]))
    _import_ok(capsys, ws, path, "--name", "dm")
    from engine.store.workspace import Workspace

    dates = Workspace(ws).load_corpus("dm").documents["date"].dt.strftime("%Y-%m-%d")
    assert set(dates) == {"2020-02-01", "2020-02-13"}


def test_folder_link_inside_the_folder_is_read(tmp_path, ws, capsys):
    f = tmp_path / "docs"
    (f / "sub").mkdir(parents=True)
    (f / "sub" / "a.txt").write_text(B.GOOD_TEXT)
    (f / "b.txt").symlink_to(f / "sub" / "a.txt")
    s = _import_ok(capsys, ws, f, "--name", "linked")
    assert s["documents"] == 2


def test_default_name_of_a_reserved_file_name_is_made_safe(tmp_path, ws, capsys):
    p = B.jsonl(tmp_path / "con.jsonl", B.good_rows())
    assert _import_ok(capsys, ws, p)["name"] == "con-corpus"




# --------------------------------------------------------------------------- models and runs

@pytest.fixture
def trained(ws, capsys):
    """``ws`` plus two runs named ``twin`` on corpus ``keep``; returns (root, run ids)."""
    for _ in range(2):
        assert main(["train", "--corpus", "keep", "--topics", "2", "--iterations", "2", "--name", "twin",
                     "--workspace", str(ws)]) == 0
    capsys.readouterr()
    from engine.store.runs import list_runs
    from engine.store.workspace import Workspace

    return ws, [m["run_id"] for m in list_runs(Workspace(ws))]


def _config(d: Path, text: str) -> Path:
    return B.write(d / "config.json", text)


TRAIN_CASES = [
    ("config nested 3,000 levels", lambda d: ["--config", str(_config(d, '{"a":' * 3000 + "1" + "}" * 3000))],
     r"nested too deeply"),
    ("config iterations 1e400", lambda d: ["--config", str(_config(d, '{"iterations": 1e400}'))],
     r"iterations must be an integer, got inf"),
    ("config threads 2.0", lambda d: ["--config", str(_config(d, '{"threads": 2.0}'))], r"threads must be an integer, got 2\.0"),
    ("config modality_weights list", lambda d: ["--config", str(_config(d, '{"modality_weights": [1, 2]}'))],
     r"modality_weights must be an object"),
    ("config scores list", lambda d: ["--config", str(_config(d, '{"scores": ["perplexity"]}'))], r"scores must be an object"),
    ("config regularizers object", lambda d: ["--config", str(_config(d, '{"regularizers": {"a": 1}}'))],
     r"regularizers must be a list"),
    ("config not JSON", lambda d: ["--config", str(_config(d, "{oops"))], r"config|JSON"),
    ("reg with 5,000 brackets", lambda d: ["--reg", "SmoothSparsePhi" + "(" * 5000 + ")" * 5000], r"regularizer"),
    ("iterations 1e400", lambda d: ["--iterations", "1e400"], r"--iterations: '1e400' is not a whole number"),
    ("iterations 0", lambda d: ["--iterations", "0"], r"--iterations: must be at least 1"),
    ("topics -1", lambda d: ["--topics", "-1"], r"--topics: must be 0 or more"),
    ("topics 5,000,000", lambda d: ["--topics", "5000000"], r"n_topics must be between"),
    ("threads 0", lambda d: ["--threads", "0"], r"--threads: must be at least 1"),
    ("beta 2", lambda d: ["--beta", "2"], r"--beta: must be between 0 and 1"),
    ("two regularizers with one name", lambda d: ["--reg", "SmoothSparsePhi(tau=-0.1,name=a)", "--reg",
                                                  "SmoothSparseTheta(tau=-0.1,name=a)"], r"two regularizers are named 'a'"),
    ("SmoothSparsePhi tau -1e30", lambda d: ["--reg", "SmoothSparsePhi(tau=-1e30)"], r"no mass after pass 1"),
    ("SmoothSparseTheta tau -1e30", lambda d: ["--reg", "SmoothSparseTheta(tau=-1e30)"], r"no mass after pass 1"),
    ("Decorrelator tau 1e30", lambda d: ["--reg", "Decorrelator(tau=1e30)"], r"no mass after pass 1"),
    ("unknown modality weight", lambda d: ["--modality-weight", "@nope=1"], r"no modality '@nope'"),
]


@pytest.mark.parametrize("case,extra,pattern", TRAIN_CASES, ids=[c[0] for c in TRAIN_CASES])
def test_train_refuses(tmp_path, ws, capsys, case, extra, pattern):
    refuse(capsys, ws, ["train", "--corpus", "keep", "--topics", "3", "--iterations", "3", *extra(tmp_path)], pattern)


RUN_CASES = [
    ("delete-run empty", lambda ids, d: ["delete-run", ""], r"empty run reference"),
    ("show empty", lambda ids, d: ["show", ""], r"empty run reference"),
    ("delete-run of two runs' name", lambda ids, d: ["delete-run", "twin"], r"2 runs are named 'twin': .*use a run id"),
    ("show ambiguous prefix", lambda ids, d: ["show", ids[0][:4]], r"matches 2 runs: .*give more of the id"),
    ("unknown run", lambda ids, d: ["show", "nope"], r"no run 'nope' .*recent runs"),
    ("export --out onto a file", lambda ids, d: ["export", ids[0], "--out", str(B.write(d / "f.txt", "x"))],
     r"--out .*f\.txt: is a file, not a folder"),
    ("transform --top -1", lambda ids, d: ["transform", ids[0], "--text", "cats", "--top", "-1"], r"--top: must be at least 1"),
    ("show --top 0", lambda ids, d: ["show", ids[0], "--top", "0"], r"--top: must be at least 1"),
    ("segment --min-length -3", lambda ids, d: ["segment", ids[0], "--min-length", "-3"], r"--min-length: must be at least 1"),
    ("seeds-train --keep 5", lambda ids, d: ["seeds-train", str(B.write(d / "lex.txt", "cats\n")), "--corpus", "keep",
                                             "--keep", "5"], r"--keep: must be between 0 and 1"),
    ("seeds-train --k 0", lambda ids, d: ["seeds-train", str(B.write(d / "lex2.txt", "cats\n")), "--corpus", "keep",
                                          "--k", "0"], r"--k: must be at least 1"),
    ("resume an unknown run", lambda ids, d: ["train", "--resume", "nope"], r"no run 'nope'"),
]


@pytest.mark.parametrize("case,argv,pattern", RUN_CASES, ids=[c[0] for c in RUN_CASES])
def test_run_commands_refuse(tmp_path, trained, capsys, case, argv, pattern):
    root, ids = trained
    refuse(capsys, root, argv(ids, tmp_path), pattern)


def test_catalogue_counts():
    """Size of the catalogue (quoted in the issue's closing note)."""
    assert len(IMPORT_CASES) + len(TRAIN_CASES) + len(RUN_CASES) >= 90
