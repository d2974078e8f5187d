"""Table readers: text lines, JSON Lines, a JSON array, CSV/TSV, Parquet — one row per document."""
from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.corpus.limits import ReadLimits
from engine.corpus.readers.raw import iter_lines
from engine.errors import InputError


@dataclass
class TableSource:
    """One row per document (text formats)."""

    frame: pd.DataFrame
    format: str
    sha256: str
    encoding: str | None = None
    notes: list = field(default_factory=list)


def read_text_lines(text: str, path: Path, digest: str, limit=None) -> TableSource:
    """One document per non-blank line; id = line number."""
    ids, texts = [], []
    for i, line in enumerate(iter_lines(text), 1):
        if line.strip():
            ids.append(str(i))
            texts.append(line)
            if limit and len(ids) >= limit:
                break
    return TableSource(pd.DataFrame({"id": ids, "text": texts}), "text-lines", digest)


def _json_loads(text: str, path: Path, where: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        line = e.lineno if where == "" else where
        raise InputError(f"{path}: line {line}: not valid JSON ({e.msg})") from None
    except RecursionError:
        raise InputError(f"{path}: {'line ' + str(where) + ': ' if where else ''}JSON nested too deeply "
                         "(more than ~1,000 levels); a document is a flat object") from None


def jsonl_rows(lines, path: Path):
    """The objects of JSON Lines ``lines`` (blank lines skipped); InputError naming the line."""
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj = _json_loads(line, path, str(i))
        if not isinstance(obj, dict):
            raise InputError(f"{path}: line {i}: expected a JSON object per line, got {type(obj).__name__}")
        yield obj


def read_jsonl(text: str, path: Path, digest: str, limit=None) -> TableSource:
    rows = []
    for obj in jsonl_rows(iter_lines(text), path):
        rows.append(obj)
        if limit and len(rows) >= limit:
            break
    return TableSource(pd.DataFrame.from_records(rows), "jsonl", digest)


def read_json_array(text: str, path: Path, digest: str, limit=None) -> TableSource:
    obj = _json_loads(text, path, "")
    if isinstance(obj, dict):
        obj = [obj]
    if not isinstance(obj, list) or not all(isinstance(o, dict) for o in obj):
        raise InputError(f"{path}: expected a JSON array of objects (one per document)")
    return TableSource(pd.DataFrame.from_records(obj[:limit] if limit else obj), "json", digest)


def read_csv(text: str, path: Path, digest: str, sep: str | None = None, limit=None) -> TableSource:
    sep = sep or csv_separator(text)
    with csv_errors(path, sep):
        frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=limit)
    frame.columns = [str(c) for c in frame.columns]
    return TableSource(frame, "tsv" if sep == "\t" else "csv", digest)


def csv_separator(text: str) -> str:
    """The delimiter of a CSV file from its header line: prose in the rows fools csv.Sniffer."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if max(counts.values()) > 0 else ","


@contextlib.contextmanager
def csv_errors(path: Path, sep: str):
    """pandas' CSV parser errors as one InputError naming the file."""
    try:
        yield
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError, OverflowError) as e:
        msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise InputError(f"{path}: not a valid {'TSV' if sep == chr(9) else 'CSV'} file: {msg}") from None


def parquet_file(source, path: Path, limits: ReadLimits) -> pq.ParquetFile:
    """An open ParquetFile whose declared uncompressed size is within ``limits`` (InputError else)."""
    try:
        pf = pq.ParquetFile(source)
        meta = pf.metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as e:  # noqa: BLE001 - pyarrow raises many types for broken files
        raise InputError(f"{path}: not a readable Parquet file ({_first_line(e)})") from None
    if size > limits.max_total_bytes:
        raise limits.too_big(f"{path} (Parquet, {meta.num_rows:,} rows)")
    return pf


def parquet_frame(read, path: Path) -> pd.DataFrame | None:
    """``read()`` (a pyarrow Table or RecordBatch; None at the end) as a DataFrame with str
    column names."""
    try:
        table = read()
    except Exception as e:  # noqa: BLE001 - pyarrow raises many types for broken files
        raise InputError(f"{path}: not a readable Parquet file ({_first_line(e)})") from None
    if table is None:
        return None
    try:
        frame = table.to_pandas()
    except Exception as e:  # noqa: BLE001 - e.g. out-of-range timestamps, unsupported types
        raise InputError(f"{path}: cannot convert the Parquet table ({_first_line(e)})") from None
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def read_parquet(path: Path, raw: bytes, digest: str, limits: ReadLimits, limit=None) -> TableSource:
    """A Parquet table; its declared uncompressed size is checked against the limit before reading."""
    pf = parquet_file(pa.BufferReader(raw), path, limits)
    frame = parquet_frame(lambda: pf.read() if not limit else pf.read().slice(0, limit), path)
    return TableSource(frame, "parquet", digest)
