"""Table readers: text lines, JSON Lines, a JSON array, CSV/TSV, Parquet — one row per document."""
from __future__ import annotations

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


def read_jsonl(text: str, path: Path, digest: str, limit=None) -> TableSource:
    rows = []
    for i, line in enumerate(iter_lines(text), 1):
        if not line.strip():
            continue
        obj = _json_loads(line, path, str(i))
        if not isinstance(obj, dict):
            raise InputError(f"{path}: line {i}: expected a JSON object per line, got {type(obj).__name__}")
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
    if sep is None:  # the header line decides: prose in the rows fools csv.Sniffer
        header = text.lstrip("\ufeff").split("\n", 1)[0]
        counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
        sep = max(counts, key=counts.get) if max(counts.values()) > 0 else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=limit)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError, OverflowError) as e:
        msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise InputError(f"{path}: not a valid {'TSV' if sep == chr(9) else 'CSV'} file: {msg}") from None
    frame.columns = [str(c) for c in frame.columns]
    return TableSource(frame, "tsv" if sep == "\t" else "csv", digest)


def read_parquet(path: Path, raw: bytes, digest: str, limits: ReadLimits, limit=None) -> TableSource:
    """A Parquet table; its declared uncompressed size is checked against the limit before reading."""
    try:
        pf = pq.ParquetFile(pa.BufferReader(raw))
        meta = pf.metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > limits.max_total_bytes:
            raise limits.too_big(f"{path} (Parquet, {meta.num_rows:,} rows)")
        table = pf.read()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - pyarrow raises many types for broken files
        raise InputError(f"{path}: not a readable Parquet file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if limit:
        table = table.slice(0, limit)
    try:
        frame = table.to_pandas()
    except Exception as e:  # noqa: BLE001 - e.g. out-of-range timestamps, unsupported types
        raise InputError(f"{path}: cannot convert the Parquet table ({str(e).splitlines()[0]})") from None
    frame.columns = [str(c) for c in frame.columns]
    return TableSource(frame, "parquet", digest)
