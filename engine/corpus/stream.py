"""Streaming import: JSON Lines, CSV and Parquet of any size into a batched corpus.

The file is read twice, chunk by chunk, with pyarrow's streaming readers (``pyarrow.json.
open_json``, ``pyarrow.csv.open_csv``, ``ParquetFile.iter_batches``; ``.gz`` decompressed on the
fly); no pass holds more than one chunk of texts:

1. **Counting pass** — every chunk runs the text pipeline of :mod:`engine.corpus.text`
   (``tokenize`` → ``Normalizer``) and adds its terms' document frequency df_w and total count
   tf_w to running totals keyed by term. Then ``filter_vocabulary`` (min_df, max_df, max_vocab)
   fixes the vocabulary, exactly as the in-memory import does over the whole corpus.
2. **Writing pass** — every chunk is tokenized again, mapped to the kept vocabulary, counted
   (``count_matrix``) and appended to a :class:`~engine.corpus.batches.BatchWriter`; documents
   left empty are dropped. Nothing is visible in the workspace until the whole import succeeded.

Memory: one chunk of texts and its tokens, the form → term cache and the term counts (the
vocabulary), plus 8 bytes per document (id hashes, to refuse duplicate ids). Token sequences
(reading order) are not stored for batched corpora.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from engine.corpus import columns as C
from engine.corpus import ingest as I
from engine.corpus import text as T
from engine.corpus.batches import BATCH_DOCS, BatchWriter
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.corpus.tokens import TermIndex
from engine.errors import InputError, WorkspaceError
from engine.store.workspace import Workspace, now_iso, validate_name

#: bytes of source text per chunk (JSON Lines / CSV) — the bound on texts held at once
CHUNK_BYTES = 32 << 20
#: rows per chunk for Parquet
CHUNK_ROWS = 50_000
FORMATS = ("jsonl", "csv", "tsv", "parquet")


def stream_format(path: Path) -> str:
    """``jsonl``, ``csv``, ``tsv`` or ``parquet`` from the file name (``.gz`` allowed)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for ext, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"), (".tsv", "tsv"),
                     (".parquet", "parquet"), (".pq", "parquet")):
        if name.endswith(ext):
            return fmt
    raise InputError(f"{path.name}: streaming import reads JSON Lines (.jsonl), CSV/TSV or Parquet "
                     "files (optionally .gz); import other formats without --batches")


def iter_chunks(path, chunk_bytes: int = CHUNK_BYTES, chunk_rows: int = CHUNK_ROWS):
    """Yield (DataFrame chunk, fraction of the file read) with a streaming reader."""
    path = Path(path)
    fmt = stream_format(path)
    if fmt == "parquet":
        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from None
        total, done = max(1, pf.metadata.num_rows), 0
        for rb in pf.iter_batches(batch_size=chunk_rows):
            done += rb.num_rows
            yield rb.to_pandas(), done / total
        return
    size = max(1, path.stat().st_size)
    raw = open(path, "rb")  # noqa: SIM115 - closed below; position gives the progress
    try:
        stream = pa.CompressedInputStream(raw, "gzip") if path.name.lower().endswith(".gz") else raw
        try:
            if fmt == "jsonl":
                reader = pajson.open_json(stream, read_options=pajson.ReadOptions(block_size=chunk_bytes))
            else:
                reader = pacsv.open_csv(
                    stream, read_options=pacsv.ReadOptions(block_size=chunk_bytes),
                    parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",",
                                                     newlines_in_values=True))
            for rb in reader:
                yield rb.to_pandas(), min(1.0, raw.tell() / size)
        except pa.ArrowInvalid as exc:
            raise InputError(f"{path.name}: cannot parse as {fmt.upper()} ({exc}); check the file "
                             "or import it without --batches") from None
    finally:
        raw.close()


@dataclass
class _Columns:
    text: str
    id: str | None
    date: str | None
    others: list = field(default_factory=list)


