"""CSV cells that spreadsheets cannot execute (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets evaluate a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``,
``@SUM(...)``). Tokens, labels, ids and metadata come from user corpora, so every CSV the
engine or the app writes goes through :func:`safe_frame` / :func:`to_csv`: such string cells (and
column names) get a leading ``'``, which spreadsheets show as text, and every text cell is
quoted (a carriage return or line break inside a cell cannot start a new row). Numbers stay
numbers (a negative float is not a string cell); nothing else changes.
"""
from __future__ import annotations

import csv
import os

import pandas as pd

from engine.store.workspace import atomic_file

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` with a leading ``'`` when it is a string a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are neutralized by :func:`safe_cell`."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if col.dtype == object or pd.api.types.is_string_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = col.astype(object).map(safe_cell)
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def to_csv(df: pd.DataFrame, path_or_buf=None, **kwargs):
    """``safe_frame(df).to_csv(path_or_buf, **kwargs)`` (``index=False`` unless given); a file
    path is written atomically (:func:`engine.store.workspace.atomic_file`: a kill mid-write
    leaves the previous file or none, never half a table)."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)  # every text cell quoted: \r, \n, commas stay inside
    if isinstance(path_or_buf, (str, os.PathLike)):
        with atomic_file(path_or_buf, "w", encoding=kwargs.pop("encoding", "utf-8"), newline="") as fh:
            return safe_frame(df).to_csv(fh, **kwargs)
    return safe_frame(df).to_csv(path_or_buf, **kwargs)


__all__ = ["safe_cell", "safe_frame", "to_csv", "FORMULA_START"]
