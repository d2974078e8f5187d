"""Choosing the text, id and date columns of a table source and building the documents table.

Dates: a year alone (``1997``) is January 1st; numbers above 10^8 are Unix seconds; strings are
ISO dates or timestamps. Dates outside what ``datetime64[ns]`` holds (years 1678-2261) are refused
with the way out (``--no-dates``); one column must use one day/month order (``13/02/2020`` proves
day first, ``02/13/2020`` month first; a column holding both is refused).
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd

from engine.corpus.limits import ReadLimits
from engine.corpus.options import ImportOptions
from engine.corpus.readers import TableSource
from engine.errors import InputError

_ID_NAMES = ("id", "doc_id", "docid", "document_id", "uid", "key", "name", "filename")
_DATE_NAMES = ("date", "datetime", "published", "pub_date", "timestamp", "time", "created_at",
               "created", "year")

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


YEAR_MIN, YEAR_MAX = 1678, 2261  # what datetime64[ns] holds
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})$")
_LEAD_YEAR = re.compile(r"^([+-]?\d{4,})(?:-|$)")


def _out_of_range(path, column: str, value, explicit: bool) -> InputError:
    how = "--no-dates" if not explicit else "another --date-column or --no-dates"
    return InputError(f"{path}: date column {column!r}: {str(value)[:40]!r} is outside the years "
                      f"{YEAR_MIN}-{YEAR_MAX} that dates can hold; fix the value or pass {how}")


def _day_month(strs: list, present: list, path, column: str, notes: list) -> dict:
    """ISO dates for values written ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (also with ``.`` or ``-``),
    with one order for the whole column; ``{row: "yyyy-mm-dd"}``."""
    found = {}
    for i, (x, p) in enumerate(zip(strs, present)):
        m = _DMY.match(x) if p else None
        if m:
            found[i] = (int(m.group(1)), int(m.group(3)), m.group(4), x)
    if not found:
        return {}
    day_first = [v[3] for v in found.values() if v[0] > 12]
    month_first = [v[3] for v in found.values() if v[1] > 12]
    if day_first and month_first:
        raise InputError(f"{path}: date column {column!r} mixes day/month orders ({day_first[0]!r} is "
                         f"day first, {month_first[0]!r} is month first); write the dates as YYYY-MM-DD "
                         "or pass --no-dates")
    dayfirst = bool(day_first)
    if not day_first and not month_first:
        notes.append(f"date column {column!r}: day/month order cannot be told (no value above 12); read as "
                     "month/day - write YYYY-MM-DD to be sure")
    out = {}
    for i, (a, b, y, _) in found.items():
        d, m = (a, b) if dayfirst else (b, a)
        year = int(y) + (2000 if int(y) < 70 else 1900) if len(y) == 2 else int(y)
        out[i] = f"{year:04d}-{m:02d}-{d:02d}"
    return out


def parse_dates(values: pd.Series, column: str, path, explicit: bool, notes: list) -> pd.Series | None:
    """Dates of a column as ``datetime64[ns]`` (NaT where missing or unparseable).

    A year alone (``1997`` or ``"1997"``) is January 1st of that year; numbers above 10^8 are
    Unix seconds; strings are ISO dates or timestamps (time zones converted to UTC) or
    ``dd/mm/yyyy`` / ``mm/dd/yyyy`` with one order per column. InputError for a year outside
    1678-2261 or a column mixing day/month orders.
    """
    s = pd.Series(values).reset_index(drop=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    present = s.notna() & (s.astype(str).str.strip() != "")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = pd.to_numeric(s, errors="coerce").astype("float64")
        year = present & num.between(1000, 9999) & (num == np.floor(num))
        unix = present & (num > 1e8)
        bad = (year & ~num.between(YEAR_MIN, YEAR_MAX)) | (unix & (num >= 9.2e9))
        if bad.any():
            raise _out_of_range(path, column, s[bad].iloc[0], explicit)
        out[year] = pd.to_datetime(num[year].astype("int64").astype(str), format="%Y").astype("datetime64[ns]")
        out[unix] = pd.to_datetime(num[unix], unit="s").astype("datetime64[ns]")
    elif pd.api.types.is_datetime64_any_dtype(s):
        d = pd.to_datetime(s)
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_convert("UTC").dt.tz_localize(None)
        out = d.astype("datetime64[ns]")
    else:
        strs = [str(x).strip() if p else "" for x, p in zip(s.tolist(), present.tolist())]
        for x in strs:
            m = _LEAD_YEAR.match(x)
            if m and not YEAR_MIN <= int(m.group(1)) <= YEAR_MAX:
                raise _out_of_range(path, column, x, explicit)
        dmy = _day_month(strs, present.tolist(), path, column, notes)
        for i, iso in dmy.items():
            strs[i] = iso
        year = pd.Series([bool(re.fullmatch(r"\d{4}", x)) for x in strs], index=s.index)
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


def _documents_frame(src: TableSource, options: ImportOptions, path, notes: list,
                     limits: ReadLimits | None = None) -> tuple[pd.DataFrame, dict]:
    """The documents table (id, text, date?, metadata) and the columns chosen; InputError for a
    document longer than ``limits.max_doc_bytes`` characters."""
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
    if not options.dates:
        date_col = None
    else:
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
    if limits is not None and len(texts):
        lengths = texts.map(len)
        k = int(lengths.to_numpy().argmax())
        if lengths.iat[k] > limits.max_doc_bytes:
            raise limits.too_big(f"{path}: document {ids.iat[k]!r}", lengths.iat[k], per_doc=True)
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


