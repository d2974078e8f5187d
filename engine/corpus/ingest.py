"""From a user's file to a :class:`~engine.corpus.Corpus` stored in the workspace.

``build_corpus`` reads the source (:mod:`engine.readers`), picks the text/id/date columns,
runs the preprocessing pipeline of :mod:`engine.text` over all texts at once, applies the
vocabulary filters, drops documents left empty, adds metadata modalities and returns the
corpus. ``import_corpus`` stores it (atomically). The resolved preprocessing settings are kept
in the manifest, so :func:`vectorize_texts` runs the same pipeline on new text.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus import text as T
from engine.corpus.corpus import DEFAULT_MODALITY, Corpus, TokenSequences
from engine.errors import InputError, WorkspaceError
from engine.corpus.readers import BagOfWordsSource, TableSource, detect_format, read_source
from engine.store.workspace import Workspace, now_iso, validate_name

SAMPLE_CORPUS_NAME = "uk-commons"
SAMPLE_FILE = "uk_commons_speeches.jsonl.gz"

_ID_NAMES = ("id", "doc_id", "docid", "document_id", "uid", "key", "name", "filename")
_DATE_NAMES = ("date", "datetime", "published", "pub_date", "timestamp", "time", "created_at",
               "created", "year")
AUTO_MIN_DF_DOCS = 20
_LANG_ALIASES = {"english": "en", "russian": "ru", "german": "de", "spanish": "es", "dutch": "nl",
                 "french": "fr", "italian": "it", "portuguese": "pt", "ukrainian": "uk"}  # corpora with at least this many documents get min_df=2 by default


@dataclass(frozen=True)
class ImportOptions:
    """How to read and preprocess a source file.

    Attributes
    ----------
    text_column, id_column, date_column : str or None
        Columns of a table source; ``None`` = guess (text: the string column with the longest
        values; id: ``id``-like column with unique values, else row numbers; date: a column
        named ``date``, ``datetime``, ``year``...).
    modalities : dict {column: "@name"}
        Metadata columns that become modalities; a list-valued cell gives several tokens.
    lang : str
        ``"auto"`` (Cyrillic share / stop-word hits) or an ISO code: ``en``, ``ru``, ``de``...
    lemmatize : bool
        Russian lemmatization (pymorphy3).
    stem : bool
        Snowball stemming (PyStemmer).
    stopwords : str
        ``"default"`` (the shipped list of the language), ``"none"``, or a path to a UTF-8 file
        whose words are added to the default list.
    min_df, max_df : int or float or None
        Document-frequency bounds: an int is a document count, a float in (0, 1] a fraction of
        the documents. ``min_df=None`` means 2 for text corpora of 20+ documents, else 1.
    max_vocab : int or None
        Keep the most frequent terms only.
    encoding : str or None
        Text encoding; ``None`` = UTF-8, or a detected cp1251 / Windows Latin-1.
    one_per_line : bool
        A plain-text file holds one document per line.
    keep_numbers, keep_urls : bool
        Keep tokens without letters / URLs and e-mail addresses as tokens.
    min_length : int
        Shortest token kept (characters).
    """

    text_column: str | None = None
    id_column: str | None = None
    date_column: str | None = None
    modalities: dict = field(default_factory=dict)
    lang: str = "auto"
    lemmatize: bool = False
    stem: bool = False
    stopwords: str = "default"
    min_df: int | float | None = None
    max_df: int | float | None = None
    max_vocab: int | None = None
    encoding: str | None = None
    one_per_line: bool = False
    keep_numbers: bool = False
    keep_urls: bool = False
    min_length: int = 2

    def to_dict(self) -> dict:
        d = asdict(self)
        d["modalities"] = dict(self.modalities)
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> "ImportOptions":
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise InputError(f"unknown import option(s): {', '.join(sorted(unknown))}")
        return cls(**d)

    def validated(self) -> "ImportOptions":
        lang = _LANG_ALIASES.get(str(self.lang or "auto").strip().lower(), str(self.lang or "auto").strip().lower())
        if not re.fullmatch(r"auto|[a-z]{2,3}", lang):
            raise InputError(f"language {self.lang!r}: use a two-letter code (en, ru, de, es, nl, ...) or auto")
        mods = {}
        for col, name in (self.modalities or {}).items():
            name = str(name).strip()
            if not name:
                raise InputError(f"modality name for column {col!r} is empty")
            if not name.startswith("@"):
                name = "@" + name
            if name == DEFAULT_MODALITY:
                raise InputError(f"{DEFAULT_MODALITY} is the modality of the words; choose another name for {col!r}")
            if not re.fullmatch(r"@[^\s|:]+", name):
                raise InputError(f"modality name {name!r}: no spaces, '|' or ':' after '@'")
            mods[str(col)] = name
        if len(set(mods.values())) != len(mods):
            raise InputError("two columns map to the same modality name")
        if self.max_vocab is not None and (not isinstance(self.max_vocab, (int, np.integer)) or self.max_vocab < 1):
            raise InputError(f"max_vocab must be a positive integer, got {self.max_vocab!r}")
        if self.min_length < 1:
            raise InputError(f"min_length must be ≥ 1, got {self.min_length}")
        T.resolve_df_bound(self.min_df, 1, "min_df")
        T.resolve_df_bound(self.max_df, 1, "max_df")
        return ImportOptions(**{**self.to_dict(), "modalities": mods, "lang": lang})


@dataclass
class SourcePreview:
    """What :func:`preview_source` found: enough to fill an import form."""

    format: str
    rows: pd.DataFrame
    columns: list
    text_column: str | None
    id_column: str | None
    date_column: str | None
    notes: list
    encoding: str | None = None
    string_columns: list = field(default_factory=list)


# --------------------------------------------------------------------------- column choice

def _is_list(v) -> bool:
    return isinstance(v, (list, tuple, np.ndarray))


def _string_share(s: pd.Series) -> float:
    v = s.dropna()
    if len(v) == 0:
        return 0.0
    return float(v.map(lambda x: isinstance(x, str)).mean())


def string_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns if _string_share(frame[c].head(2000)) >= 0.9]


def guess_text_column(frame: pd.DataFrame) -> str | None:
    """The string column with the longest mean length (None if there is no string column)."""
    best, best_len = None, 0.0
    for c in string_columns(frame):
        sample = frame[c].head(5000).dropna()
        n = float(sample.map(lambda x: len(x) if isinstance(x, str) else 0).mean()) if len(sample) else 0.0
        if n > best_len:
            best, best_len = c, n
    return best


def guess_id_column(frame: pd.DataFrame, text_column: str | None) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in _ID_NAMES:
        c = lower.get(name)
        if c is not None and c != text_column and frame[c].notna().all() and frame[c].astype(str).is_unique:
            return c
    return None


def guess_date_column(frame: pd.DataFrame) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in _DATE_NAMES:
        if name in lower:
            return lower[name]
    return None


def parse_dates(values: pd.Series, column: str, path, explicit: bool, notes: list) -> pd.Series | None:
    """Dates of a column as ``datetime64[ns]`` (NaT where missing or unparseable).

    A year alone (``1997`` or ``"1997"``) is January 1st of that year; numbers above 10^8 are
    Unix seconds; strings are ISO dates or timestamps (time zones converted to UTC).
    """
    s = pd.Series(values).reset_index(drop=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    present = s.notna() & (s.astype(str).str.strip() != "")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        year = present & num.between(1000, 2999) & (num == np.floor(num))
        unix = present & (num > 1e8)
        out[year] = pd.to_datetime(num[year].astype("int64").astype(str), format="%Y").astype("datetime64[ns]")
        out[unix] = pd.to_datetime(num[unix], unit="s").astype("datetime64[ns]")
    elif pd.api.types.is_datetime64_any_dtype(s):
        d = pd.to_datetime(s)
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_convert("UTC").dt.tz_localize(None)
        out = d.astype("datetime64[ns]")
    else:
        strs = [str(x).strip() if p else "" for x, p in zip(s.tolist(), present.tolist())]
        year = pd.Series([bool(re.fullmatch(r"[12]\d{3}", x)) for x in strs], index=s.index)
        if year.any():
            out[year] = pd.to_datetime(pd.Series(strs, index=s.index)[year], format="%Y").astype("datetime64[ns]")
        rest = present & ~year
        if rest.any():
            d = pd.to_datetime(pd.Series(strs, index=s.index)[rest], errors="coerce", utc=True, format="mixed")
            out[rest] = d.dt.tz_localize(None).astype("datetime64[ns]")
    n_present, n_ok = int(present.sum()), int(out.notna().sum())
    if n_present and n_ok == 0:
        example = s[present].iloc[0]
        if explicit:
            raise InputError(f"{path}: date column {column!r} has no parseable dates (e.g. {str(example)[:40]!r})")
        notes.append(f"column {column!r} looked like a date column but holds no dates; ignored")
        return None
    if n_ok < n_present:
        notes.append(f"date column {column!r}: {n_present - n_ok} of {n_present} values are not dates (NaT)")
    return out


def _sanitize_metadata(col: pd.Series) -> pd.Series:
    """Make a metadata column storable in Parquet: nested values become JSON, mixed types str."""
    if col.dtype != object:
        return col
    v = col.dropna()
    if len(v) == 0:
        return col
    kinds = set(v.map(lambda x: "list" if _is_list(x) else type(x).__name__))
    if kinds <= {"str"}:
        return col
    if kinds <= {"list"}:
        return col.map(lambda x: [str(i) for i in x] if _is_list(x) else None)
    if kinds <= {"int", "float"}:
        return pd.to_numeric(col)
    if kinds <= {"bool"}:
        return col
    return col.map(lambda x: None if x is None or (isinstance(x, float) and math.isnan(x))
                   else json.dumps(x, ensure_ascii=False, default=str) if isinstance(x, (dict, list))
                   else str(x))


def _documents_frame(src: TableSource, options: ImportOptions, path, notes: list) -> tuple[pd.DataFrame, dict]:
    """The documents table (id, text, date?, metadata) and the columns chosen."""
    frame = src.frame.reset_index(drop=True)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if len(frame) == 0:
        raise InputError(f"{path}: has no documents (no rows)")

    def need(col, what):
        if col not in columns:
            raise InputError(f"{path}: {what} column {col!r} does not exist (columns: {', '.join(columns)})")
        return col

    if options.text_column:
        text_col = need(options.text_column, "text")
        if _string_share(frame[text_col]) < 0.5:
            raise InputError(f"{path}: text column {text_col!r} does not hold text")
    else:
        text_col = guess_text_column(frame)
        if text_col is None:
            raise InputError(f"{path}: no usable text column (no column holds text; columns: "
                             f"{', '.join(columns)}); pass --text-column")
        if src.format not in ("text", "text-lines", "text-folder", "zip"):
            notes.append(f"text column guessed: {text_col!r} (longest text); pass --text-column to choose another")
    id_col = need(options.id_column, "id") if options.id_column else guess_id_column(frame, text_col)
    date_col = need(options.date_column, "date") if options.date_column else guess_date_column(frame)
    for col in options.modalities:
        need(col, "modality")

    texts = frame[text_col].map(lambda x: x if isinstance(x, str) else "" if x is None or x != x else str(x))
    if id_col is not None:
        ids = frame[id_col].map(lambda x: "" if x is None or x != x else str(x))
        dup = ids[ids.duplicated()]
        if len(dup):
            raise InputError(f"{path}: id column {id_col!r} has duplicate value {dup.iloc[0]!r}; "
                             "choose another --id-column or none")
    else:
        ids = pd.Series([str(i) for i in range(1, len(frame) + 1)])
    docs = pd.DataFrame({"id": ids.astype(object).to_numpy(), "text": texts.astype(object).to_numpy()})
    date_used = None
    if date_col is not None:
        dates = parse_dates(frame[date_col], date_col, path, explicit=bool(options.date_column), notes=notes)
        if dates is not None:
            docs["date"] = dates.to_numpy()
            date_used = date_col
    renamed = {text_col: "text"}
    if id_col is not None:
        renamed[id_col] = "id"
    for c in columns:
        if c in (text_col, id_col) or (c == date_col and date_used and c == "date"):
            continue
        name = c if c not in docs.columns and c != "date" else f"{c}_source"  # "date" is parsed dates only
        docs[name] = _sanitize_metadata(frame[c]).to_numpy()
        renamed[c] = name
    if date_used == "date":
        renamed["date"] = "date"
    docs["id"] = docs["id"].astype(str)
    docs["text"] = docs["text"].astype(str)
    return docs, {"text_column": text_col, "id_column": id_col, "date_column": date_used,
                  "modality_columns": {c: renamed.get(c, c) for c in options.modalities}}


# --------------------------------------------------------------------------- the pipeline

def _resolve_stopwords(options: ImportOptions, lang: str, notes: list) -> tuple[frozenset, list | None]:
    mode = options.stopwords or "default"
    if mode == "none":
        return frozenset(), None
    base = T.load_stopwords(lang)
    if not base:
        notes.append(f"no stop-word list shipped for language {lang!r} "
                     f"(available: {', '.join(T.available_stopword_languages())})")
    if mode == "default":
        return base, None
    user = T.read_stopwords_file(mode)
    return base | frozenset(user), sorted(set(user))


def _pipeline(settings: dict) -> T.Normalizer:
    sw = frozenset()
    if settings.get("stopwords") != "none":
        sw = T.load_stopwords(settings["lang"])
    sw = sw | frozenset(settings.get("user_stopwords") or [])
    return T.Normalizer(lang=settings["lang"], stopwords=sw, lemmatize=settings["lemmatize"],
                        stem=settings["stem"], keep_numbers=settings["keep_numbers"],
                        min_length=settings["min_length"])


def _terms_of_tokens(raw: T.RawTokens, normalizer: T.Normalizer) -> tuple[np.ndarray, list]:
    """(term id per token or -1, term strings in order of first appearance)."""
    per_form = normalizer.terms(raw.forms)
    codes, uniques = pd.factorize(pd.Series(per_form, dtype=object), use_na_sentinel=True)
    form_term = np.asarray(codes, dtype=np.int64)
    term = form_term[raw.form] if raw.n_tokens else np.zeros(0, np.int64)
    return term, list(uniques)


def _modality_block(docs: pd.DataFrame, column: str, name: str):
    """(n_dw block (D, V_m), tokens) of a metadata column as modality ``name``."""
    rows, toks = [], []
    for d, v in enumerate(docs[column].to_numpy()):
        vals = list(v) if _is_list(v) else ([] if v is None or (isinstance(v, float) and math.isnan(v)) else [v])
        for x in vals:
            if x is None or (isinstance(x, float) and math.isnan(x)):
                continue
            if isinstance(x, (float, np.floating)) and float(x).is_integer():
                x = int(x)  # a year stored as 2015.0 (ints with NaN become floats) is "2015"
            x = str(x).strip()
            if x:
                rows.append(d)
                toks.append(x)
    codes, uniq = pd.factorize(pd.Series(toks, dtype=object)) if toks else (np.zeros(0, np.int64), [])
    block = T.count_matrix(np.asarray(rows, np.int64), np.asarray(codes, np.int64), len(docs), len(uniq))
    return block, [str(u) for u in uniq]


def _vocab_frame(tokens, modality, n_dw: sp.csr_matrix) -> pd.DataFrame:
    return pd.DataFrame({
        "token": pd.Series(list(tokens), dtype=object),
        "modality": pd.Series(list(modality), dtype=object),
        "tf": np.asarray(n_dw.sum(axis=0)).ravel().astype(np.float64),
        "df": T.document_frequency(n_dw),
    })


def _report(progress, frac, msg):
    if progress is not None:
        progress(float(frac), msg)


def _corpus_from_table(src: TableSource, options: ImportOptions, path, progress, notes) -> Corpus:
    docs, chosen = _documents_frame(src, options, path, notes)
    texts = docs["text"].tolist()
    lang = options.lang or "auto"
    if lang == "auto":
        lang = T.detect_language(texts)
        notes.append(f"language detected: {lang}")
    stopwords, user_words = _resolve_stopwords(options, lang, notes)
    normalizer = T.Normalizer(lang=lang, stopwords=stopwords, lemmatize=options.lemmatize, stem=options.stem,
                              keep_numbers=options.keep_numbers, min_length=options.min_length)
    _report(progress, 0.25, "tokenizing")
    raw = T.tokenize(texts, keep_urls=options.keep_urls)
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
    new_id = np.full(len(terms), -1, np.int64)
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
    blocks, tokens, mods = [words], [t for t, k in zip(terms, vkeep) if k], [DEFAULT_MODALITY] * n_words
    for col, name in options.modalities.items():
        block, toks = _modality_block(docs, chosen["modality_columns"][col], name)
        if not toks:
            notes.append(f"modality {name} (column {col!r}) is empty")
            continue
        blocks.append(block)
        tokens += toks
        mods += [name] * len(toks)
    full = sp.hstack(blocks, format="csr", dtype=np.float32) if len(blocks) > 1 else words
    full.indices = full.indices.astype(np.int32)
    full.sort_indices()
    vocab = _vocab_frame(tokens, mods, full)
    settings = {"lang": lang, "stopwords": "none" if options.stopwords == "none" else "default",
                "user_stopwords": user_words, "lemmatize": options.lemmatize, "stem": options.stem,
                "keep_numbers": options.keep_numbers, "keep_urls": options.keep_urls,
                "min_length": options.min_length, "min_df": min_df, "max_df": options.max_df,
                "max_vocab": options.max_vocab}
    manifest = {"preprocessing": settings, "columns": chosen, "dropped_empty": len(dropped_ids),
                "dropped_ids_sample": dropped_ids[:20], "documents_in_source": n_docs,
                "encoding": src.encoding}
    return Corpus(name="", documents=docs, vocab=vocab, n_dw=full, sequences=seq, manifest=manifest)


def _corpus_from_bow(src: BagOfWordsSource, options: ImportOptions, path, notes) -> Corpus:
    if options.modalities:
        notes.append("--modality ignored: bag-of-words files carry their own modalities")
    if options.lemmatize or options.stem or options.stopwords not in ("default", "none"):
        notes.append("lemmatization, stemming and stop words are not applied to bag-of-words input")
    n_dw = src.n_dw
    vocab = src.vocab
    n_docs = n_dw.shape[0]
    if n_docs == 0:
        raise InputError(f"{path}: has no documents")
    # vocabulary filters apply to the default modality only, and only when asked for
    is_default = (vocab["modality"] == DEFAULT_MODALITY).to_numpy()
    keep = np.ones(len(vocab), bool)
    if options.min_df is not None or options.max_df is not None or options.max_vocab is not None:
        df = T.document_frequency(n_dw)
        tf = np.asarray(n_dw.sum(axis=0)).ravel()
        sub = T.filter_vocabulary(df[is_default], tf[is_default], n_docs, options.min_df, options.max_df,
                                  options.max_vocab)
        if is_default.any() and not sub.any():
            raise InputError(f"{path}: the vocabulary filters removed every term (min_df={options.min_df}, "
                             f"max_df={options.max_df}, max_vocab={options.max_vocab}); loosen them")
        keep[is_default] = sub
    keep &= T.document_frequency(n_dw) > 0
    # default modality first, then the others in order of appearance
    order = np.concatenate([np.flatnonzero(keep & is_default), np.flatnonzero(keep & ~is_default)])
    n_dw = n_dw[:, order].tocsr()
    vocab = vocab.iloc[order].reset_index(drop=True)
    words = n_dw[:, : int((keep & is_default).sum())] if is_default.any() else n_dw
    non_empty = np.diff(words.indptr) > 0 if is_default.any() else np.diff(n_dw.indptr) > 0
    if not non_empty.any():
        raise InputError(f"{path}: all {n_docs} documents are empty after filtering")
    ids = np.asarray(src.ids, dtype=object)
    dropped = ids[~non_empty].tolist()
    n_dw = n_dw[non_empty].tocsr()
    n_dw.sort_indices()
    n_dw.indices = n_dw.indices.astype(np.int32)
    n_dw.data = n_dw.data.astype(np.float32)
    docs = pd.DataFrame({"id": pd.Series(ids[non_empty].tolist(), dtype=object).astype(str),
                         "text": pd.Series([""] * int(non_empty.sum()), dtype=object).astype(str)})
    vocab = _vocab_frame(vocab["token"].astype(str).tolist(), vocab["modality"].astype(str).tolist(), n_dw)
    manifest = {"preprocessing": None, "columns": None, "dropped_empty": len(dropped),
                "dropped_ids_sample": dropped[:20], "documents_in_source": n_docs, "encoding": None}
    return Corpus(name="", documents=docs, vocab=vocab, n_dw=n_dw, sequences=None, manifest=manifest)


def build_corpus(path, options: ImportOptions | None = None, progress=None, *, limit: int | None = None) -> Corpus:
    """Read ``path`` and preprocess it into an unsaved :class:`Corpus` (``name == ""``).

    Parameters
    ----------
    path : str or Path
        A file or folder in any supported format (see :mod:`engine.readers`).
    options : ImportOptions
    progress : callable(fraction: float, message: str), optional
    limit : int, optional
        Use only the first ``limit`` documents (previews).

    Raises
    ------
    InputError
        Unreadable or unsuitable input; the message names the file and the problem.
    """
    t0 = time.perf_counter()
    options = (options or ImportOptions()).validated()
    path = Path(path).expanduser()
    _report(progress, 0.0, f"reading {path.name}")
    src = read_source(path, encoding=options.encoding, one_per_line=options.one_per_line, limit=limit)
    notes = list(src.notes)
    if isinstance(src, BagOfWordsSource):
        corpus = _corpus_from_bow(src, options, path, notes)
    else:
        corpus = _corpus_from_table(src, options, path, progress, notes)
    corpus = _as_stored(corpus)
    corpus.manifest.update({
        "source": {"file": path.name, "sha256": src.sha256, "format": src.format},
        "options": options.to_dict(),
        "notes": notes,
        "import_seconds": round(time.perf_counter() - t0, 3),
    })
    _report(progress, 0.9, "built")
    return corpus


def _as_stored(corpus: Corpus) -> Corpus:
    """The corpus with its tables passed through Arrow, so that the in-memory corpus has exactly
    the dtypes it will have after a save/load round trip."""
    import pyarrow as pa

    def norm(df):
        return pa.Table.from_pandas(df, preserve_index=False).to_pandas()

    return Corpus(name=corpus.name, documents=norm(corpus.documents), vocab=norm(corpus.vocab),
                  n_dw=corpus.n_dw, sequences=corpus.sequences, manifest=corpus.manifest)


def default_name(path) -> str:
    """A corpus name from a file name: ``20newsgroups_bydate.jsonl.gz`` → ``20newsgroups_bydate``."""
    name = Path(path).name
    name = re.sub(r"(\.(gz|zip|txt|csv|tsv|jsonl|ndjson|json|parquet|vw))+$", "", name, flags=re.I)
    name = re.sub(r"[^A-Za-z0-9._\-]+", "-", name).strip("-._") or "corpus"
    return name[:100]


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
                  workspace: Workspace | None = None, replace: bool = False, progress=None) -> dict:
    """Build a corpus from ``path`` and store it as ``name`` in ``workspace``.

    Nothing is written unless the whole import succeeds. Returns a summary: name, documents,
    dropped_empty, tokens, vocabulary per modality, seconds, format, text_column, language,
    notes.
    """
    t0 = time.perf_counter()
    workspace = workspace if workspace is not None else Workspace()
    name = validate_name(name or default_name(path), "corpus name")
    if workspace.has_corpus(name) and not replace:
        raise WorkspaceError(f"a corpus named {name!r} already exists in {workspace.root} "
                             "(use --replace to overwrite it)")
    corpus = build_corpus(path, options, progress)
    _report(progress, 0.92, "saving")
    workspace.save_corpus(corpus, name, replace=replace, extra_manifest={"created_at": now_iso()})
    _report(progress, 1.0, "done")
    return summary_of(corpus, name, time.perf_counter() - t0)


# --------------------------------------------------------------------------- previews

def preview_source(path, n: int = 20, options: ImportOptions | None = None) -> SourcePreview:
    """The first ``n`` documents of ``path`` and the columns the importer would choose."""
    options = (options or ImportOptions()).validated()
    path = Path(path).expanduser()
    src = read_source(path, encoding=options.encoding, one_per_line=options.one_per_line, limit=max(n, 200))
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
    date_col = options.date_column or guess_date_column(frame)
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


# --------------------------------------------------------------------------- sample corpus

def sample_corpus_path() -> Path:
    """The bundled sample corpus (UK House of Commons speeches, ParlSpeech V2)."""
    return Path(__file__).resolve().parents[2] / "sample_data" / SAMPLE_FILE


def sample_import_options() -> ImportOptions:
    """English stop words plus the procedural words of Commons debates (sample_data/stopwords_commons.txt)."""
    extra = sample_corpus_path().with_name("stopwords_commons.txt")
    return ImportOptions(lang="en", modalities={"label": "@party"},
                         stopwords=str(extra) if extra.exists() else "default")


def ensure_sample_corpus(workspace: Workspace | None = None) -> str:
    """Import the sample corpus as ``"uk-commons"`` unless the workspace has it; returns the name."""
    workspace = workspace if workspace is not None else Workspace()
    if not workspace.has_corpus(SAMPLE_CORPUS_NAME):
        path = sample_corpus_path()
        if not path.exists():
            raise InputError(f"the sample corpus {path} is missing from this installation")
        try:
            import_corpus(path, SAMPLE_CORPUS_NAME, sample_import_options(), workspace)
        except WorkspaceError:
            if not workspace.has_corpus(SAMPLE_CORPUS_NAME):  # lost a race with another session: fine
                raise
    return SAMPLE_CORPUS_NAME


__all__ = [
    "ImportOptions", "SourcePreview", "build_corpus", "import_corpus", "preview_source",
    "preview_vocabulary", "vectorize_texts", "sample_corpus_path", "ensure_sample_corpus",
    "detect_format", "SAMPLE_CORPUS_NAME",
]
