"""Reading an initial Φ from a table (Parquet or CSV) onto a corpus's vocabulary — the one
reader behind ``ModelConfig.init`` and ``engine.store.runs.load_phi``."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.em.arrays import normalize_phi
from engine.errors import InputError
from engine.interop.phi_table import read_phi_table

__all__ = ["load_phi"]


def _topic_columns(df: pd.DataFrame, name: str, topic_names: list[str] | None) -> list:
    cols = [c for c in df.columns if c not in ("token", "modality")]
    if topic_names is None:
        if not cols:
            raise InputError(f"initial Φ {name} has no topic columns")
        return cols
    if all(t in df.columns for t in topic_names):
        return list(topic_names)
    if len(cols) == len(topic_names):  # unnamed topics: taken in order
        return cols
    missing = [t for t in topic_names if t not in cols]
    raise InputError(f"initial Φ {name} has {len(cols)} topic columns, the model has "
                     f"{len(topic_names)} topics (lacks topic column(s) {', '.join(missing[:5])})")


def load_phi(path: str | os.PathLike, corpus, topic_names: list[str] | None = None, *,
             strict: bool = True) -> tuple[np.ndarray, list[str]]:
    """Φ (W, T) from a Parquet or CSV table aligned to ``corpus``'s vocabulary.

    Columns: ``token``, optional ``modality`` (default ``@default_class``), and the topics:
    the columns named ``topic_names`` if all present, else exactly T other numeric columns
    taken in order (``topic_names`` None: every other column). Values must be finite and
    non-negative; a (modality, token) pair may appear once. ``strict``: every corpus token must
    appear and no other; otherwise tokens missing from the table get the mean of their
    modality's rows and unknown tokens are ignored. Columns are normalized within each
    modality, φ_wt / Σ_{v∈m(w)} φ_vt (an all-zero column stays zero).

    Returns
    -------
    phi : ndarray of shape (W, T), float32, rows in corpus vocabulary order
    names : list of T str, the topic columns used
    """
    path = Path(path)
    df = read_phi_table(path, corpus.vocab)  # the engine's layout or BigARTM's get_phi() (engine/interop)
    if "token" not in df.columns:
        raise InputError(f"initial Φ {path.name} needs a 'token' column (columns: "
                         f"{', '.join(map(str, df.columns[:8]))})")
    if "modality" not in df.columns:
        df = df.assign(modality=DEFAULT_MODALITY)
    cols = _topic_columns(df, path.name, topic_names)
    values = df[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = [c for c, ok in zip(cols, np.isfinite(values).all(axis=0)) if not ok]
    if bad:
        raise InputError(f"initial Φ {path.name}: column(s) {', '.join(map(str, bad[:5]))} hold "
                         "non-numeric or non-finite values")
    if (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise InputError(f"initial Φ {path.name}: negative value {values[r, c]} for token "
                         f"{df['token'].iloc[r]!r}, topic {cols[c]!r}")
    key_file = pd.MultiIndex.from_arrays([df["modality"].astype(str), df["token"].astype(str)])
    if key_file.has_duplicates:
        dup = key_file[key_file.duplicated()][0]
        raise InputError(f"initial Φ {path.name}: token {dup[1]!r} ({dup[0]}) appears more than once")
    key_corpus = pd.MultiIndex.from_arrays([corpus.vocab["modality"].astype(str),
                                            corpus.vocab["token"].astype(str)])
    pos = key_file.get_indexer(key_corpus)
    have = pos >= 0
    if strict and not have.all():
        miss = key_corpus[~have]
        raise InputError(f"initial Φ {path.name} lacks {len(miss)} corpus token(s), e.g. "
                         + ", ".join(repr(t) for _, t in list(miss)[:5]))
    if strict and len(key_file) > have.sum():
        unknown = key_file[~key_file.isin(key_corpus)]
        raise InputError(f"initial Φ {path.name} has {len(unknown)} token(s) not in corpus "
                         f"{corpus.name!r}, e.g. " + ", ".join(repr(t) for _, t in list(unknown)[:5]))
    phi = np.zeros((corpus.n_tokens, len(cols)), np.float64)
    phi[have] = values[pos[have]]
    tok_mod = corpus.token_modality
    for m in range(len(corpus.modalities)):
        miss = (tok_mod == m) & ~have
        if miss.any():
            known = (tok_mod == m) & have
            phi[miss] = phi[known].mean(axis=0) if known.any() else 1.0
    return normalize_phi(phi, tok_mod, len(corpus.modalities)), [str(c) for c in cols]
