"""From a user's file to a :class:`~engine.corpus.Corpus` stored in the workspace.

``import_corpus`` reads the source chunk by chunk (:mod:`engine.corpus.readers.chunks`) and runs
the pipeline of :mod:`engine.corpus.stream_corpus` straight into the corpus's temporary folder,
which is swapped in when the whole import succeeded: peak memory is one chunk plus the output
(n_dw, the vocabulary, the non-text columns), not the corpus. ``build_corpus`` is the in-memory
pipeline (whole file read, all texts preprocessed at once with :mod:`engine.text`, vocabulary
filters, empty documents dropped, metadata modalities added), used for previews and as the
reference the chunked import is tested against. The resolved preprocessing settings are kept in
the manifest, so :func:`vectorize_texts` runs the same pipeline on new text.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from engine.corpus import text as T
from engine.corpus.columns import (
    _documents_frame, guess_date_column, guess_id_column, guess_text_column, string_columns,
)
from engine.corpus.corpus import DEFAULT_MODALITY, Corpus, TokenSequences
from engine.corpus.limits import ReadLimits, default_limits
from engine.corpus.options import ImportOptions, SourcePreview
from engine.corpus.languages import segmentation_note
from engine.corpus.phrases import merge_phrases
from engine.corpus.prep import (  # noqa: F401 - _resolve_stopwords and AUTO_MIN_DF_DOCS are used via this module
    AUTO_MIN_DF_DOCS, _pipeline, _resolve_stopwords, _terms_of_tokens, settings_of, with_modalities,
)
from engine.corpus.tokens import tokenize_bounded
from engine.corpus.readers import BagOfWordsSource, TableSource, detect_format, read_source
from engine.corpus.readers.bow_chunks import BowChunks
from engine.corpus.readers.chunks import first_rows, open_chunks
from engine.corpus.stream_corpus import build_streamed
from engine.errors import InputError, WorkspaceError
from engine.store.locks import entry_lock
from engine.store.workspace import (
    Workspace, atomic_dir, corpus_manifest, now_iso, validate_name, write_corpus_files,
)

# --------------------------------------------------------------------------- the pipeline

def _report(progress, frac, msg):
    if progress is not None:
        progress(float(frac), msg)


def _corpus_from_table(src: TableSource, options: ImportOptions, path, progress, notes,
                       limits: ReadLimits | None = None) -> Corpus:
    docs, chosen = _documents_frame(src, options, path, notes, limits)
    texts = docs["text"].tolist()
    lang = options.lang or "auto"
    if lang == "auto":
        lang, note = T.detect_language_note(texts)
        notes.append(note)
    stopwords, user_words = _resolve_stopwords(options, lang, notes)
    normalizer = T.Normalizer(lang=lang, stopwords=stopwords, lemmatize=options.lemmatize, stem=options.stem,
                              keep_numbers=options.keep_numbers, min_length=options.min_length)
    _report(progress, 0.25, "tokenizing")
    raw = tokenize_bounded(texts, keep_urls=options.keep_urls)
    if note := segmentation_note(lang, raw.forms):  # jieba (the zh extra) missing
        notes.append(note)
    _report(progress, 0.5, f"normalizing {len(raw.forms):,} distinct word forms")
    term, terms = _terms_of_tokens(raw, normalizer)
    keep = term >= 0
    n_docs = len(docs)
    if not keep.any():
        raise InputError(f"{path}: all {n_docs} documents are empty after tokenization and stop words "
                         "(nothing left to model)")
    _report(progress, 0.7, "counting")
    doc, term = raw.doc[keep], term[keep]
    start, end = raw.start[keep], raw.end[keep]
    del raw  # the unfiltered token arrays are the largest thing held here
    if options.phrases:  # collocations by NPMI become one token, new_york
        doc, term, start, end, terms, found = merge_phrases(doc, term, start, end, terms, np.flatnonzero(keep))
        notes.append(f"{len(found)} phrases joined" + (f", e.g. {', '.join(p for p, _, _ in found[:5])}" if found else ""))
    n_dw = T.count_matrix(doc, term, n_docs, len(terms))
    min_df = options.min_df
    if min_df is None:
        min_df = 2 if n_docs >= AUTO_MIN_DF_DOCS else 1
    df = T.document_frequency(n_dw)
    tf = np.asarray(n_dw.sum(axis=0)).ravel()
    vkeep = T.filter_vocabulary(df, tf, n_docs, min_df, options.max_df, options.max_vocab)
    if not vkeep.any():
        raise InputError(f"{path}: the vocabulary filters removed every term (min_df={min_df}, "
                         f"max_df={options.max_df}, max_vocab={options.max_vocab}; {len(terms)} terms before "
                         "filtering); loosen them")
    new_id = np.full(len(terms), -1, np.int32)
    new_id[vkeep] = np.arange(int(vkeep.sum()))
    t2 = new_id[term]
    ok = t2 >= 0
    doc, t2, start, end = doc[ok], t2[ok], start[ok], end[ok]
    # documents left empty are dropped
    per_doc = np.bincount(doc, minlength=n_docs)
    kept_docs = per_doc > 0
    n_kept = int(kept_docs.sum())
    if n_kept == 0:
        raise InputError(f"{path}: all {n_docs} documents are empty after filtering")
    new_doc = np.cumsum(kept_docs) - 1
    doc = new_doc[doc]
    dropped_ids = docs["id"][~kept_docs].tolist()
    docs = docs[kept_docs].reset_index(drop=True)
    n_words = int(vkeep.sum())
    words = T.count_matrix(doc, t2, n_kept, n_words)
    ptr = np.zeros(n_kept + 1, np.int64)
    np.cumsum(per_doc[kept_docs], out=ptr[1:])
    seq = TokenSequences(ptr=ptr, token=t2.astype(np.int32), start=start.astype(np.int32), end=end.astype(np.int32))
    full, vocab = with_modalities(words, [t for t, k in zip(terms, vkeep) if k], docs, options,
                                  chosen["modality_columns"], notes)
    settings = settings_of(options, lang, user_words, min_df)
    manifest = {"preprocessing": settings, "columns": chosen, "dropped_empty": len(dropped_ids),
                "dropped_ids_sample": dropped_ids[:20], "documents_in_source": n_docs,
                "encoding": src.encoding}
    return Corpus(name="", documents=docs, vocab=vocab, n_dw=full, sequences=seq, manifest=manifest)


def column_sums(n_dw: sp.csr_matrix, block: int = 1 << 22) -> tuple[np.ndarray, np.ndarray]:
    """(df_w int64, tf_w float64) of a CSR matrix, a block of nonzeros at a time (``np.bincount``
    of all indices at once would make an 8-byte copy of each)."""
    W = n_dw.shape[1]
    df, tf = np.zeros(W, np.int64), np.zeros(W)
    for lo in range(0, n_dw.nnz, block):
        idx = n_dw.indices[lo:lo + block]
        df += np.bincount(idx, minlength=W)
        tf += np.bincount(idx, weights=n_dw.data[lo:lo + block], minlength=W)
    return df, tf


def bow_plan(vocab: pd.DataFrame, df: np.ndarray, tf: np.ndarray, n_docs: int, options: ImportOptions,
             path) -> tuple[np.ndarray, int, bool]:
    """Which bag-of-words terms a corpus keeps, from their document frequencies ``df`` and totals
    ``tf``: (column order — the kept ``@default_class`` terms, then the kept others in order of
    appearance —, number of default terms kept, whether the input has default terms). The
    vocabulary filters apply to the default modality only, and only when asked for; terms that
    occur nowhere are dropped."""
    is_default = (vocab["modality"] == DEFAULT_MODALITY).to_numpy()
    keep = np.ones(len(vocab), bool)
    if options.min_df is not None or options.max_df is not None or options.max_vocab is not None:
        sub = T.filter_vocabulary(df[is_default], tf[is_default], n_docs, options.min_df, options.max_df,
                                  options.max_vocab)
        if is_default.any() and not sub.any():
            raise InputError(f"{path}: the vocabulary filters removed every term (min_df={options.min_df}, "
                             f"max_df={options.max_df}, max_vocab={options.max_vocab}); loosen them")
        keep[is_default] = sub
    keep &= df > 0
    order = np.concatenate([np.flatnonzero(keep & is_default), np.flatnonzero(keep & ~is_default)])
    return order, int((keep & is_default).sum()), bool(is_default.any())


def bow_rows(n_dw: sp.csr_matrix, order: np.ndarray, n_default: int, has_default: bool):
    """(``n_dw`` over the columns ``order`` without the documents left empty — no default term
    when the input has default terms —, mask of the documents kept); float32, sorted int32 indices."""
    if len(order) != n_dw.shape[1] or np.any(order != np.arange(len(order))):
        n_dw = n_dw[:, order].tocsr()
    n_dw.sort_indices()
    non_empty = np.diff(n_dw.indptr) > 0
    if has_default and n_dw.nnz:
        first = n_dw.indices[np.minimum(n_dw.indptr[:-1], n_dw.nnz - 1)]
        non_empty &= first < n_default
    if not non_empty.all():
        n_dw = n_dw[non_empty].tocsr()
    n_dw.indices = n_dw.indices.astype(np.int32, copy=False)
    n_dw.data = n_dw.data.astype(np.float32, copy=False)
    return n_dw, non_empty


def bow_notes(options: ImportOptions, notes: list) -> None:
    """Notes on the options a bag-of-words import ignores."""
    if options.modalities:
        notes.append("--modality ignored: bag-of-words files carry their own modalities")
    if options.lemmatize or options.stem or options.stopwords not in ("default", "none"):
        notes.append("lemmatization, stemming and stop words are not applied to bag-of-words input")


def _corpus_from_bow(src: BagOfWordsSource, options: ImportOptions, path, notes) -> Corpus:
    bow_notes(options, notes)
    n_dw = src.n_dw
    n_docs = n_dw.shape[0]
    if n_docs == 0:
        raise InputError(f"{path}: has no documents")
    df, tf = column_sums(n_dw)
    order, n_default, has_default = bow_plan(src.vocab, df, tf, n_docs, options, path)
    vocab = src.vocab.iloc[order].reset_index(drop=True)
    n_dw, non_empty = bow_rows(n_dw, order, n_default, has_default)
    if not non_empty.any():
        raise InputError(f"{path}: all {n_docs} documents are empty after filtering")
    ids = np.asarray(src.ids, dtype=object)
    dropped = ids[~non_empty].tolist()
    docs = pd.DataFrame({"id": pd.Series(ids[non_empty].tolist(), dtype=object).astype(str),
                         "text": pd.Series([""] * int(non_empty.sum()), dtype=object).astype(str)})
    vocab = pd.DataFrame({"token": pd.Series(vocab["token"].astype(str).tolist(), dtype=object),  # as _vocab_frame
                          "modality": pd.Series(vocab["modality"].astype(str).tolist(), dtype=object),
                          "tf": np.asarray(n_dw.sum(axis=0)).ravel().astype(np.float64),
                          "df": column_sums(n_dw)[0]})
    manifest = {"preprocessing": None, "columns": None, "dropped_empty": len(dropped),
                "dropped_ids_sample": dropped[:20], "documents_in_source": n_docs, "encoding": None}
    return Corpus(name="", documents=docs, vocab=vocab, n_dw=n_dw, sequences=None, manifest=manifest)


def build_corpus(path, options: ImportOptions | None = None, progress=None, *, limit: int | None = None,
                 limits: ReadLimits | None = None) -> Corpus:
    """Read ``path`` and preprocess it into an unsaved :class:`Corpus` (``name == ""``).

    Parameters
    ----------
    path : str or Path
        A file or folder in any supported format (see :mod:`engine.readers`).
    options : ImportOptions
    progress : callable(fraction: float, message: str), optional
    limit : int, optional
        Use only the first ``limit`` documents (previews).
    limits : ReadLimits, optional
        Byte limits of the input; default sized from the free memory
        (:func:`engine.corpus.limits.default_limits`).

    Raises
    ------
    InputError
        Unreadable or unsuitable input; the message names the file and the problem.
    """
    t0 = time.perf_counter()
    options = (options or ImportOptions()).validated()
    path = Path(path).expanduser()
    _report(progress, 0.0, f"reading {path.name}")
    limits = limits or default_limits()
    if limit:  # a preview: the first documents, read chunk by chunk
        src = first_rows(path, limits, limit, options.encoding, options.one_per_line)
    else:
        src = read_source(path, encoding=options.encoding, one_per_line=options.one_per_line, limits=limits.whole())
    notes = list(src.notes)
    if isinstance(src, BagOfWordsSource):
        corpus = _corpus_from_bow(src, options, path, notes)
    else:
        corpus = _corpus_from_table(src, options, path, progress, notes, limits)
    corpus = _as_stored(corpus)
    _finish_manifest(corpus, path, src, options, notes, t0)
    _report(progress, 0.9, "built")
    return corpus


def _finish_manifest(corpus: Corpus, path: Path, src, options: ImportOptions, notes: list, t0: float) -> None:
    corpus.manifest.update({
        "source": {"file": path.name, "sha256": src.sha256, "format": src.format},
        "options": options.to_dict(),
        "notes": notes,
        "import_seconds": round(time.perf_counter() - t0, 3),
    })


def _as_stored(corpus: Corpus) -> Corpus:
    """The corpus with its tables passed through Arrow, so that the in-memory corpus has exactly
    the dtypes it will have after a save/load round trip."""
    def norm(df):
        return pa.Table.from_pandas(df, preserve_index=False).to_pandas()

    return Corpus(name=corpus.name, documents=norm(corpus.documents), vocab=norm(corpus.vocab),
                  n_dw=corpus.n_dw, sequences=corpus.sequences, manifest=corpus.manifest)


def default_name(path) -> str:
    """A corpus name from a file name: ``20newsgroups_bydate.jsonl.gz`` → ``20newsgroups_bydate``."""
    name = Path(path).name
    name = re.sub(r"(\.(gz|zip|txt|csv|tsv|jsonl|ndjson|json|parquet|vw))+$", "", name, flags=re.I)
    name = re.sub(r"[^A-Za-z0-9._\-]+", "-", name).strip("-._")[:92] or "corpus"
    try:
        validate_name(name)
    except WorkspaceError:  # a device name Windows reserves ("CON", "nul")
        name = f"{name}-corpus"
    return name


def summary_of(corpus: Corpus, name: str, seconds: float) -> dict:
    vocab = {m: int((corpus.vocab["modality"] == m).sum()) for m in corpus.modalities}
    m = corpus.manifest
    return {
        "name": name,
        "documents": int(corpus.n_docs),
        "dropped_empty": int(m.get("dropped_empty", 0)),
        "tokens": float(corpus.n_dw.sum()),
        "vocabulary": vocab,
        "seconds": round(seconds, 2),
        "format": m.get("source", {}).get("format"),
        "text_column": (m.get("columns") or {}).get("text_column"),
        "language": (m.get("preprocessing") or {}).get("lang"),
        "notes": list(m.get("notes", [])),
    }


def import_corpus(path, name: str | None = None, options: ImportOptions | None = None,
                  workspace: Workspace | None = None, replace: bool = False, progress=None,
                  limits: ReadLimits | None = None) -> dict:
    """Build a corpus from ``path`` and store it as ``name`` in ``workspace``.

    Nothing is written unless the whole import succeeds. The corpus's inter-process lock is
    held from the existence check to the final rename, so of two imports of one name one wins
    and the other fails with a WorkspaceError. Returns a summary: name, documents,
    dropped_empty, tokens, vocabulary per modality, seconds, format, text_column, language,
    notes.
    """
    t0 = time.perf_counter()
    workspace = workspace if workspace is not None else Workspace()
    name = validate_name(name if name is not None else default_name(path), "corpus name")
    target = workspace.corpus_path(name)
    with entry_lock(target, f"corpus {name!r}"):
        if workspace.has_corpus(name) and not replace:
            raise WorkspaceError(f"a corpus named {name!r} already exists in {workspace.root} "
                                 "(use --replace to overwrite it)")
        with atomic_dir(target, replace=replace) as tmp:
            corpus = _import_into(tmp, name, path, options, progress, limits, t0)
    _report(progress, 1.0, "done")
    return summary_of(corpus, name, time.perf_counter() - t0)


def _import_into(tmp: Path, name: str, path, options, progress, limits, t0: float) -> Corpus:
    """Read ``path`` chunk by chunk (:mod:`engine.corpus.stream_corpus`) into the corpus folder
    ``tmp``; bag-of-words inputs are read piece by piece and stacked (their counts are the output)."""
    options = (options or ImportOptions()).validated()
    path = Path(path).expanduser()
    _report(progress, 0.0, f"reading {path.name}")
    limits = limits or default_limits()
    src = open_chunks(path, limits, encoding=options.encoding, one_per_line=options.one_per_line)
    if isinstance(src, BowChunks):  # the counts are the output: stacked piece by piece
        src = src.to_source()
        notes = list(src.notes)
        corpus = _as_stored(_corpus_from_bow(src, options, path, notes))
    else:
        corpus = build_streamed(src, path, tmp, options, limits, progress)
        notes = corpus.manifest.pop("notes")
    _finish_manifest(corpus, path, src, options, notes, t0)
    _report(progress, 0.92, "saving")
    manifest = corpus_manifest(corpus, name, {"created_at": now_iso()},
                               has_sequences=not isinstance(src, BagOfWordsSource))
    write_corpus_files(corpus, tmp, manifest, documents=isinstance(src, BagOfWordsSource))
    return corpus


# --------------------------------------------------------------------------- previews

def preview_source(path, n: int = 20, options: ImportOptions | None = None) -> SourcePreview:
    """The first ``n`` documents of ``path`` and the columns the importer would choose."""
    options = (options or ImportOptions()).validated()
    path = Path(path).expanduser()
    src = first_rows(path, default_limits(), max(n, 200), options.encoding, options.one_per_line)
    notes = list(src.notes)
    if isinstance(src, BagOfWordsSource):
        m = src.n_dw[:n].tocsr()
        rows = []
        for d in range(m.shape[0]):
            idx = m.indices[m.indptr[d]:m.indptr[d + 1]]
            cnt = m.data[m.indptr[d]:m.indptr[d + 1]]
            top = np.argsort(-cnt, kind="stable")[:12]
            rows.append({"id": src.ids[d], "tokens": " ".join(
                f"{src.vocab['token'].iat[idx[k]]}:{cnt[k]:g}" for k in top)})
        return SourcePreview(src.format, pd.DataFrame(rows), ["id", "tokens"], None, None, None, notes)
    frame = src.frame
    text_col = options.text_column or guess_text_column(frame)
    id_col = options.id_column or guess_id_column(frame, text_col)
    date_col = (options.date_column or guess_date_column(frame)) if options.dates else None
    if text_col is None:
        notes.append("no column holds text; choose the text column")
    rows = frame.head(n).copy()
    rows.columns = [str(c) for c in rows.columns]
    return SourcePreview(src.format, rows.reset_index(drop=True), [str(c) for c in frame.columns],
                         text_col, id_col, date_col, notes, src.encoding if isinstance(src, TableSource) else None,
                         string_columns(frame))


def preview_vocabulary(path, options: ImportOptions | None = None, max_docs: int = 2000) -> pd.DataFrame:
    """Vocabulary (token, modality, tf, df) of the first ``max_docs`` documents, by tf descending."""
    corpus = build_corpus(path, options, limit=max_docs)
    return corpus.vocab.sort_values(["tf", "df"], ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- new text

def vectorize_texts(corpus: Corpus, texts) -> tuple[sp.csr_matrix, TokenSequences]:
    """Run the corpus's own preprocessing on new texts and count them over its vocabulary.

    Returns
    -------
    n_dw : csr_matrix of shape (len(texts), W)
        Counts of the corpus's ``@default_class`` tokens; out-of-vocabulary words are skipped.
    sequences : TokenSequences
        In-vocabulary tokens with character offsets into each text.
    """
    settings = corpus.manifest.get("preprocessing")
    if not settings:
        raise InputError(f"corpus {corpus.name!r} was imported from bag-of-words data; it has no text "
                         "pipeline to apply to new text")
    texts = ["" if t is None else str(t) for t in texts]
    raw = T.tokenize(texts, keep_urls=settings.get("keep_urls", False))
    term, terms = _terms_of_tokens(raw, _pipeline(settings))
    ids = corpus.token_ids(terms, DEFAULT_MODALITY) if terms else np.zeros(0, np.int64)
    ids = np.append(ids, -1)  # term -1 (dropped) maps to -1
    w = ids[term]
    ok = w >= 0
    doc = raw.doc[ok]
    n_dw = T.count_matrix(doc, w[ok], len(texts), corpus.n_tokens)
    ptr = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(np.bincount(doc, minlength=len(texts)), out=ptr[1:])
    seq = TokenSequences(ptr=ptr, token=w[ok].astype(np.int32), start=raw.start[ok].astype(np.int32),
                         end=raw.end[ok].astype(np.int32))
    return n_dw, seq


__all__ = [
    "ImportOptions", "SourcePreview", "build_corpus", "import_corpus", "preview_source",
    "preview_vocabulary", "vectorize_texts", "detect_format",
]
