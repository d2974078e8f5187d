"""A location modality (``@place``) from a metadata column, for GeoSmoothing over a corpus that
was imported without one: every document with a value in the column gets one token, the value
(e.g. a city, region or country name), appended after the vocabulary like the @time modality."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.corpus.corpus import Corpus
from engine.errors import InputError
from engine.families.timegeo.time_modality import append_modality

__all__ = ["place_tokens", "add_place_modality"]


def place_tokens(values) -> np.ndarray:
    """The stripped text of every value ("" where missing or blank); 2015.0 reads as "2015"."""
    s = pd.Series(values, dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    whole = num.notna() & (num == num.round())
    s = s.where(~whole, num.where(whole).astype("Int64").astype(str))
    return s.where(s.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def add_place_modality(corpus: Corpus, column: str, modality: str = "@place") -> tuple[Corpus, dict]:
    """``corpus`` with ``modality`` whose token for each document is its value in ``column``.
    Returns (corpus, info: column, modality, tokens, documents with a place, first, last)."""
    name = corpus.name or "(unsaved)"
    cols = [c for c in corpus.documents.columns if c not in ("id", "text")]
    if column not in corpus.documents.columns:
        raise InputError(f"corpus {name!r} has no column {column!r}; its metadata columns are "
                         f"{', '.join(cols) or 'none'}")
    toks = place_tokens(corpus.documents[column].to_numpy())
    if not (toks != "").any():
        raise InputError(f"column {column!r} of corpus {name!r} is empty: no document has a place")
    return append_modality(corpus, toks, modality, "place_modality", {"column": column}, "placed_documents")