def _choose_columns(frame: pd.DataFrame, options: I.ImportOptions, path: Path, notes: list) -> _Columns:
    cols = [str(c) for c in frame.columns]

    def need(col, what):
        if col not in cols:
            raise InputError(f"{path.name}: {what} column {col!r} does not exist (columns: {', '.join(cols)})")
        return col

    text = need(options.text_column, "text") if options.text_column else C.guess_text_column(frame)
    if text is None:
        raise InputError(f"{path.name}: no usable text column (columns: {', '.join(cols)}); pass --text-column")
    if not options.text_column:
        notes.append(f"text column guessed: {text!r} (longest text); pass --text-column to choose another")
    ident = need(options.id_column, "id") if options.id_column else C.guess_id_column(frame, text)
    if not options.dates:
        date = None
    else:
        date = need(options.date_column, "date") if options.date_column else C.guess_date_column(frame)
    others = [c for c in cols if c not in (text, ident, date)]
    return _Columns(text, ident, date, others)


class _Vocabulary(TermIndex):
    """Running term counts of the counting pass: term → id, df, tf (grows with the vocabulary)."""

    def __init__(self, normalizer: T.Normalizer):
        super().__init__(normalizer)
        self.df = np.zeros(1024, np.int64)
        self.tf = np.zeros(1024, np.float64)

    def count(self, doc: np.ndarray, term: np.ndarray) -> None:
        n = len(self.terms)
        if n > len(self.df):
            grow = max(n, 2 * len(self.df))
            self.df = np.concatenate([self.df, np.zeros(grow - len(self.df), np.int64)])
            self.tf = np.concatenate([self.tf, np.zeros(grow - len(self.tf))])
        ok = term >= 0
        doc, term = doc[ok].astype(np.int64), term[ok]
        self.tf[:n] += np.bincount(term, minlength=n)
        pairs = np.unique(doc * n + term)
        self.df[:n] += np.bincount(pairs % n, minlength=n)


def _texts(frame: pd.DataFrame, col: str) -> list:
    return [x if isinstance(x, str) else "" if x is None or x != x else str(x) for x in frame[col].tolist()]


def _ids(frame: pd.DataFrame, cols: _Columns, first: int) -> pd.Series:
    if cols.id is None:
        return pd.Series([str(i) for i in range(first + 1, first + len(frame) + 1)], dtype=object)
    return frame[cols.id].map(lambda x: "" if x is None or x != x else str(x)).astype(object)


