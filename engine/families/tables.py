"""Reading a user's side table (an edge list, a dictionary) given to a model family."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.errors import InputError


def read_user_table(path, what: str) -> pd.DataFrame:
    """The CSV (all strings; ``.gz`` inflated) or Parquet file ``path``; InputError naming
    ``what`` and the file when it is missing or unreadable."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} {p} does not exist")
    try:
        return pd.read_parquet(p) if p.suffix.lower() in (".parquet", ".pq") else pd.read_csv(p, dtype=str)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a user input problem
        raise InputError(f"{what} {p.name}: cannot read it as CSV/Parquet: {exc}") from None
