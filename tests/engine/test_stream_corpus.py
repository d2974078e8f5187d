"""The chunked import (engine/corpus/stream_corpus.py) stores the corpus the in-memory pipeline
builds (`build_corpus`, the independent reference: whole file read, all texts tokenized at once),
value for value, for every table format, with chunks small enough that every input spans many."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.corpus.ingest import ImportOptions, build_corpus, import_corpus
from engine.corpus.limits import ReadLimits
from engine.corpus.readers import chunks as C
from engine.errors import InputError
from engine.store.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
WORDS = ("new york city river stone apple juice alpha beta gamma delta the and of paris london "
         "model topic word corpus vector matrix").split()


def _rows(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = int(rng.integers(0, 40))
        text = " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), k))
        if i % 7 == 0:
            text += " New York New York"
        out.append({"id": f"d{i:04d}", "text": text, "label": ["x", "y", None][i % 3],
                    "year": 1990 + i % 30, "score": i * 0.5})
    return out


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of ~2,000 characters: the 1,200-document inputs below span hundreds of them."""
    monkeypatch.setattr(C, "CHUNK_CHARS", 2000)


def assert_same(stored, reference) -> None:
    assert (stored.n_dw != reference.n_dw).nnz == 0
    assert stored.n_dw.shape == reference.n_dw.shape
    assert stored.n_dw.dtype == reference.n_dw.dtype and stored.n_dw.indices.dtype == reference.n_dw.indices.dtype
    pd.testing.assert_frame_equal(stored.vocab, reference.vocab)
    pd.testing.assert_frame_equal(stored.documents, reference.documents)
    for k in ("ptr", "token", "start", "end"):
        a, b = getattr(stored.sequences, k), getattr(reference.sequences, k)
        assert a.dtype == b.dtype and np.array_equal(a, b), k
    assert stored.manifest["fingerprint"] == reference.fingerprint()
    for key in ("preprocessing", "columns", "dropped_empty", "documents_in_source", "notes", "encoding"):
        assert stored.manifest[key] == reference.manifest[key], key
    assert stored.manifest["source"] == reference.manifest["source"]


