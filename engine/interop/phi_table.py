"""Φ tables from outside: the engine's own export and BigARTM's ``get_phi()`` layout.

Accepted layouts (CSV or Parquet), rows = tokens, one numeric column per topic:

- the engine's: columns ``token``, optional ``modality``, then the topics;
- BigARTM's ``model.get_phi()`` written with ``to_csv`` / ``to_parquet``: the tokens are the
  (unnamed) index, or a ``(class_id, token)`` MultiIndex; a CSV then starts with one or two
  unnamed columns. BigARTM's class ids (``@default_class``, ``@labels``, or a VW namespace such as
  ``labels``) are matched to the engine's modalities with :func:`modality_name`.

A table without class ids gives every token's row to each modality that has the token.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError

DEFAULT = "@default_class"


def modality_name(class_id) -> str:
    """The engine's modality for a BigARTM class id or VW namespace: ``labels`` → ``@labels``."""
    s = str(class_id).strip()
    if not s or s.lower() in ("nan", "none", "default", "@default"):
        return DEFAULT
    return s if s.startswith("@") else "@" + s


def _unnamed(col) -> bool:
    return col is None or (isinstance(col, str) and (col == "" or col.startswith("Unnamed: ")
                                                    or col.startswith("__index_level_")))


def read_phi_table(path, vocab: pd.DataFrame | None = None) -> pd.DataFrame:
    """A Φ table as a DataFrame with columns ``token``, ``modality``, then the topic columns.

    Parameters
    ----------
    path : CSV or Parquet file
    vocab : DataFrame[token, modality], optional
        The corpus vocabulary; with it, a table without class ids is expanded to every modality
        holding each token.

    Raises
    ------
    InputError
        Unreadable file, no token column or index, no numeric topic column, values that are not
        finite and non-negative — one message naming the file and what to do.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"initial Φ {p} does not exist")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pd.read_parquet(p)
        else:  # every cell as text: a token such as "1e5" or "nan" stays itself
            table = pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a user input problem
        raise InputError(f"cannot read initial Φ {p.name}: {exc}") from None
    if not isinstance(table.index, pd.RangeIndex):          # Parquet kept get_phi()'s index
        if table.index.nlevels > 2:
            raise InputError(f"initial Φ {p.name} has a {table.index.nlevels}-level index; "
                             "expected tokens or (class_id, token)")
        names = ["class_id", "token"] if table.index.nlevels == 2 else ["token"]
        table = table.rename_axis(names).reset_index()
    cols = list(table.columns)
    if "token" not in cols:
        if len(cols) >= 3 and _unnamed(cols[0]) and _unnamed(cols[1]):      # (class_id, token) index
            table = table.rename(columns={cols[0]: "class_id", cols[1]: "token"})
        elif len(cols) >= 2 and _unnamed(cols[0]):                         # token index
            table = table.rename(columns={cols[0]: "token"})
        else:
            raise InputError(f"initial Φ {p.name} needs a 'token' column or the tokens as its unnamed first "
                             "column (BigARTM: save model.get_phi() with its index); columns: "
                             + ", ".join(map(str, cols[:8])))
    if "class_id" in table.columns and "modality" not in table.columns:
        table = table.rename(columns={"class_id": "modality"})
    topics = [c for c in table.columns if c not in ("token", "modality")]
    if not topics:
        raise InputError(f"initial Φ {p.name} has no topic columns")
    numeric = table[topics].apply(pd.to_numeric, errors="coerce")
    values = numeric.to_numpy(np.float64)
    bad = [str(c) for c, ok in zip(topics, np.isfinite(values).all(axis=0)) if not ok]
    if bad:
        raise InputError(f"initial Φ {p.name}: column(s) {', '.join(bad[:5])} hold non-numeric or non-finite values")
    if (values < 0).any():
        raise InputError(f"initial Φ {p.name}: negative values; Φ must be non-negative")
    if not (values.sum(axis=0) > 0).any():
        raise InputError(f"initial Φ {p.name}: every topic column is all zero")
    table = table.copy()
    table[topics] = numeric
    table = table.assign(token=table["token"].astype(str))
    if "modality" in table.columns:
        table = table.assign(modality=table["modality"].map(modality_name))
    elif vocab is not None:
        mods = vocab[["token", "modality"]].astype(str).drop_duplicates()
        table = table.merge(mods, on="token", how="left").fillna({"modality": DEFAULT})
    else:
        table = table.assign(modality=DEFAULT)
    return table[["token", "modality"] + topics].reset_index(drop=True)


def check_init(path, corpus, n_topics: int) -> pd.DataFrame:
    """Read ``path`` and check it fits ``corpus`` and ``n_topics`` before any job starts."""
    table = read_phi_table(path, corpus.vocab)
    n_cols = table.shape[1] - 2
    if n_cols != n_topics:
        raise InputError(f"init: the Φ table {Path(path).name} has {n_cols} topic columns, the model has "
                         f"{n_topics} topics (--topics plus --background)")
    key = set(zip(corpus.vocab["modality"].astype(str), corpus.vocab["token"].astype(str)))
    found = sum((m, t) in key for m, t in zip(table["modality"], table["token"]))
    if found == 0:
        raise InputError(f"init: no token of the Φ table {Path(path).name} is in the vocabulary of corpus "
                         f"{corpus.name!r}; is it the same corpus (and the same preprocessing)?")
    return table
