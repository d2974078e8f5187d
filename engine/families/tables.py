"""Reading a user's side table (an edge list, a dictionary) given to a model family."""
from __future__ import annotations

import hashlib
import os
import re
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


def store_user_file(workspace, folder: str, data: bytes, name: str) -> Path:
    """Write ``data`` (an uploaded side table named ``name``) to
    ``<workspace>/<folder>/<sha256[:12]>-<name>`` — content addressed, so a run's config names
    a file that never changes — atomically (temporary file, then rename); returns its path."""
    target = Path(workspace.root) / folder
    target.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._\-]+", "-", Path(name).name).strip("-.") or "table.csv"
    dest = target / f"{hashlib.sha256(data).hexdigest()[:12]}-{safe}"
    if not dest.exists():
        tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    return dest