def write_jsonl(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def _jsonl_gz(d: Path) -> Path:
    p = d / "c.jsonl.gz"
    p.write_bytes(gzip.compress(write_jsonl(d / "plain.jsonl", _rows(1200)).read_bytes()))
    return p


def _csv(d: Path) -> Path:
    p = d / "c.csv"
    pd.DataFrame(_rows(1200)).to_csv(p, index=False)
    return p


def _tsv(d: Path) -> Path:
    p = d / "c.tsv"
    pd.DataFrame(_rows(1200)).to_csv(p, index=False, sep="\t")
    return p


def _parquet(d: Path) -> Path:
    p = d / "c.parquet"
    pd.DataFrame(_rows(1200)).to_parquet(p, row_group_size=100)
    return p


def _lines(d: Path) -> Path:
    p = d / "c.txt"
    p.write_text("\r\n".join(r["text"] for r in _rows(1200)) + "\n", encoding="utf-8")
    return p


def _zip(d: Path) -> Path:
    p = d / "c.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for r in _rows(300):
            zf.writestr(f"docs/{r['id']}.txt", r["text"] + " é")
    return p


def _folder(d: Path) -> Path:
    f = d / "folder"
    (f / "sub").mkdir(parents=True)
    for i, r in enumerate(_rows(300)):
        (f / ("sub" if i % 2 else "") / f"{r['id']}.txt").write_text(r["text"], encoding="utf-8")
    return f


def _json_array(d: Path) -> Path:
    p = d / "c.json"
    p.write_text(json.dumps(_rows(600)), encoding="utf-8")
    return p


def _cp1251(d: Path) -> Path:
    p = d / "ru.txt"
    lines = ["Москва столица России и город на реке", "Река Волга течёт через город"] * 200
    p.write_bytes("\n".join(lines).encode("cp1251"))
    return p


CASES = {
    "jsonl": (lambda d: write_jsonl(d / "c.jsonl", _rows(1200)), {"modalities": {"label": "@labels"}}),
    "jsonl.gz": (_jsonl_gz, {}),
    "csv": (_csv, {"max_df": 0.9}),
    "tsv": (_tsv, {"max_vocab": 12}),
    "parquet": (_parquet, {"modalities": {"label": "@labels"}}),
    "text lines (CRLF)": (_lines, {"one_per_line": True}),
    "zip of .txt": (_zip, {}),
    "folder of .txt": (_folder, {}),
    "JSON array (read whole)": (_json_array, {}),
    "cp1251 lines (read whole)": (_cp1251, {"one_per_line": True, "lang": "ru"}),
    "phrases": (lambda d: write_jsonl(d / "p.jsonl", _rows(1200)), {"phrases": True}),
    "keep numbers, no stop words": (lambda d: write_jsonl(d / "n.jsonl", _rows(1200)),
                                    {"keep_numbers": True, "stopwords": "none", "min_df": 3}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_chunked_import_equals_the_in_memory_reference(case, tmp_path, small_chunks):
    build, opts = CASES[case]
    src = build(tmp_path)
    options = ImportOptions(lang=opts.pop("lang", "en"), **opts)
    ws = Workspace(tmp_path / "ws")
    summary = import_corpus(src, "c", options, ws)
    stored = ws.load_corpus("c")
    reference = build_corpus(src, options)
    assert summary["documents"] == reference.n_docs > 0
    assert_same(stored, reference)
    assert sorted(p.name for p in ws.corpus_path("c").iterdir()) == [
        "documents.parquet", "manifest.json", "n_dw.parquet", "sequences.parquet", "vocab.parquet"]


def test_language_detected_from_the_first_documents(tmp_path, small_chunks):
    src = write_jsonl(tmp_path / "auto.jsonl", _rows(1200))
    ws = Workspace(tmp_path / "ws")
    import_corpus(src, "c", ImportOptions(), ws)
    reference = build_corpus(src, ImportOptions())
    assert_same(ws.load_corpus("c"), reference)
    assert any(n.startswith("language detected: ") for n in reference.manifest["notes"])


def test_refusals_leave_nothing(tmp_path, small_chunks):
    """Problems found late (a duplicate id in the last chunk, every term filtered) refuse the
    import with the reference's message and leave no corpus and no temporary folder."""
    rows = _rows(1200)
    rows[-1]["id"] = rows[3]["id"]
    dup = write_jsonl(tmp_path / "dup.jsonl", rows)
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(InputError) as ref:
        build_corpus(dup, ImportOptions(lang="en", id_column="id"))
    with pytest.raises(InputError) as got:
        import_corpus(dup, "c", ImportOptions(lang="en", id_column="id"), ws)
    assert str(got.value) == str(ref.value) and "duplicate value 'd0003'" in str(got.value)
    with pytest.raises(InputError, match="removed every term"):
        import_corpus(write_jsonl(tmp_path / "ok.jsonl", rows[:-1]), "c", ImportOptions(lang="en", min_df=5000), ws)
    assert not ws.corpora_dir.exists() or list(ws.corpora_dir.iterdir()) == []


def test_a_document_over_the_limit_in_a_late_chunk(tmp_path, small_chunks):
    rows = _rows(1200)
    rows[1100]["text"] = "word " * 5000
    src = tmp_path / "big.parquet"
    pd.DataFrame(rows).to_parquet(src, row_group_size=100)
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(InputError, match=r"document 'd1100' is 24\.4 KiB, more than the 16\.0 KiB allowed"):
        import_corpus(src, "c", ImportOptions(lang="en"), ws,
                      limits=ReadLimits(max_total_bytes=1 << 30, max_doc_bytes=16 << 10))
    assert not ws.corpora_dir.exists() or list(ws.corpora_dir.iterdir()) == []


@pytest.mark.corpora
def test_20_newsgroups_chunked_equals_in_memory(shared_corpora, tmp_path, monkeypatch):
    """20 Newsgroups (18,846 documents, 33 MiB of text) in chunks of 4 M characters."""
    monkeypatch.setattr(C, "CHUNK_CHARS", 4_000_000)
    src = shared_corpora / "20newsgroups" / "20newsgroups_bydate.jsonl.gz"
    options = ImportOptions(text_column="text", modalities={"label": "@labels"})
    ws = Workspace(tmp_path / "ws")
    import_corpus(src, "ng", options, ws)
    assert_same(ws.load_corpus("ng"), build_corpus(src, options))


_CHILD = """
import resource, sys
import engine.corpus.readers.chunks as C
from engine.corpus.ingest import ImportOptions, import_corpus
from engine.store.workspace import Workspace
C.CHUNK_CHARS = 1_000_000
import_corpus(sys.argv[1], "m", ImportOptions(lang="en", min_df=1), Workspace(sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _synthetic_jsonl(path: Path, mib: int) -> Path:
    rng = np.random.default_rng(1)
    vocab = np.array([f"w{i:05d}" for i in range(20000)])
    with open(path, "w", encoding="utf-8") as fh:
        while fh.tell() < mib << 20:
            ids = rng.integers(0, len(vocab), (500, 60))
            fh.write("".join(json.dumps({"text": " ".join(vocab[r])}) + "\n" for r in ids))
    return path


def _peak_mib(src: Path, ws: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(ws)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert Workspace(ws).has_corpus("m")
    return int(out[-1]) / 1024


def test_peak_memory_grows_with_the_output_not_the_text(tmp_path):
    """Two imports in 1 M-character chunks, of 2 and 26 MiB of JSON Lines: the peak RSS grows by
    less than 6× the extra text (the triples of n_dw are ~2× the text here; the in-memory
    pipeline grew by 12-20×, bench/README.md §15)."""
    small = _synthetic_jsonl(tmp_path / "small.jsonl", 2)
    big = _synthetic_jsonl(tmp_path / "big.jsonl", 26)
    grown = _peak_mib(big, tmp_path / "ws1") - _peak_mib(small, tmp_path / "ws2")
    extra = (big.stat().st_size - small.stat().st_size) / 2 ** 20
    print(f"\npeak RSS grew {grown:.0f} MiB for {extra:.0f} MiB more text")
    assert grown < 6 * extra
