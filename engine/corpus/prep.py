"""The text pipeline's pieces shared by the in-memory and the chunked import (engine.corpus.ingest,
engine.corpus.stream_corpus): stop words, the normalizer, term ids of tokens, metadata modalities,
the vocabulary table and the preprocessing settings kept in the manifest."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus import text as T
from engine.corpus.columns import _is_list
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.corpus.options import ImportOptions

AUTO_MIN_DF_DOCS = 20  # corpora with at least this many documents get min_df=2 by default


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
    form_term = np.asarray(codes, dtype=np.int32)  # int32 ids: 4 bytes per token, not 8
    term = form_term[raw.form] if raw.n_tokens else np.zeros(0, np.int32)
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


def settings_of(options: ImportOptions, lang: str, user_words, min_df) -> dict:
    """The resolved preprocessing settings stored in the manifest (what :func:`_pipeline` rebuilds)."""
    return {"lang": lang, "stopwords": "none" if options.stopwords == "none" else "default",
            "user_stopwords": user_words, "lemmatize": options.lemmatize, "stem": options.stem,
            "keep_numbers": options.keep_numbers, "keep_urls": options.keep_urls,
            "min_length": options.min_length, "min_df": min_df, "max_df": options.max_df,
            "max_vocab": options.max_vocab, "phrases": options.phrases}


def with_modalities(words: sp.csr_matrix, terms: list, docs: pd.DataFrame, options: ImportOptions,
                    columns: dict, notes: list) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """(n_dw of shape (D, W) with the metadata modalities of ``options.modalities`` appended to
    the words' block, the vocabulary table); ``columns`` maps a modality column to its name in
    ``docs``."""
    blocks, tokens, mods = [words], list(terms), [DEFAULT_MODALITY] * len(terms)
    for col, name in options.modalities.items():
        block, toks = _modality_block(docs, columns[col], name)
        if not toks:
            notes.append(f"modality {name} (column {col!r}) is empty")
            continue
        blocks.append(block)
        tokens += toks
        mods += [name] * len(toks)
    full = sp.hstack(blocks, format="csr", dtype=np.float32) if len(blocks) > 1 else words
    full.indices = full.indices.astype(np.int32, copy=False)
    full.sort_indices()
    return full, _vocab_frame(tokens, mods, full)