def stream_import(path, name: str | None = None, options: I.ImportOptions | None = None,
                  workspace: Workspace | None = None, replace: bool = False, progress=None,
                  batch_docs: int = BATCH_DOCS, chunk_bytes: int = CHUNK_BYTES,
                  chunk_rows: int = CHUNK_ROWS) -> dict:
    """Import ``path`` into ``workspace`` as a batched corpus ``name``; returns a summary like
    :func:`engine.corpus.ingest.import_corpus` (plus ``batches``).

    ``progress(fraction, message)`` is called after every chunk of both passes.
    """
    t0 = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file: {path}")
    options = (options or I.ImportOptions()).validated()
    if options.modalities:
        raise InputError("--modality is not supported with --batches yet; import without --batches")
    workspace = workspace if workspace is not None else Workspace()
    name = validate_name(name or I.default_name(path), "corpus name")
    if workspace.has_corpus(name) and not replace:
        raise WorkspaceError(f"a corpus named {name!r} already exists in {workspace.root} "
                             "(use --replace to overwrite it)")
    fmt = stream_format(path)
    notes: list = []
    report = progress or (lambda f, m: None)
    cols = vocab = None
    lang = options.lang
    n_docs, hashes = 0, []
    # ---- pass 1: count
    for frame, frac in iter_chunks(path, chunk_bytes, chunk_rows):
        if frame.empty:
            continue
        frame.columns = [str(c) for c in frame.columns]
        if cols is None:
            cols = _choose_columns(frame, options, path, notes)
            if lang == "auto":
                lang, note = T.detect_language_note(_texts(frame, cols.text))
                notes.append(f"{note} (from the first chunk)")
            stopwords, user_words = I._resolve_stopwords(options, lang, notes)
            vocab = _Vocabulary(T.Normalizer(lang=lang, stopwords=stopwords, lemmatize=options.lemmatize,
                                             stem=options.stem, keep_numbers=options.keep_numbers,
                                             min_length=options.min_length))
        missing = [c for c in (cols.text, cols.id, cols.date) if c is not None and c not in frame.columns]
        if missing:
            raise InputError(f"{path.name}: column {missing[0]!r} is missing from rows after {n_docs:,}")
        raw = T.tokenize(_texts(frame, cols.text), keep_urls=options.keep_urls)
        vocab.count(raw.doc, vocab.term_of_tokens(raw))
        hashes.append(pd.util.hash_array(_ids(frame, cols, n_docs).to_numpy()))
        n_docs += len(frame)
        report(0.5 * frac, f"counting: {n_docs:,} documents, {len(vocab.terms):,} terms")
    if cols is None:
        raise InputError(f"{path.name}: has no documents (no rows)")
    if cols.id is not None:
        h = np.concatenate(hashes)
        if len(np.unique(h)) != len(h):
            raise InputError(f"{path.name}: id column {cols.id!r} has duplicate values; "
                             "choose another --id-column or none")
    del hashes
    n_terms = len(vocab.terms)
    min_df = options.min_df if options.min_df is not None else (2 if n_docs >= I.AUTO_MIN_DF_DOCS else 1)
    keep = T.filter_vocabulary(vocab.df[:n_terms], vocab.tf[:n_terms], n_docs, min_df, options.max_df,
                               options.max_vocab) if n_terms else np.zeros(0, bool)
    if not keep.any():
        raise InputError(f"{path.name}: the vocabulary filters removed every term (min_df={min_df}, "
                         f"max_df={options.max_df}, max_vocab={options.max_vocab}; {n_terms} terms "
                         "before filtering); loosen them")
    new_id = np.full(n_terms + 1, -1, np.int64)  # index −1 (dropped forms) stays −1
    new_id[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    W = int(keep.sum())
    # ---- pass 2: write
    writer = BatchWriter(workspace.corpus_path(name), W, batch_docs, replace=replace)
    try:
        seen = kept = 0
        for frame, frac in iter_chunks(path, chunk_bytes, chunk_rows):
            if frame.empty:
                continue
            frame.columns = [str(c) for c in frame.columns]
            raw = T.tokenize(_texts(frame, cols.text), keep_urls=options.keep_urls)
            term = new_id[vocab.term_of_tokens(raw)]
            ok = term >= 0
            m = T.count_matrix(raw.doc[ok], term[ok], len(frame), W)
            nonempty = np.diff(m.indptr) > 0
            docs = pd.DataFrame({"id": _ids(frame, cols, seen).to_numpy()})
            if cols.date is not None:
                dates = C.parse_dates(frame[cols.date], cols.date, path, bool(options.date_column), notes)
                if dates is not None:
                    docs["date"] = dates.to_numpy()
            for c in cols.others:
                docs[c if c not in ("id", "text", "date") else f"{c}_source"] = \
                    C._sanitize_metadata(frame[c]).to_numpy()
            writer.add(m[nonempty], docs[nonempty])
            seen += len(frame)
            kept += int(nonempty.sum())
            report(0.5 + 0.5 * frac, f"writing: {kept:,} documents in {len(writer.batches)} batches")
        if kept == 0:
            raise InputError(f"{path.name}: all {n_docs} documents are empty after filtering")
        vocab_frame = pd.DataFrame({"token": pd.Series([t for t, k in zip(vocab.terms, keep) if k], dtype=object),
                                    "modality": DEFAULT_MODALITY})
        settings = {"lang": lang, "stopwords": "none" if options.stopwords == "none" else "default",
                    "user_stopwords": user_words, "lemmatize": options.lemmatize, "stem": options.stem,
                    "keep_numbers": options.keep_numbers, "keep_urls": options.keep_urls,
                    "min_length": options.min_length, "min_df": min_df, "max_df": options.max_df,
                    "max_vocab": options.max_vocab}
        manifest = {"preprocessing": settings, "notes": sorted(set(notes), key=notes.index),
                    "columns": {"text_column": cols.text, "id_column": cols.id, "date_column": cols.date},
                    "dropped_empty": n_docs - kept, "documents_in_source": n_docs,
                    "source": {"file": path.name, "format": fmt, "bytes": path.stat().st_size,
                               "streamed": True},
                    "created_at": now_iso()}
        out = writer.finish(vocab_frame, name, manifest)
    except BaseException as exc:
        if writer.tmp.exists():
            writer.abort(exc)
        raise
    report(1.0, "done")
    return {"name": name, "documents": out["documents"], "dropped_empty": n_docs - kept,
            "tokens": out["tokens"], "vocabulary": {DEFAULT_MODALITY: W}, "batches": len(out["batches"]),
            "seconds": round(time.perf_counter() - t0, 2), "format": fmt, "text_column": cols.text,
            "language": lang, "notes": manifest["notes"]}
