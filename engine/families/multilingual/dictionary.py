"""A user's bilingual dictionary (CSV: one translation pair per row) matched to a corpus.

Both sides go through the pipeline that made the corpus's tokens of that language
(:func:`engine.families.multilingual.corpus.normalizer_of`: stop words, lemmas, stems), so
``houses``/``дома`` in a dictionary meet the corpus's ``house``/``дом``. An entry that is
not one word after that (a phrase, a stop word) is skipped; a pair whose either side is not in
the corpus's vocabulary is *unknown*: dropped and counted (``unknown="drop"``) or an error
(``unknown="error"``). A dictionary matching no pair is always an error.

The matched pairs give the translation probabilities of the regularizer (the seed's
π_uwt = p(u|w, t), here the same for every topic): for a word w of language ℓ,
π_uw = c_uw / Σ_u' c_u'w over its translations u in language k (c = the optional weight
column, else 1), and the same the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus import text as T
from engine.errors import InputError
from engine.families.multilingual.corpus import normalizer_of
from engine.families.tables import read_user_table, store_user_file

__all__ = ["Dictionary", "read_dictionary", "match_dictionary", "translation_matrix", "dictionary_from_arrays",
           "store_dictionary"]


@dataclass(frozen=True, eq=False)
class Dictionary:
    """Matched pairs as token ids of the corpus: ``source`` (language ``languages[0]``),
    ``target`` (``languages[1]``), ``weight`` (n,) and what was dropped (``stats``)."""

    languages: tuple
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    stats: dict

    def __len__(self) -> int:
        return len(self.source)

    def arrays(self) -> dict:
        return {"dict_source": self.source.astype(np.int64), "dict_target": self.target.astype(np.int64),
                "dict_weight": self.weight.astype(np.float64)}


def dictionary_from_arrays(arrays: dict, languages) -> Dictionary | None:
    """The matched pairs saved with a run (None when the run had no dictionary)."""
    if "dict_source" not in arrays:
        return None
    return Dictionary(tuple(languages), np.asarray(arrays["dict_source"], np.int64),
                      np.asarray(arrays["dict_target"], np.int64), np.asarray(arrays["dict_weight"], np.float64),
                      {"pairs_matched": int(len(arrays["dict_source"]))})


def _single_terms(words: pd.Series, normalizer) -> list:
    """The one term of every entry after the corpus's pipeline, or None (phrase, stop word)."""
    entries = words.fillna("").astype(str).tolist()
    raw = T.tokenize(entries)
    terms = normalizer.terms(raw.forms) if normalizer is not None else list(raw.forms)
    out: list = [None] * len(entries)
    count = np.bincount(raw.doc, minlength=len(entries)) if raw.n_tokens else np.zeros(len(entries), int)
    for i, f in zip(raw.doc.tolist(), raw.form.tolist()):
        if count[i] == 1:
            out[i] = terms[f]
    return out


def read_dictionary(path, corpus, languages, columns: dict | None = None, weight_column: str | None = None,
                    unknown: str = "drop") -> Dictionary:
    """Read a CSV (optionally gzipped) or Parquet dictionary and match it to ``corpus``.

    ``languages``: the two modalities (source, target); ``columns``: modality → column
    (default: the modality name without ``@``, e.g. ``en``).
    """
    frame = read_user_table(path, "dictionary")
    return match_dictionary(frame, corpus, languages, columns, weight_column, unknown, name=Path(path).name)


