"""The ordinary import, chunk by chunk: peak memory is one chunk plus the output, not the corpus.

One pass over the source (:func:`engine.corpus.readers.chunks.open_chunks`), a chunk of documents
(~16 M characters) at a time: the texts are tokenized (:func:`~engine.corpus.tokens.tokenize_bounded`)
and mapped to term ids by a vocabulary that grows in order of first appearance
(:class:`~engine.corpus.tokens.TermIndex`); the kept tokens (doc, term, start, end) and the texts are
appended to provisional Parquet files inside the corpus's temporary folder, the chunk's counts are
kept as CSR pieces (int32 term, float32 count per nonzero), and the other columns (id, date,
metadata) are kept as they are. At the end:

1. the documents table is built from the other columns by the in-memory code
   (:func:`engine.corpus.columns._documents_frame`: id choice, duplicate ids, dates, metadata);
2. with ``phrases``, pair counts gathered over the provisional tokens choose the phrases and a
   second pass over them merges the pairs (:mod:`engine.corpus.phrases`; counts come from there);
3. the vocabulary filters (min_df, max_df, max_vocab) remap term ids over the counts, documents
   left empty are dropped, metadata modalities are added;
4. ``documents.parquet`` and ``sequences.parquet`` are written from the provisional files one
   row group at a time (the caller writes vocab, n_dw and the manifest, then swaps the folder in).

The language is detected on the first 800 documents (what the whole-corpus detector samples).
Memory: one chunk (its texts, tokens and frame) + 8 bytes per nonzero of n_dw + the vocabulary
and its form cache + the non-text columns. The corpus equals :func:`engine.corpus.ingest.build_corpus`'s
value for value (tests/engine/test_stream_corpus.py).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from engine.corpus import phrases as P
from engine.corpus import text as T
from engine.corpus.columns import _documents_frame, _string_share, guess_text_column
from engine.corpus.corpus import Corpus
from engine.corpus.languages import segmentation_note
from engine.corpus.limits import ReadLimits
from engine.corpus.options import ImportOptions
from engine.corpus.prep import AUTO_MIN_DF_DOCS, _resolve_stopwords, settings_of, with_modalities
from engine.corpus.readers.chunks import ChunkedSource
from engine.corpus.readers.tables import TableSource
from engine.corpus.tokens import TermIndex, tokenize_bounded
from engine.errors import InputError

DOCUMENTS = "documents.parquet"
SEQUENCES = "sequences.parquet"
_TEXTS, _TOKENS, _MERGED = ".texts.parquet", ".tokens.parquet", ".merged.parquet"
_TOKENIZE_CHARS = 1_000_000  # characters tokenized at once inside a chunk (temporaries ~30 B/char)
_LANG_SAMPLE = 800  # documents engine.corpus.languages.detect_language looks at (sample × 4)
_TEXT_FORMATS = ("text", "text-lines", "text-folder", "zip")
_SEQ_SCHEMA = pa.schema([("doc", pa.int32()), ("token", pa.int32()), ("start", pa.int32()), ("end", pa.int32())])


class _Appender:
    """Tables appended to one Parquet file, one row group per table."""

    def __init__(self, path: Path, schema: pa.Schema | None = None, compression="zstd", level=None):
        self.path, self.schema, self.writer = path, schema, None
        self.compression, self.level = compression, level

    def add(self, table: pa.Table) -> None:
        if self.writer is None:
            self.schema = self.schema or table.schema
            self.writer = pq.ParquetWriter(self.path, self.schema, compression=self.compression,
                                           compression_level=self.level)
        self.writer.write_table(table, row_group_size=max(len(table), 1))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _row_groups(path: Path, columns=None):
    """The row groups of a provisional file, in order (empty when it was never written)."""
    if not path.exists():
        return
    pf = pq.ParquetFile(path)
    for i in range(pf.num_row_groups):
        yield pf.read_row_group(i, columns=columns)


def _col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy()


def _as_text(x) -> str:
    return x if isinstance(x, str) else "" if x is None or x != x else str(x)


def choose_text_column(frame: pd.DataFrame, o: ImportOptions, path: Path, fmt: str) -> tuple[str, str | None]:
    """The text column of the first chunk (``o.text_column``, else the longest text) and the
    note saying it was guessed (None for text formats or when given)."""
    cols = list(frame.columns)
    if o.text_column:
        if o.text_column not in cols:
            raise InputError(f"{path}: text column {o.text_column!r} does not exist (columns: {', '.join(cols)})")
        if _string_share(frame[o.text_column]) < 0.5:
            raise InputError(f"{path}: text column {o.text_column!r} does not hold text")
        return o.text_column, None
    text_col = guess_text_column(frame)
    if text_col is None:
        raise InputError(f"{path}: no usable text column (no column holds text; columns: "
                         f"{', '.join(cols)}); pass --text-column")
    if fmt in _TEXT_FORMATS:
        return text_col, None
    return text_col, f"text column guessed: {text_col!r} (longest text); pass --text-column to choose another"


def check_lengths(texts: list, frame: pd.DataFrame, id_col, n_before: int, limits: ReadLimits, path: Path) -> None:
    """InputError naming the first document of the chunk longer than the per-document limit."""
    lengths = np.fromiter(map(len, texts), np.int64, count=len(texts))
    if len(lengths) and lengths.max() > limits.max_doc_bytes:
        k = int(lengths.argmax())
        ident = _as_text(frame[id_col].iat[k]) if id_col in frame.columns else str(n_before + k + 1)
        raise limits.too_big(f"{path}: document {ident!r}", int(lengths[k]), per_doc=True)


def term_index(o: ImportOptions, lang: str, first_texts: list, notes: list) -> tuple[str, list, TermIndex]:
    """(language — detected on ``first_texts`` when ``"auto"`` —, user stop words, an empty
    :class:`TermIndex` with the options' normalizer); notes appended to ``notes``."""
    if lang == "auto":
        lang, note = T.detect_language_note(first_texts)
        notes.append(note)
    stopwords, user_words = _resolve_stopwords(o, lang, notes)
    return lang, user_words, TermIndex(T.Normalizer(lang=lang, stopwords=stopwords, lemmatize=o.lemmatize,
                                                    stem=o.stem, keep_numbers=o.keep_numbers,
                                                    min_length=o.min_length))


class _Pass:
    """State of the pass over the source."""

    def __init__(self, src: ChunkedSource, path: Path, tmp: Path, options: ImportOptions, limits, progress):
        self.src, self.path, self.tmp, self.options, self.limits = src, path, tmp, options, limits
        self.progress = progress
        self.text_col = self.text_pos = self.id_col = None
        self.guess_note = None
        self.lang = options.lang or "auto"
        self.lang_notes: list = []
        self.user_words = None
        self.index: TermIndex | None = None
        self.pending: list = []
        self.n_docs = self.n_kept_tokens = 0
        self.small: list = []
        self.triples: list = []
        self.seg_note = None
        self.texts = _Appender(tmp / _TEXTS, pa.schema([("text", pa.string())]), "zstd", 1)
        self.tokens = _Appender(tmp / _TOKENS, None, "zstd", 1)

    # ---- columns of the first chunk
    def _choose(self, frame: pd.DataFrame) -> None:
        self.text_col, self.guess_note = choose_text_column(frame, self.options, self.path, self.src.format)
        cols = list(frame.columns)
        o = self.options
        self.text_pos = cols.index(self.text_col)
        self.id_col = o.id_column if o.id_column in cols else ("id" if "id" in cols and self.text_col != "id" else None)

    def _check_lengths(self, texts: list, frame: pd.DataFrame) -> None:
        check_lengths(texts, frame, self.id_col, self.n_docs, self.limits, self.path)

    # ---- the pass
    def run(self) -> None:
        for frame in self.src.chunks():
            if self.text_col is None:
                self._choose(frame)
            if self.text_col not in frame.columns:
                frame[self.text_col] = None
            texts = [_as_text(x) for x in frame[self.text_col].tolist()]
            self._check_lengths(texts, frame)
            self.small.append(frame.drop(columns=[self.text_col]))
            del frame
            self.texts.add(pa.table({"text": pa.array(texts, pa.string())}))
            self.pending.append((self.n_docs, texts))
            self.n_docs += len(texts)
            if self.index is None and (self.lang != "auto" or self.n_docs >= _LANG_SAMPLE):
                self._start()
            if self.index is not None:
                self._drain()
            self._report(f"tokenizing: {self.n_docs:,} documents, {len(self.index.terms) if self.index else 0:,} terms")
        if self.n_docs == 0:
            raise InputError(f"{self.path}: has no documents (no rows)")
        if self.index is None:
            self._start()
        self._drain()
        self.texts.close()
        self.tokens.close()

    def _report(self, msg: str) -> None:
        if self.progress is not None:
            k = len(self.small)
            self.progress(0.05 + 0.6 * (1 - 0.8 ** k), msg)

    def _start(self) -> None:
        """Language (detected on the first documents), stop words and the term index."""
        first = [t for _, texts in self.pending for t in texts][:_LANG_SAMPLE]
        self.lang, self.user_words, self.index = term_index(self.options, self.lang, first, self.lang_notes)

    def _drain(self) -> None:
        while self.pending:
            offset, texts = self.pending.pop(0)
            self._tokenize(offset, texts)

    def _tokenize(self, offset: int, texts: list) -> None:
        raw = tokenize_bounded(texts, keep_urls=self.options.keep_urls, batch_chars=_TOKENIZE_CHARS)
        if self.seg_note is None:
            self.seg_note = segmentation_note(self.lang, raw.forms)
        term = self.index.term_of_tokens(raw, np.int32)
        keep = term >= 0
        doc, term = raw.doc[keep], term[keep]
        self.n_kept_tokens += len(term)
        if not len(term):
            return
        cols = {"doc": (doc + offset).astype(np.int32), "token": term,
                "start": raw.start[keep].astype(np.int32), "end": raw.end[keep].astype(np.int32)}
        if self.options.phrases:
            cols["pos"] = np.flatnonzero(keep).astype(np.int64)
        else:
            self._count(doc, term, offset, len(texts), len(self.index.terms))
        del raw
        self.tokens.add(pa.table(cols))

    def _count(self, doc, term, offset: int, n_docs: int, n_terms: int) -> None:
        """Counts of documents offset..offset+n_docs as (offset, indptr, term int32, count float32)."""
        m = T.count_matrix(doc, term, n_docs, n_terms)
        self.triples.append((offset, m.indptr, m.indices.astype(np.int32, copy=False),
                             m.data.astype(np.float32, copy=False)))

    # ---- phrases
    def phrases(self, terms: list) -> tuple[list, list]:
        """Choose phrases from pair counts over the provisional tokens, then merge them into
        a new provisional file and count from it; (terms with the phrases, phrases found)."""
        n_terms = len(terms)
        unigram = np.zeros(n_terms, np.int64)
        keys, counts = np.zeros(0, np.int64), np.zeros(0, np.int64)
        n_pairs = 0
        for t in _row_groups(self.tmp / _TOKENS, ["doc", "token", "pos"]):
            doc, term = _col(t, "doc"), _col(t, "token").astype(np.int64)
            unigram += np.bincount(term, minlength=n_terms)
            idx = P.adjacent(doc, _col(t, "pos"))
            n_pairs += len(idx)
            k, c = np.unique(term[idx] * n_terms + term[idx + 1], return_counts=True)
            keys, inv = np.unique(np.concatenate([keys, k]), return_inverse=True)
            counts = np.bincount(inv, weights=np.concatenate([counts, c]), minlength=len(keys)).astype(np.int64)
        pairs, count, npmi = P.npmi_of(keys // max(n_terms, 1), keys % max(n_terms, 1), counts, n_pairs,
                                       unigram.astype(np.float64), self.n_kept_tokens)
        chosen, phrase_id, new_terms, found = P.select_phrases(pairs, count, npmi, terms)
        merged = _Appender(self.tmp / _MERGED, _SEQ_SCHEMA, "zstd", 1)
        for t in _row_groups(self.tmp / _TOKENS):
            doc, term = _col(t, "doc"), _col(t, "token").astype(np.int64)
            start, end = _col(t, "start"), _col(t, "end")
            idx = P.adjacent(doc, _col(t, "pos"))
            doc, term, start, end = P.apply_phrases(doc, term, start, end, idx, chosen, phrase_id, n_terms)
            lo, hi = int(doc[0]), int(doc[-1]) + 1
            self._count(doc - lo, term, lo, hi - lo, len(new_terms))
            merged.add(pa.table({"doc": doc.astype(np.int32), "token": term.astype(np.int32),
                                 "start": start.astype(np.int32), "end": end.astype(np.int32)}))
        merged.close()
        (self.tmp / _TOKENS).unlink(missing_ok=True)
        return new_terms, found


def build_streamed(src: ChunkedSource, path: Path, tmp: Path, options: ImportOptions,
                   limits: ReadLimits, progress=None) -> Corpus:
    """Read ``src`` chunk by chunk into the folder ``tmp``: writes ``documents.parquet`` and
    ``sequences.parquet`` there and returns the corpus with its documents table holding empty
    texts (the real ones are in the file) and ``sequences=None``; the caller writes the rest.
    InputError as :func:`engine.corpus.ingest.build_corpus` raises it."""
    options = options.validated()
    run = _Pass(src, path, tmp, options, limits, progress)
    run.run()
    small = pd.concat(run.small, ignore_index=True) if len(run.small) > 1 else run.small[0]
    run.small = None
    small.insert(min(run.text_pos, small.shape[1]), run.text_col, "")
    doc_notes: list = []
    docs, chosen = _documents_frame(TableSource(small, src.format, src.sha256), dataclasses.replace(
        options, text_column=run.text_col), path, doc_notes)
    del small
    notes = list(src.notes) + ([run.guess_note] if run.guess_note else []) + doc_notes + run.lang_notes
    if run.seg_note:
        notes.append(run.seg_note)
    n_docs = len(docs)
    if run.n_kept_tokens == 0:
        raise InputError(f"{path}: all {n_docs} documents are empty after tokenization and stop words "
                         "(nothing left to model)")
    terms = run.index.terms
    tokens_file = tmp / _TOKENS
    if options.phrases:  # collocations by NPMI become one token, new_york
        terms, found = run.phrases(terms)
        tokens_file = tmp / _MERGED
        notes.append(f"{len(found)} phrases joined" + (f", e.g. {', '.join(p for p, _, _ in found[:5])}" if found else ""))
    if progress is not None:
        progress(0.7, "counting")
    parts, run.triples = run.triples, None
    min_df = options.min_df
    if min_df is None:
        min_df = 2 if n_docs >= AUTO_MIN_DF_DOCS else 1
    n_terms = len(terms)
    df, tf = np.zeros(n_terms, np.int64), np.zeros(n_terms, np.float64)
    for _, _, cols, vals in parts:  # df_w, tf_w summed part by part (tf exact in float64)
        df += np.bincount(cols, minlength=n_terms)
        tf += np.bincount(cols, weights=vals, minlength=n_terms)
    vkeep = T.filter_vocabulary(df, tf, n_docs, min_df, options.max_df, options.max_vocab)
    if not vkeep.any():
        raise InputError(f"{path}: the vocabulary filters removed every term (min_df={min_df}, "
                         f"max_df={options.max_df}, max_vocab={options.max_vocab}; {len(terms)} terms before "
                         "filtering); loosen them")
    new_id = np.full(n_terms, -1, np.int32)
    new_id[vkeep] = np.arange(int(vkeep.sum()))
    words, kept_docs = _filtered_counts(parts, new_id, n_docs, int(vkeep.sum()))
    n_kept = words.shape[0]
    if n_kept == 0:
        raise InputError(f"{path}: all {n_docs} documents are empty after filtering")
    new_doc = (np.cumsum(kept_docs) - 1).astype(np.int32)
    dropped_ids = docs["id"][~kept_docs].tolist()
    docs = docs[kept_docs].reset_index(drop=True)
    full, vocab = with_modalities(words, [t for t, k in zip(terms, vkeep) if k], docs, options,
                                  chosen["modality_columns"], notes)
    if progress is not None:
        progress(0.85, "writing documents and token sequences")
    _write_sequences(tokens_file, tmp / SEQUENCES, new_id, new_doc)
    _write_documents(tmp / _TEXTS, tmp / DOCUMENTS, docs, kept_docs)
    manifest = {"preprocessing": settings_of(options, run.lang, run.user_words, min_df), "columns": chosen,
                "dropped_empty": len(dropped_ids), "dropped_ids_sample": dropped_ids[:20],
                "documents_in_source": n_docs, "encoding": src.encoding, "notes": notes}
    return Corpus(name="", documents=docs, vocab=vocab, n_dw=full, sequences=None, manifest=manifest)


def _filtered_counts(parts: list, new_id: np.ndarray, n_docs: int, n_words: int):
    """(n_dw of the kept documents over the kept terms, kept-document mask) from the per-chunk
    counts (offset, indptr, term, count), renumbered by ``new_id`` (−1 = filtered out). The
    parts are in document order, so the kept nonzeros are copied part by part into the final
    arrays (``parts`` is emptied on the way): the peak is the counts plus one part."""
    per_doc = np.zeros(n_docs, np.int64)
    for i, (offset, indptr, cols, vals) in enumerate(parts):
        t = new_id[cols]
        ok = t >= 0
        rows = np.repeat(np.arange(offset, offset + len(indptr) - 1), np.diff(indptr))[ok]
        per_doc += np.bincount(rows, minlength=n_docs)
        parts[i] = (t[ok], vals[ok])
    kept_docs = per_doc > 0
    ptr = np.zeros(int(kept_docs.sum()) + 1, np.int64)
    np.cumsum(per_doc[kept_docs], out=ptr[1:])
    indices, data = np.empty(ptr[-1], np.int32), np.empty(ptr[-1], np.float32)
    at = 0
    for i in range(len(parts)):
        t, v = parts[i]
        parts[i] = None
        indices[at:at + len(t)] = t
        data[at:at + len(t)] = v
        at += len(t)
    return sp.csr_matrix((data, indices, ptr), shape=(len(ptr) - 1, n_words)), kept_docs


def _write_sequences(source: Path, target: Path, new_id: np.ndarray, new_doc: np.ndarray) -> None:
    """sequences.parquet from the provisional tokens: filtered terms renumbered, dropped
    documents' tokens removed (none are left: a kept token keeps its document)."""
    out = _Appender(target, _SEQ_SCHEMA)
    for t in _row_groups(source, ["doc", "token", "start", "end"]):
        token = new_id[_col(t, "token")]
        ok = token >= 0
        if ok.any():
            out.add(pa.table({"doc": new_doc[_col(t, "doc")[ok]], "token": token[ok],
                              "start": _col(t, "start")[ok].astype(np.int32),
                              "end": _col(t, "end")[ok].astype(np.int32)}, schema=_SEQ_SCHEMA))
    out.close()
    source.unlink(missing_ok=True)


def _write_documents(texts: Path, target: Path, docs: pd.DataFrame, kept_docs: np.ndarray) -> None:
    """documents.parquet: the kept rows of ``docs`` (empty texts) with their texts from the
    provisional file, one row group per chunk of the source."""
    table = pa.Table.from_pandas(docs, preserve_index=False)
    i_text = table.schema.get_field_index("text")
    out = _Appender(target, table.schema)
    lo = k = 0
    for t in _row_groups(texts):
        n = len(t)
        mask = kept_docs[lo:lo + n]
        lo += n
        m = int(mask.sum())
        if m:
            field = table.schema.field(i_text)
            text = t.column("text").filter(pa.array(mask)).combine_chunks().cast(field.type)
            out.add(table.slice(k, m).set_column(i_text, field, text))
            k += m
    if k == 0:
        out.add(table)
    out.close()
    texts.unlink(missing_ok=True)


__all__ = ["build_streamed"]
