"""The benchmark corpus: 20 Newsgroups bodies as one bag of words, cached under bench/data/.

Preprocessing (issue 6 / issue 3 "Parity with BigARTM"):

* the ``text`` field (bodies, no headers) of
  ``/work/shared/corpora/20newsgroups/20newsgroups_bydate.jsonl.gz``, all 18,846 documents;
* lowercased, tokens ``[a-z]{3,}``;
* English stop words removed with **scikit-learn's** ``ENGLISH_STOP_WORDS`` (318 words; the
  shared ``corpora/tools/stopwords.py`` list gives W = 28,994, not the issue's 28,865);
* 5 <= df <= 0.5 * 18,846 (df counted over all documents, after stop-word removal);
* documents left empty are dropped.

Result: D = 18,805, W = 28,865, nnz = 1,517,427 (checked on every build).  The vocabulary is
sorted alphabetically; documents keep the file's order.

Written formats (all uncompressed — BigARTM reads only plain files):

* ``bench/data/20ng/docword.20ng.txt`` + ``vocab.20ng.txt``: UCI bag of words;
* ``bench/data/20ng/vw.20ng.txt``: Vowpal Wabbit lines ``doc<d> token:count ...``;
* ``bench/data/20ng/ndw.npz``: scipy CSR (D, W) float32 for the engine, ``vocab.txt`` beside it.

    bench/.venv/bin/python bench/data.py          # build (or check) the cache and print sizes
"""

from __future__ import annotations

import collections
import gzip
import json
import re
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SRC = Path("/work/shared/corpora/20newsgroups/20newsgroups_bydate.jsonl.gz")
EXPECTED = {"D": 18805, "W": 28865, "nnz": 1517427}
NAME = "20ng"


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def build(src: Path = SRC) -> tuple[sp.csr_matrix, list[str]]:
    """Tokenize, filter and count; returns (n_dw CSR (D, W) float32, vocab list)."""
    token = re.compile(r"[a-z]{3,}")
    stop = _stop_words()
    bags = []
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("text") or ""
            bags.append(collections.Counter(t for t in token.findall(text.lower()) if t not in stop))
    n_all = len(bags)
    df = collections.Counter()
    for b in bags:
        df.update(b.keys())
    vocab = sorted(w for w, c in df.items() if 5 <= c <= 0.5 * n_all)
    index = {w: i for i, w in enumerate(vocab)}
    indptr, indices, data = [0], [], []
    for b in bags:
        row = sorted((index[w], c) for w, c in b.items() if w in index)
        if not row:
            continue
        indices.extend(i for i, _ in row)
        data.extend(c for _, c in row)
        indptr.append(len(indices))
    n_dw = sp.csr_matrix(
        (np.asarray(data, np.float32), np.asarray(indices, np.int32), np.asarray(indptr, np.int64)),
        shape=(len(indptr) - 1, len(vocab)),
    )
    return n_dw, vocab


def write_uci(n_dw: sp.csr_matrix, vocab: list[str], folder: Path, name: str) -> None:
    """UCI bag of words: docword.<name>.txt (1-based ids) and vocab.<name>.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    coo = n_dw.tocoo()
    with open(folder / f"docword.{name}.txt", "w") as fh:
        fh.write(f"{n_dw.shape[0]}\n{n_dw.shape[1]}\n{n_dw.nnz}\n")
        order = np.lexsort((coo.col, coo.row))
        rows, cols, vals = coo.row[order] + 1, coo.col[order] + 1, coo.data[order].astype(np.int64)
        fh.write("".join(f"{r} {c} {v}\n" for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist())))
    (folder / f"vocab.{name}.txt").write_text("".join(w + "\n" for w in vocab))


def write_vw(n_dw: sp.csr_matrix, vocab: list[str], path: Path) -> None:
    with open(path, "w") as fh:
        for d in range(n_dw.shape[0]):
            a, b = n_dw.indptr[d], n_dw.indptr[d + 1]
            toks = " ".join(f"{vocab[w]}:{int(c)}" for w, c in zip(n_dw.indices[a:b], n_dw.data[a:b]))
            fh.write(f"doc{d} {toks}\n")


def folder(name: str = NAME) -> Path:
    return DATA / name


def load(rebuild: bool = False) -> tuple[sp.csr_matrix, list[str]]:
    """The cached 20 Newsgroups bag of words (built on first use)."""
    out = folder()
    npz, voc = out / "ndw.npz", out / "vocab.txt"
    if rebuild or not npz.exists() or not (out / f"docword.{NAME}.txt").exists():
        n_dw, vocab = build()
        got = {"D": n_dw.shape[0], "W": n_dw.shape[1], "nnz": n_dw.nnz}
        if got != EXPECTED:
            raise SystemExit(f"corpus differs from the issue's numbers: {got} != {EXPECTED}")
        out.mkdir(parents=True, exist_ok=True)
        write_uci(n_dw, vocab, out, NAME)
        write_vw(n_dw, vocab, out / f"vw.{NAME}.txt")
        sp.save_npz(npz, n_dw, compressed=False)
        voc.write_text("".join(w + "\n" for w in vocab))
    n_dw = sp.load_npz(npz).tocsr()
    n_dw.indices = n_dw.indices.astype(np.int32, copy=False)
    n_dw.sort_indices()
    vocab = voc.read_text().split("\n")[:-1]
    return n_dw, vocab


def engine_corpus(n_dw: sp.csr_matrix, vocab: list[str], name: str = NAME):
    """Wrap a CSR + vocabulary as an ``engine.corpus.Corpus`` (single default modality)."""
    import pandas as pd

    from engine.corpus.corpus import DEFAULT_MODALITY, Corpus

    n_dw = n_dw.tocsr()  # no copy when it already is CSR
    if n_dw.dtype != np.float32:
        n_dw = n_dw.astype(np.float32)
    n_dw.indices = n_dw.indices.astype(np.int32, copy=False)
    docs = pd.DataFrame({"id": [f"doc{d}" for d in range(n_dw.shape[0])], "text": [""] * n_dw.shape[0]})
    W = n_dw.shape[1]
    vocab_df = pd.DataFrame({
        "token": vocab,
        "modality": DEFAULT_MODALITY,
        "tf": np.bincount(n_dw.indices, weights=n_dw.data, minlength=W).astype(np.float64),
        "df": np.bincount(n_dw.indices, minlength=W).astype(np.int64),
    })
    return Corpus(name=name, documents=docs, vocab=vocab_df, n_dw=n_dw, manifest={"source": "bench"})


if __name__ == "__main__":
    n_dw, vocab = load(rebuild="--rebuild" in sys.argv)
    print(f"D = {n_dw.shape[0]:,}  W = {n_dw.shape[1]:,}  nnz = {n_dw.nnz:,}  tokens = {int(n_dw.sum()):,}"
          f"  -> {folder()}")
