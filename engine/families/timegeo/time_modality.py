"""A ``@time`` modality derived from a corpus's date column, so TimeSmoothing works on any dated
corpus without preparing a time modality by hand.

Every dated document gets one token of its time bin (count 1): ``2017-02-14`` (day),
``2017-02`` (month) or ``2017`` (year). ``bin="auto"`` picks the finest bin that keeps the
number of bins in the date range at most :data:`MAX_BINS` (day, else month, else year).
TimeSmoothing orders these tokens by value (:func:`engine.em.regularizers.time_smoothing.time_order`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import Corpus
from engine.errors import InputError

__all__ = ["BINS", "MAX_BINS", "choose_bin", "time_tokens", "add_time_modality", "append_modality"]

BINS = ("day", "month", "year")
#: "auto" takes the finest bin with at most this many bins between the first and last date
MAX_BINS = 180
_FORMAT = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def _span(dates: pd.Series, unit: str) -> int:
    lo, hi = dates.min(), dates.max()
    if unit == "day":
        return int((hi.normalize() - lo.normalize()).days) + 1
    if unit == "month":
        return (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    return hi.year - lo.year + 1


def choose_bin(dates) -> str:
    """The finest of day/month/year with at most MAX_BINS bins over the range of ``dates``."""
    d = pd.to_datetime(pd.Series(dates)).dropna()
    if d.empty:
        raise InputError("no document has a date: a @time modality needs a date column")
    for unit in BINS:
        if _span(d, unit) <= MAX_BINS:
            return unit
    return "year"


def time_tokens(dates, unit: str) -> np.ndarray:
    """The time-bin token of every date ("" where the date is missing)."""
    if unit not in BINS:
        raise InputError(f"time bin must be one of auto, {', '.join(BINS)}, got {unit!r}")
    d = pd.to_datetime(pd.Series(dates))
    return d.dt.strftime(_FORMAT[unit]).fillna("").to_numpy(dtype=object)


def add_time_modality(corpus: Corpus, unit: str = "auto", modality: str = "@time") -> tuple[Corpus, dict]:
    """``corpus`` with a ``modality`` whose tokens are the documents' time bins (appended after
    the existing vocabulary, so token ids and sequences are unchanged). Returns (corpus, info:
    bin, modality, tokens, dated documents, first, last)."""
    name = corpus.name or "(unsaved)"
    if "date" not in corpus.documents.columns:
        raise InputError(f"corpus {name!r} has no date column; import it with --date-column COLUMN")
    dates = pd.to_datetime(corpus.documents["date"])
    unit = choose_bin(dates) if unit == "auto" else unit
    return append_modality(corpus, time_tokens(dates, unit), modality, "time_modality", {"bin": unit})


def append_modality(corpus: Corpus, tokens, modality: str, key: str, info: dict,
                    counted: str = "dated_documents") -> tuple[Corpus, dict]:
    """``corpus`` with one token per document (``tokens`` (D,), "" for none) as a new
    ``modality`` appended after the vocabulary (token ids and sequences unchanged), tokens in
    sorted order; ``info`` (+ modality, tokens, ``counted``: documents with a token, first, last) is stored
    under ``manifest[key]`` and returned."""
    name = corpus.name or "(unsaved)"
    if modality in corpus.modalities:
        raise InputError(f"corpus {name!r} already has a modality {modality!r}")
    toks = np.asarray(tokens, dtype=object)
    dated = np.flatnonzero(toks != "")
    codes, uniq = pd.factorize(pd.Series(toks[dated]), sort=True)
    block = sp.csr_matrix((np.ones(len(dated), np.float32), (dated, codes)), shape=(corpus.n_docs, len(uniq)))
    n_dw = sp.hstack([corpus.n_dw, block], format="csr")
    n_dw.sort_indices()
    n_dw = sp.csr_matrix((n_dw.data.astype(np.float32), n_dw.indices.astype(np.int32), n_dw.indptr.astype(np.int64)),
                         shape=n_dw.shape)
    counts = np.bincount(codes, minlength=len(uniq))
    extra = pd.DataFrame({"token": pd.Series(list(uniq), dtype=object), "modality": modality,
                          "tf": counts.astype(np.float64), "df": counts.astype(np.int64)})
    vocab = pd.concat([corpus.vocab, extra[list(corpus.vocab.columns)]], ignore_index=True)
    info = {**info, "modality": modality, "tokens": len(uniq), counted: int(len(dated)),
            "first": str(uniq[0]) if len(uniq) else None, "last": str(uniq[-1]) if len(uniq) else None}
    manifest = {**corpus.manifest, key: info}
    return Corpus(name=corpus.name, documents=corpus.documents, vocab=vocab, n_dw=n_dw,
                  sequences=corpus.sequences, manifest=manifest), info
