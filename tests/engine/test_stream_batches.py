"""One reader for every import (issue 14): `import --batches` (engine/corpus/stream.py) reads through
the ordinary import's `open_chunks`, so both give the same vocabulary and counts for every format;
UCI and Vowpal Wabbit are read in pieces (engine/corpus/readers/bow_chunks.py) and equal the
whole-file readers (`build_corpus`, the reference) value for value; inputs still read whole are
refused over their budget with a message naming the format and what to convert it to."""
from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli import main
from engine.corpus.batches import open_corpus
from engine.corpus.ingest import ImportOptions, build_corpus, import_corpus
from engine.corpus.limits import ReadLimits
from engine.corpus.readers import bow_chunks as BC
from engine.corpus.readers import chunks as C
from engine.corpus.stream import stream_import
from engine.errors import InputError
from engine.store.workspace import Workspace

WORDS = ("river stone apple juice alpha beta gamma delta the and of paris london model topic word "
         "corpus vector matrix").split()


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of ~2,000 characters of text and 4 KiB of bag-of-words input: every input below spans many."""
    monkeypatch.setattr(C, "CHUNK_CHARS", 2000)
    monkeypatch.setattr(BC, "CHUNK_BYTES", 4096)


def _rows(n: int = 900, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        text = " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), int(rng.integers(0, 30))))
        out.append({"id": f"d{i:04d}", "text": text if i % 50 else "the and of", "label": "xyz"[i % 3],
                    "year": 1990 + i % 30})
    return out


def _uci(d: Path, n_docs: int = 2000, seed: int = 1, unsorted: bool = False, gz: bool = False) -> Path:
    """A UCI corpus larger than the chunk: gaps (documents without counts), a (doc, word) pair
    on two lines, a duplicate vocabulary entry and a second modality."""
    rng = np.random.default_rng(seed)
    lines = []
    for doc in range(1, n_docs + 1):
        if doc % 17 == 0:
            continue
        for w in sorted(rng.choice(np.arange(1, 41), int(rng.integers(1, 12)), replace=False)):
            lines.append(f"{doc} {w} {int(rng.integers(1, 5))}")
        if doc % 13 == 0:
            lines.append(f"{doc} 1 2")
    if unsorted:
        lines[10], lines[-10] = lines[-10], lines[10]
    vocab = [f"w{k}" for k in range(38)] + ["w3", "lab @labels"]
    (d / "vocab.g.txt").write_text("".join(v + "\n" for v in vocab))
    body = f"{n_docs}\n{len(vocab)}\n{len(lines)}\n" + "".join(ln + "\n" for ln in lines)
    p = d / ("docword.g.txt.gz" if gz else "docword.g.txt")
    p.write_bytes(gzip.compress(body.encode()) if gz else body.encode())
    return p


def _vw(d: Path, gz: bool = False, encoding: str = "utf-8") -> Path:
    rng = np.random.default_rng(2)
    lines = []
    for i in range(1500):
        toks = " ".join(f"{WORDS[j]}:{int(rng.integers(1, 4))}" if j % 3 else WORDS[j]
                        for j in rng.integers(0, len(WORDS), int(rng.integers(0, 9))))
        toks += f" late{i // 100}" if i > 1000 else ""  # terms first seen in late pieces
        lines.append(f"doc{i} {toks} |labels {'xyz'[i % 3]}" + ("\n" if i % 100 == 0 else ""))
    text = "\n".join(lines) + "\n" + ("doc_ru москва:2 парк\n" if encoding != "utf-8" else "")
    p = d / ("c.vw.gz" if gz else "c.vw")
    p.write_bytes(gzip.compress(text.encode(encoding)) if gz else text.encode(encoding))
    return p


def _zip(d: Path) -> Path:
    p = d / "c.zip"
    with zipfile.ZipFile(p, "w") as zf:
        for r in _rows(300):
            zf.writestr(f"{r['id']}.txt", r["text"])
    return p


def _folder(d: Path) -> Path:
    f = d / "docs"
    f.mkdir()
    for r in _rows(300):
        (f / f"{r['id']}.txt").write_text(r["text"])
    return f


def _table(d: Path, kind: str) -> Path:
    rows, frame = _rows(), pd.DataFrame(_rows())
    if kind == "jsonl":
        p = d / "c.jsonl"
        p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif kind == "jsonl.gz":
        p = d / "c.jsonl.gz"
        p.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    elif kind in ("csv", "csv.gz"):
        p = d / f"c.{kind}"
        frame.to_csv(p, index=False)
    elif kind == "tsv":
        p = d / "c.tsv"
        frame.to_csv(p, index=False, sep="\t")
    elif kind == "parquet":
        p = d / "c.parquet"
        frame.to_parquet(p, index=False, row_group_size=100)
    elif kind == "json array":
        p = d / "c.json"
        p.write_text(json.dumps(rows))
    elif kind == "lines.txt":
        p = d / "c.txt"
        p.write_text("".join(r["text"] + "\n" for r in rows))
    elif kind == "cp1251 lines":
        p = d / "ru.txt"
        p.write_bytes("".join(f"Москва и парки {r['text']}\n" for r in rows).encode("cp1251"))
    elif kind == "utf-16 csv":
        p = d / "c16.csv"
        p.write_bytes(frame.to_csv(index=False).encode("utf-16"))
    return p


TABLES = ["jsonl", "jsonl.gz", "csv", "csv.gz", "tsv", "parquet", "json array", "lines.txt", "cp1251 lines",
          "utf-16 csv"]
BUILDERS = {**{k: (lambda d, k=k: _table(d, k)) for k in TABLES}, "zip of .txt": _zip, "folder of .txt": _folder,
            "UCI": _uci, "UCI .gz": lambda d: _uci(d, gz=True), "UCI folder": lambda d: _uci(d).parent,
            "UCI not sorted": lambda d: _uci(d, unsorted=True), "VW": _vw, "VW .gz": lambda d: _vw(d, gz=True),
            "VW cp1251 (read whole)": lambda d: _vw(d, encoding="cp1251")}


def _options(case: str) -> ImportOptions:
    if case.startswith(("UCI", "VW")):
        return ImportOptions()
    return ImportOptions(lang="ru" if "cp1251" in case else "en", min_df=2,
                         one_per_line=case in ("lines.txt", "cp1251 lines"))


@pytest.mark.parametrize("case", list(BUILDERS))
def test_batched_import_equals_the_ordinary_import(tmp_path, small_chunks, case):
    src = BUILDERS[case](tmp_path)
    ws = Workspace(tmp_path / "ws")
    opts = _options(case)
    ordinary = import_corpus(src, "o", opts, ws)
    seen = []
    batched = stream_import(src, "b", opts, ws, batch_docs=128, progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0  # in order
    assert len(seen) > (2 if "UCI not sorted" in case or "read whole" in case else 4)  # many chunks (or one, read whole)
    a, b = ws.load_corpus("o"), open_corpus(ws, "b")
    assert b.n_batches > 2
    assert batched["documents"] == ordinary["documents"] == a.n_docs
    assert batched["vocabulary"] == ordinary["vocabulary"] and batched["format"] == ordinary["format"]
    for col in ("token", "modality", "tf", "df"):
        assert b.vocab[col].tolist() == a.vocab[col].tolist(), col
    m = b.to_corpus().n_dw
    assert m.shape == a.n_dw.shape and (m != a.n_dw).nnz == 0
    assert np.array_equal(b.doc_lengths(), np.asarray(a.n_dw.sum(axis=1), np.float64).ravel())
    assert b.documents["id"].tolist() == a.documents["id"].tolist()
    for key in ("dropped_empty", "documents_in_source", "date_range"):  # date_range: trends, has_dates
        assert b.manifest[key] == a.manifest[key], key
    assert b.has_dates == a.has_dates
    assert b.manifest["source"]["sha256"] == a.manifest["source"]["sha256"]
    if "date" in a.documents.columns:
        assert (b.documents["date"].to_numpy() == a.documents["date"].to_numpy()).all()


@pytest.mark.parametrize("case", ["UCI", "UCI .gz", "UCI folder", "UCI not sorted", "VW", "VW .gz",
                                  "VW cp1251 (read whole)"])
def test_bag_of_words_in_pieces_equals_the_whole_file_reader(tmp_path, small_chunks, case):
    src = BUILDERS[case](tmp_path)
    ws = Workspace(tmp_path / "ws")
    import_corpus(src, "c", ImportOptions(), ws)
    _assert_same_bow(ws.load_corpus("c"), build_corpus(src, ImportOptions()), case == "UCI not sorted")


def _assert_same_bow(stored, reference, read_whole: bool = False) -> None:
    a, b = stored.n_dw, reference.n_dw
    assert a.shape == b.shape and a.dtype == b.dtype and a.indices.dtype == b.indices.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
    pd.testing.assert_frame_equal(stored.vocab, reference.vocab)
    pd.testing.assert_frame_equal(stored.documents, reference.documents)
    assert stored.manifest["fingerprint"] == reference.fingerprint()
    for key in ("dropped_empty", "dropped_ids_sample", "documents_in_source", "source"):
        assert stored.manifest[key] == reference.manifest[key], key
    extra = [n for n in stored.manifest["notes"] if n not in reference.manifest["notes"]]
    assert extra == (["docword.g.txt is not sorted by document: read whole"] if read_whole else [])


@pytest.mark.parametrize("case", ["UCI", "VW"])
def test_previews_read_the_first_documents_only(tmp_path, small_chunks, case):
    src = BUILDERS[case](tmp_path)
    for n in (1, 40, 700):
        got = build_corpus(src, ImportOptions(), limit=n)
        assert got.manifest["documents_in_source"] == n
        whole = build_corpus(src, ImportOptions())
        ids = set(got.documents["id"])
        assert ids <= set(whole.documents["id"]) and len(ids) <= n


@pytest.mark.corpora
@pytest.mark.parametrize("name", ["reuters395_lda/docword.reuters395.txt", "reuters395_lda/vw.reuters395.txt",
                                  "20newsgroups/bow/docword.20news.txt.gz", "20newsgroups/bow/vw.20news.txt.gz"])
def test_shared_bag_of_words_in_pieces_equal_the_whole_file_reader(shared_corpora, tmp_path, monkeypatch, name):
    """Reuters in pieces of 16 KiB, 20 Newsgroups in pieces of 1 MiB; the batched import agrees."""
    monkeypatch.setattr(BC, "CHUNK_BYTES", 16 << 10 if "reuters" in name else 1 << 20)
    src = shared_corpora / name
    ws = Workspace(tmp_path / "ws")
    import_corpus(src, "c", ImportOptions(), ws)
    stored = ws.load_corpus("c")
    _assert_same_bow(stored, build_corpus(src, ImportOptions()))
    stream_import(src, "b", ImportOptions(), ws, batch_docs=1000)
    b = open_corpus(ws, "b")
    assert b.vocab["token"].tolist() == stored.vocab["token"].tolist()
    assert (b.to_corpus().n_dw != stored.n_dw).nnz == 0


# --------------------------------------------------------------------------- bad input

def _refused_alike(src: Path, ws: Workspace, match: str, **kw) -> str:
    """The ordinary and the batched import refuse ``src`` with the same message; nothing stored."""
    with pytest.raises(InputError, match=match) as ordinary:
        import_corpus(src, "o", ImportOptions(), ws, **kw)
    with pytest.raises(InputError, match=match) as batched:
        stream_import(src, "b", ImportOptions(), ws, **kw)
    assert str(batched.value) == str(ordinary.value)
    assert not ws.corpora_dir.exists() or list(ws.corpora_dir.iterdir()) == []
    return str(ordinary.value)


def test_a_bad_uci_line_in_a_late_piece_is_named_like_the_whole_reader_does(tmp_path, small_chunks):
    src = _uci(tmp_path)
    lines = src.read_text().split("\n")
    lines[9000] = "1 2"
    src.write_text("\n".join(lines))
    with pytest.raises(InputError) as whole:
        build_corpus(src, ImportOptions())
    msg = _refused_alike(src, Workspace(tmp_path / "ws"), "line 9001: malformed UCI line '1 2'")
    assert msg == str(whole.value)
    lines[9000] = "1 2 1e39"
    src.write_text("\n".join(lines))
    _refused_alike(src, Workspace(tmp_path / "ws"), r"line 9001: .*count not in")


def test_uci_nnz_and_vw_duplicate_ids_found_late(tmp_path, small_chunks):
    src = _uci(tmp_path)
    text = src.read_text().split("\n")
    text[2] = str(int(text[2]) - 1)
    src.write_text("\n".join(text))
    _refused_alike(src, Workspace(tmp_path / "ws"), r"UCI header says NNZ=\d+ but the file has \d+ count lines")
    vw = _vw(tmp_path)
    vw.write_text(vw.read_text() + "doc3 river\n")
    _refused_alike(vw, Workspace(tmp_path / "ws2"), r"line \d+: document id 'doc3' appears on more than one line")


WHOLE = ReadLimits(max_total_bytes=1 << 30, max_doc_bytes=1 << 20, max_whole_bytes=4096)


@pytest.mark.parametrize("case,build,pattern", [
    ("JSON array", lambda d: _table(d, "json array"), r"c\.json: a JSON array is read whole .*convert it to JSON Lines"),
    ("UTF-16", lambda d: _table(d, "utf-16 csv"), r"c16\.csv: UTF-16 text is read whole .*convert it to UTF-8"),
    ("8-bit", lambda d: _table(d, "cp1251 lines"), r"ru\.txt: 8-bit text .* is read whole .*convert it to UTF-8"),
    ("gzipped Parquet", lambda d: _gz(_table(d, "parquet")), r"a gzipped Parquet file is read whole .*gunzip"),
    ("gzipped zip", lambda d: _gz(_zip(d)), r"a gzipped zip archive is read whole .*decompress it"),
    ("UCI not sorted", lambda d: _uci(d, unsorted=True), r"a UCI docword file not sorted by document .*sort its"),
])
def test_inputs_read_whole_are_refused_over_their_budget_naming_the_format(tmp_path, case, build, pattern):
    src = build(tmp_path)
    opts = ImportOptions(one_per_line=case == "8-bit")
    ws = Workspace(tmp_path / "ws")
    for run in (lambda: import_corpus(src, "o", opts, ws, limits=WHOLE),
                lambda: stream_import(src, "b", opts, ws, limits=WHOLE)):
        with pytest.raises(InputError, match=pattern) as e:
            run()
        assert "4.0 KiB" in str(e.value) and "--max-input-mb" in str(e.value)
    assert not ws.corpora_dir.exists() or list(ws.corpora_dir.iterdir()) == []


def _gz(p: Path) -> Path:
    out = p.with_name(p.name + ".gz")
    out.write_bytes(gzip.compress(p.read_bytes()))
    p.unlink()
    return out


def test_cli_import_batches_refuses_with_one_line_and_exit_2(tmp_path, capsys):
    src = _uci(tmp_path)
    src.write_text(src.read_text().replace("\n5 ", "\n5 1.5 ", 1))
    root = tmp_path / "ws"
    code = main(["import", str(src), "--batches", "--workspace", str(root)])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1 and "malformed UCI line" in err[0], err
    assert not (root / "corpora").exists() or list((root / "corpora").iterdir()) == []
    # and --max-input-mb reaches the batched import
    code = main(["import", str(_vw(tmp_path)), "--batches", "--workspace", str(root), "--max-input-mb", "0.01"])
    err = capsys.readouterr().err
    assert code == 2 and "is more than 10.2 KiB uncompressed" in err, err


def test_cli_import_batches_of_uci_then_inspect(tmp_path, capsys, small_chunks):
    src = _uci(tmp_path)
    root = str(tmp_path / "ws")
    assert main(["import", str(src), "--batches", "--batch-size", "300", "--workspace", root, "--name", "u"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["format"] == "uci" and summary["batches"] == -(-summary["documents"] // 300)
    assert summary["vocabulary"] == {"@default_class": 38, "@labels": 1}