def match_dictionary(frame: pd.DataFrame, corpus, languages, columns: dict | None = None,
                     weight_column: str | None = None, unknown: str = "drop", name: str = "dictionary") -> Dictionary:
    """:func:`read_dictionary` on a frame already read."""
    if unknown not in ("drop", "error"):
        raise InputError(f"unknown must be 'drop' or 'error', got {unknown!r}")
    langs = tuple(languages)
    if len(langs) != 2 or langs[0] == langs[1]:
        raise InputError(f"a dictionary translates between two different languages, got {', '.join(langs)}")
    for m in langs:
        if m not in corpus.modalities:
            raise InputError(f"the corpus has no language modality {m} (it has {', '.join(corpus.modalities)})")
    columns = {m: (columns or {}).get(m) or m.lstrip("@") for m in langs}
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    for m in langs:
        if columns[m] not in frame.columns:
            raise InputError(f"dictionary {name}: no column {columns[m]!r} for {m} (columns: "
                             f"{', '.join(frame.columns)}); name the columns after the languages or map them")
    if frame.empty:
        raise InputError(f"dictionary {name} has no rows")
    if weight_column:
        if weight_column not in frame.columns:
            raise InputError(f"dictionary {name}: no weight column {weight_column!r}")
        w = pd.to_numeric(frame[weight_column], errors="coerce").to_numpy(np.float64)
        if np.isnan(w).any() or (w <= 0).any():
            raise InputError(f"dictionary {name}: column {weight_column!r} must hold positive numbers")
    else:
        w = np.ones(len(frame))
    ids, terms = [], []
    for m in langs:
        t = _single_terms(frame[columns[m]], normalizer_of(corpus, m))
        terms.append(t)
        ids.append(corpus.token_ids([x if x is not None else "\x00" for x in t], m))
    words = np.array([a is not None and b is not None for a, b in zip(*terms)])
    known = words & (ids[0] >= 0) & (ids[1] >= 0)
    n_unknown = int((words & ~known).sum())
    stats = {"rows": int(len(frame)), "not_single_words": int((~words).sum()), "unknown_pairs": n_unknown,
             "columns": columns}
    if not known.any():
        raise InputError(f"dictionary {name}: none of its {len(frame)} pairs matches the corpus's vocabulary "
                         f"(columns {columns[langs[0]]!r} → {langs[0]}, {columns[langs[1]]!r} → {langs[1]}); "
                         "check that the columns hold the right languages and the corpus was imported with them")
    if n_unknown and unknown == "error":
        bad = frame.loc[words & ~known, [columns[langs[0]], columns[langs[1]]]].head(3)
        eg = ", ".join(f"{a!r}–{b!r}" for a, b in bad.itertuples(index=False))
        raise InputError(f"dictionary {name}: {n_unknown} of {len(frame)} pairs name words not in the corpus "
                         f"(e.g. {eg}); drop them (unknown=drop) or fix the dictionary")
    pairs = pd.DataFrame({"s": ids[0][known], "t": ids[1][known], "w": w[known]})
    pairs = pairs.groupby(["s", "t"], sort=True, as_index=False)["w"].sum()  # repeated pairs add up
    stats["pairs_matched"] = int(len(pairs))
    return Dictionary(langs, pairs["s"].to_numpy(np.int64), pairs["t"].to_numpy(np.int64),
                      pairs["w"].to_numpy(np.float64), stats)


def translation_matrix(d: Dictionary, n_tokens: int) -> sp.csr_matrix:
    """M (W, W) CSR: M[u, w] = π_uw = c_uw / Σ_u' c_u'w for u in ``languages[0]``, w in
    ``languages[1]`` (p(u|w): how w translates into the source language) and M[w, u] = c_uw / Σ_w'
    c_uw' the other way. Row u of M maps φ_·t of the other language onto u: p̂_ut = (M φ)_ut."""
    s, t, c = d.source, d.target, d.weight
    into_s = c / np.bincount(t, weights=c, minlength=n_tokens)[t]   # normalized over u for each w
    into_t = c / np.bincount(s, weights=c, minlength=n_tokens)[s]   # normalized over w for each u
    m = sp.coo_matrix((np.r_[into_s, into_t], (np.r_[s, t], np.r_[t, s])), shape=(n_tokens, n_tokens)).tocsr()
    m.sum_duplicates()
    return m


def store_dictionary(workspace, path=None, *, data: bytes | None = None, name: str = "dictionary.csv") -> Path:
    """Copy a dictionary file (or uploaded ``data`` named ``name``) into
    ``<workspace>/dictionaries/<sha256[:12]>-<name>`` (content addressed: a run's config names a
    file that never changes) and return the copy's path."""
    if data is None:
        src = Path(path)
        if not src.is_file():
            raise InputError(f"dictionary {src} does not exist")
        data, name = src.read_bytes(), src.name
    return store_user_file(workspace, "dictionaries", data, name)
