"""Streaming import (``import --batches``): any input the ordinary import reads, into a batched corpus.

The source is read through :func:`engine.corpus.readers.chunks.open_chunks`, the ordinary
import's reader — same formats (JSON Lines, CSV/TSV, Parquet, text, a zip or folder of .txt,
JSON arrays, Vowpal Wabbit, UCI; gzip), encodings, limits and messages — twice, chunk by chunk;
no pass holds more than one chunk of texts:

1. **Counting pass** — the text column is chosen on the first chunk and the language detected
   on the first 800 documents, as the ordinary import does (:mod:`engine.corpus.stream_corpus`);
   every chunk runs the text pipeline (``tokenize_bounded`` → :class:`~engine.corpus.tokens.TermIndex`)
   and adds its terms' document frequency df_w and total count tf_w to running totals. Then
   ``filter_vocabulary`` (min_df, max_df, max_vocab) fixes the vocabulary, exactly as the
   ordinary import does over the whole corpus. The id column is chosen from hashes of every
   candidate column's values (unique and never missing, as ``guess_id_column`` asks).
2. **Writing pass** — every chunk is tokenized again, mapped to the kept vocabulary, counted
   (``count_matrix``) and appended to a :class:`~engine.corpus.batch_writer.BatchWriter`; documents
   left empty are dropped. Nothing is visible in the workspace until the whole import succeeded.

Bag-of-words inputs come as pieces of counts (:class:`~engine.corpus.readers.bow_chunks.BowChunks`):
the counting pass sums df_w and tf_w, :func:`engine.corpus.ingest.bow_plan` chooses the terms,
the writing pass remaps each piece (:func:`engine.corpus.ingest.bow_rows`). Both give the
vocabulary and counts of the ordinary import of the same file (tests/engine/test_stream_batches.py).

Memory: one chunk of texts and its tokens, the form → term cache and the term counts (the
vocabulary), plus 8 bytes per document and id candidate column (hashes). Token sequences
(reading order) are not stored for batched corpora; dates are parsed chunk by chunk.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus import columns as C
from engine.corpus import ingest as I
from engine.corpus import text as T
from engine.corpus.batch_writer import BatchWriter
from engine.corpus.batches import BATCH_DOCS
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.corpus.languages import segmentation_note
from engine.corpus.limits import ReadLimits, default_limits
from engine.corpus.readers.bow_chunks import BowChunks, NotSorted
from engine.corpus.readers.chunks import ChunkedSource, open_chunks
from engine.corpus.stream_corpus import _LANG_SAMPLE, _as_text, check_lengths, choose_text_column, term_index
from engine.corpus.tokens import tokenize_bounded
from engine.errors import InputError, WorkspaceError
from engine.store.locks import entry_lock
from engine.store.workspace import Workspace, now_iso, validate_name


def _texts(frame: pd.DataFrame, col: str) -> list:
    return [_as_text(x) for x in frame[col].tolist()] if col in frame.columns else [""] * len(frame)


def _grow(a: np.ndarray, n: int) -> np.ndarray:
    return a if len(a) >= n else np.concatenate([a, np.zeros(max(n, 2 * len(a)) - len(a), a.dtype)])


@dataclass
class _Plan:
    """What the counting pass decided for the writing pass."""

    text: str
    id: str | None
    date: str | None
    lang: str
    user_words: list | None
    index: object  # TermIndex
    new_id: np.ndarray  # term → kept term id, −1 dropped (index −1 too)
    terms: list
    min_df: int | float
    n_docs: int
    notes: list = field(default_factory=list)


class _Counting:
    """The counting pass over a table source."""

    def __init__(self, src: ChunkedSource, path: Path, options: I.ImportOptions, limits: ReadLimits, report):
        self.src, self.path, self.o, self.limits, self.report = src, path, options, limits, report
        self.text = self.date = None
        self.candidates: list = []  # id columns: the given one, or the guessable ones in priority order
        self.hashes: dict = {}
        self.notna: dict = {}
        self.lang = options.lang or "auto"
        self.notes: list = []
        self.index = self.user_words = self.seg_note = None
        self.pending: list = []
        self.n_docs = 0
        self.df = np.zeros(1024, np.int64)
        self.tf = np.zeros(1024, np.float64)

    def _first(self, frame: pd.DataFrame) -> None:
        o, cols = self.o, list(frame.columns)
        self.text, note = choose_text_column(frame, o, self.path, self.src.format)
        if note:
            self.notes.append(note)
        if o.id_column:
            if o.id_column not in cols:
                raise InputError(f"{self.path}: id column {o.id_column!r} does not exist (columns: {', '.join(cols)})")
            self.candidates = [o.id_column]
        else:  # guess_id_column's names, in its order
            self.candidates = [c for c in cols if c != self.text and str(c).lower() in C._ID_NAMES]
            self.candidates.sort(key=lambda c: C._ID_NAMES.index(str(c).lower()))
        if o.dates:
            if o.date_column and o.date_column not in cols:
                raise InputError(f"{self.path}: date column {o.date_column!r} does not exist "
                                 f"(columns: {', '.join(cols)})")
            self.date = o.date_column or C.guess_date_column(frame)
        self.hashes = {c: [] for c in self.candidates}
        self.notna = {c: True for c in self.candidates}

    def run(self) -> _Plan:
        k = 0
        for frame in self.src.chunks():
            if self.text is None:
                self._first(frame)
            texts = _texts(frame, self.text)
            check_lengths(texts, frame, self.candidates[0] if self.candidates else None, self.n_docs,
                          self.limits, self.path)
            for c in self.candidates:
                col = frame[c] if c in frame.columns else pd.Series([None] * len(frame), dtype=object)
                if self.o.id_column:
                    vals = col.map(lambda x: "" if x is None or x != x else str(x))
                else:
                    self.notna[c] = self.notna[c] and bool(col.notna().all())
                    vals = col.astype(str)
                self.hashes[c].append(pd.util.hash_array(vals.to_numpy(object)))
            self.pending.append(texts)
            self.n_docs += len(texts)
            if self.index is None and (self.lang != "auto" or self.n_docs >= _LANG_SAMPLE):
                self._start()
            if self.index is not None:
                self._drain()
            k += 1
            self.report(0.5 * (1 - 0.8 ** k), f"counting: {self.n_docs:,} documents")
        if self.n_docs == 0:
            raise InputError(f"{self.path}: has no documents (no rows)")
        if self.index is None:
            self._start()
        self._drain()
        return self._plan()

    def _start(self) -> None:
        first = [t for texts in self.pending for t in texts][:_LANG_SAMPLE]
        self.lang, self.user_words, self.index = term_index(self.o, self.lang, first, self.notes)

    def _drain(self) -> None:
        for texts in self.pending:
            raw = tokenize_bounded(texts, keep_urls=self.o.keep_urls)
            if self.seg_note is None:
                self.seg_note = segmentation_note(self.lang, raw.forms) or ""
            term = self.index.term_of_tokens(raw, np.int32)
            n = len(self.index.terms)
            self.df, self.tf = _grow(self.df, n), _grow(self.tf, n)
            ok = term >= 0
            doc, term = raw.doc[ok].astype(np.int64), term[ok].astype(np.int64)
            self.tf[:n] += np.bincount(term, minlength=n)
            self.df[:n] += np.bincount(np.unique(doc * n + term) % n, minlength=n) if n else 0
        self.pending = []

    def _id_column(self) -> str | None:
        for c in self.candidates:
            h = np.concatenate(self.hashes[c])
            unique = len(np.unique(h)) == len(h)
            if self.o.id_column and not unique:
                raise InputError(f"{self.path}: id column {c!r} has duplicate values; "
                                 "choose another --id-column or none")
            if unique and self.notna[c]:
                return c
        return None

    def _plan(self) -> _Plan:
        o, n_docs = self.o, self.n_docs
        ident = self._id_column()
        self.hashes = None
        n_terms = len(self.index.terms)
        min_df = o.min_df if o.min_df is not None else (2 if n_docs >= I.AUTO_MIN_DF_DOCS else 1)
        keep = T.filter_vocabulary(self.df[:n_terms], self.tf[:n_terms], n_docs, min_df, o.max_df,
                                   o.max_vocab) if n_terms else np.zeros(0, bool)
        if not n_terms or self.tf[:n_terms].sum() == 0:
            raise InputError(f"{self.path}: all {n_docs} documents are empty after tokenization and stop words "
                             "(nothing left to model)")
        if not keep.any():
            raise InputError(f"{self.path}: the vocabulary filters removed every term (min_df={min_df}, "
                             f"max_df={o.max_df}, max_vocab={o.max_vocab}; {n_terms} terms before "
                             "filtering); loosen them")
        new_id = np.full(n_terms + 1, -1, np.int64)  # index −1 (dropped forms) stays −1
        new_id[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
        terms = [t for t, k in zip(self.index.terms, keep) if k]
        notes = list(self.src.notes) + self.notes + ([self.seg_note] if self.seg_note else [])
        return _Plan(self.text, ident, self.date, self.lang, self.user_words, self.index, new_id, terms,
                     min_df, n_docs, notes)


def _write_tables(src: ChunkedSource, plan: _Plan, writer: BatchWriter, path: Path, options, report) -> int:
    """The writing pass over a table source; returns the documents kept."""
    seen = kept = 0
    W = len(plan.terms)
    for frame in src.chunks():
        raw = tokenize_bounded(_texts(frame, plan.text), keep_urls=options.keep_urls)
        term = plan.new_id[plan.index.term_of_tokens(raw)]
        ok = term >= 0
        m = T.count_matrix(raw.doc[ok], term[ok], len(frame), W)
        del raw
        nonempty = np.diff(m.indptr) > 0
        ids = (pd.Series([str(i) for i in range(seen + 1, seen + len(frame) + 1)], dtype=object)
               if plan.id is None else pd.Series(_texts(frame, plan.id), dtype=object))
        docs = pd.DataFrame({"id": ids.to_numpy()})
        if plan.date is not None and plan.date in frame.columns:
            dates = C.parse_dates(frame[plan.date], plan.date, path, bool(options.date_column), plan.notes)
            if dates is not None:
                docs["date"] = dates.to_numpy()
        for c in frame.columns:  # metadata as _documents_frame keeps it ("date" is parsed dates only)
            if c not in (plan.text, plan.id) and not (c == plan.date == "date" and "date" in docs.columns):
                docs[c if c not in docs.columns and c not in ("text", "date") else f"{c}_source"] = \
                    C._sanitize_metadata(frame[c]).to_numpy()
        writer.add(m[nonempty], docs[nonempty])
        seen += len(frame)
        kept += int(nonempty.sum())
        report(0.5 + 0.5 * seen / max(plan.n_docs, 1), f"writing: {kept:,} documents in {len(writer.batches)} batches")
    return kept


def _count_bow(src: BowChunks, report) -> tuple[BowChunks, np.ndarray, np.ndarray, int]:
    """(source, df_w, tf_w, documents) of a bag of words; a UCI file not sorted by document is
    read whole (within the budget of inputs read whole) and counted as one piece."""
    df, tf, n_docs = np.zeros(1024, np.int64), np.zeros(1024), 0
    try:
        for k, (_, m) in enumerate(src.pieces(), 1):
            n = m.shape[1]
            df, tf = _grow(df, n), _grow(tf, n)
            df[:n] += np.bincount(m.indices, minlength=n)
            tf[:n] += np.bincount(m.indices, weights=m.data, minlength=n)
            n_docs += m.shape[0]
            report(0.5 * (1 - 0.8 ** k), f"counting: {n_docs:,} documents")
    except NotSorted:
        if src.whole is None:
            raise
        return _count_bow(src.read_whole(), report)
    n = len(src.toks)
    return src, df[:n], tf[:n], n_docs


def _write_bow(src: BowChunks, plan: tuple, n_docs: int, writer: BatchWriter, report) -> tuple[int, list]:
    """The writing pass over a bag of words; (documents kept, sample of dropped ids)."""
    order, n_default, has_default, n_terms = plan
    seen = kept = 0
    dropped: list = []
    for ids, m in src.pieces():  # a VW piece has the columns of the terms seen so far
        m = sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], n_terms))
        m, nonempty = I.bow_rows(m, order, n_default, has_default)
        ids = np.asarray(ids, dtype=object)
        dropped.extend(ids[~nonempty][:20 - len(dropped)].tolist())
        writer.add(m, pd.DataFrame({"id": pd.Series(ids[nonempty].tolist(), dtype=object).astype(str)}))
        seen += len(ids)
        kept += int(nonempty.sum())
        report(0.5 + 0.5 * seen / max(n_docs, 1), f"writing: {kept:,} documents in {len(writer.batches)} batches")
    return kept, dropped


def stream_import(path, name: str | None = None, options: I.ImportOptions | None = None,
                  workspace: Workspace | None = None, replace: bool = False, progress=None,
                  batch_docs: int = BATCH_DOCS, limits: ReadLimits | None = None,
                  chunk_chars: int | None = None) -> dict:
    """Import ``path`` into ``workspace`` as a batched corpus ``name``; returns a summary like
    :func:`engine.corpus.ingest.import_corpus` (plus ``batches``). InputError as the ordinary
    import raises it; nothing is written unless the whole import succeeds.

    ``progress(fraction, message)`` is called after every chunk of both passes; ``limits`` are
    the read limits (default from the free memory), ``chunk_chars`` the characters of text per
    chunk (default :data:`engine.corpus.readers.chunks.CHUNK_CHARS`).
    """
    t0 = time.perf_counter()
    path = Path(path).expanduser()
    options = (options or I.ImportOptions()).validated()
    if options.modalities:
        raise InputError("--modality is not supported with --batches yet; import without --batches")
    if options.phrases:
        raise InputError("--phrases is not supported with --batches yet; import without --batches")
    workspace = workspace if workspace is not None else Workspace()
    name = validate_name(name if name is not None else I.default_name(path), "corpus name")
    target = workspace.corpus_path(name)
    report = progress or (lambda f, m: None)
    limits = limits or default_limits()
    with entry_lock(target, f"corpus {name!r}"):
        if workspace.has_corpus(name) and not replace:
            raise WorkspaceError(f"a corpus named {name!r} already exists in {workspace.root} "
                                 "(use --replace to overwrite it)")
        src = open_chunks(path, limits, options.encoding, options.one_per_line, chunk_chars)
        if isinstance(src, BowChunks):
            out, summary = _import_bow(src, path, options, target, name, replace, batch_docs, report)
        else:
            out, summary = _import_table(src, path, options, target, name, replace, batch_docs, report, limits)
    report(1.0, "done")
    summary.update({"name": name, "documents": out["documents"], "tokens": out["tokens"],
                    "vocabulary": {m: v["vocabulary"] for m, v in out["modalities"].items()},
                    "batches": len(out["batches"]), "seconds": round(time.perf_counter() - t0, 2),
                    "format": src.format, "notes": out["notes"]})
    return summary


def _manifest(src, path: Path, options, notes: list, n_docs: int, kept: int, dropped: list, extra: dict) -> dict:
    return {**extra, "notes": sorted(set(notes), key=notes.index), "dropped_empty": n_docs - kept,
            "dropped_ids_sample": dropped[:20], "documents_in_source": n_docs, "options": options.to_dict(),
            "source": {"file": path.name, "sha256": src.sha256, "format": src.format,
                       "bytes": path.stat().st_size if path.is_file() else None, "streamed": True},
            "created_at": now_iso()}


def _import_table(src, path, options, target, name, replace, batch_docs, report, limits):
    plan = _Counting(src, path, options, limits, report).run()
    writer = BatchWriter(target, len(plan.terms), batch_docs, replace=replace)
    try:
        kept = _write_tables(src, plan, writer, path, options, report)
        if kept == 0:
            raise InputError(f"{path}: all {plan.n_docs} documents are empty after filtering")
        vocab = pd.DataFrame({"token": pd.Series(plan.terms, dtype=object), "modality": DEFAULT_MODALITY})
        columns = {"text_column": plan.text, "id_column": plan.id, "date_column": plan.date}
        settings = I.settings_of(options, plan.lang, plan.user_words, plan.min_df)
        out = writer.finish(vocab, name, _manifest(src, path, options, plan.notes, plan.n_docs, kept, [],
                                                   {"preprocessing": settings, "columns": columns,
                                                    "encoding": src.encoding}))
    except BaseException as exc:
        if writer.tmp.exists():
            writer.abort(exc)
        raise
    return out, {"dropped_empty": plan.n_docs - kept, "text_column": plan.text, "language": plan.lang}


def _import_bow(src, path, options, target, name, replace, batch_docs, report):
    src, df, tf, n_docs = _count_bow(src, report)
    if n_docs == 0:
        raise InputError(f"{path}: has no documents")
    notes = list(src.notes)
    I.bow_notes(options, notes)
    plan = (*I.bow_plan(src.vocab(), df, tf, n_docs, options, path), len(df))
    writer = BatchWriter(target, len(plan[0]), batch_docs, replace=replace)
    try:
        kept, dropped = _write_bow(src, plan, n_docs, writer, report)
        if kept == 0:
            raise InputError(f"{path}: all {n_docs} documents are empty after filtering")
        vocab = src.vocab().iloc[plan[0]].reset_index(drop=True).astype(str)
        out = writer.finish(vocab, name, _manifest(src, path, options, notes, n_docs, kept, dropped,
                                                   {"preprocessing": None, "columns": None, "encoding": None}))
    except BaseException as exc:
        if writer.tmp.exists():
            writer.abort(exc)
        raise
    return out, {"dropped_empty": n_docs - kept, "text_column": None, "language": None}


__all__ = ["stream_import"]
