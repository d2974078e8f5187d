"""A table source read in chunks of documents: what the ordinary import holds of the input is one chunk.

:func:`open_chunks` gives a :class:`ChunkedSource` whose :meth:`~ChunkedSource.chunks` yields
DataFrames of about ``chunk_chars`` characters of text each, in document order:

- JSON Lines, CSV/TSV and text with one document per line (plain or ``.gz``) in UTF-8 are read
  twice as byte streams: a scan (SHA-256, the input limit, every line against the per-document
  limit, UTF-8 validity), then a decoding pass that parses rows as they arrive;
- Parquet: row batches (``ParquetFile.iter_batches``), after the declared size is checked;
- a ``.zip`` or a folder of ``.txt`` files: entries read and decoded one by one;
- the rest is read whole by :func:`~engine.corpus.readers.read_source`, within
  ``limits.max_whole_bytes``, and cut into chunks: one text document (≤ the per-document limit),
  a JSON array, 8-bit or UTF-16 text (the encoding is detected on the whole file), a gzipped
  Parquet or zip file.

Bag-of-words inputs (VW, UCI) come back as :class:`~engine.corpus.readers.BagOfWordsSource`.
Errors are those of the whole-file readers (same messages), raised when the chunk holding the
problem is read.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.corpus.limits import ReadLimits
from engine.corpus.readers import archives as A
from engine.corpus.readers import _refuse_big_single_document, read_source
from engine.corpus.readers.bow import BagOfWordsSource
from engine.corpus.readers.detect import detect_format, is_uci_name
from engine.corpus.readers.encoding import check_not_binary
from engine.corpus.readers.raw import GZIP_MAGIC, iter_pieces
from engine.corpus.readers.tables import (
    TableSource, csv_errors, csv_separator, jsonl_rows, parquet_file, parquet_frame,
)
from engine.errors import InputError

#: characters of text per chunk
CHUNK_CHARS = 16_000_000
_HEAD = 65536
_STREAMED = ("jsonl", "csv", "tsv", "text-lines")


@dataclass
class ChunkedSource:
    """Documents of a table source, one chunk (a DataFrame) at a time.

    ``sha256`` and ``notes`` are complete once :meth:`chunks` is exhausted (archives and folders
    are hashed while they are read).
    """

    format: str
    reader: object  # callable(ChunkedSource) -> iterator of DataFrames
    sha256: str = ""
    encoding: str | None = None
    notes: list = field(default_factory=list)

    def chunks(self):
        for frame in self.reader(self):
            if len(frame):
                frame.columns = [str(c) for c in frame.columns]
                yield frame.reset_index(drop=True)


def open_chunks(path, limits: ReadLimits, encoding: str | None = None, one_per_line: bool = False,
                chunk_chars: int | None = None, bow_limit: int | None = None) -> ChunkedSource | BagOfWordsSource:
    """``path`` (a file or folder in any supported format) as a :class:`ChunkedSource`, or a
    :class:`BagOfWordsSource` for VW/UCI; InputError as :func:`read_source` raises it.
    ``chunk_chars`` defaults to :data:`CHUNK_CHARS`; ``bow_limit`` keeps the first documents of an
    input read whole (previews)."""
    path = Path(path)
    chunk_chars = chunk_chars or CHUNK_CHARS
    if not os.path.lexists(path):
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        if detect_format(path) == "uci":
            return read_source(path, limits=limits.whole(), limit=bow_limit)
        return _folder(path, limits, encoding, chunk_chars)
    if is_uci_name(path):
        return read_source(path, limits=limits.whole(), limit=bow_limit)
    _refuse_big_single_document(path, limits, one_per_line)  # before any byte is read, as read_source
    head = _head(path, limits)
    if not head:
        raise InputError(f"{path}: the file is empty")
    fmt = detect_format(path, head)
    if fmt == "text" and one_per_line:
        fmt = "text-lines"
    gz = _is_gzip(path)
    if fmt == "parquet" and not gz:
        return _parquet(path, limits, chunk_chars)
    if fmt == "zip" and not gz:
        return _zip(path, limits, encoding, chunk_chars)
    if fmt in _STREAMED and (encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8"):
        check_not_binary(head, path)
        if head[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            scan = _scan(path, limits)
            if scan.utf8:
                return _lines_source(path, fmt, scan, head, limits, chunk_chars)
    return _whole(path, limits, encoding, one_per_line, chunk_chars, bow_limit)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def _head(path: Path, limits: ReadLimits) -> bytes:
    """The first 64 KiB of the (decompressed) file."""
    out = b""
    pieces = iter_pieces(path, limits)
    for piece in pieces:
        out += piece
        if len(out) >= _HEAD:
            break
    pieces.close()
    return out[:_HEAD]


# --------------------------------------------------------------------------- line formats

@dataclass
class _Scan:
    sha256: str
    size: int
    lines: int
    utf8: bool


def _scan(path: Path, limits: ReadLimits) -> _Scan:
    """One pass over the bytes: SHA-256, size (within the limit), every line within the
    per-document limit (InputError naming the first line over it and its length), UTF-8
    validity, emptiness. Nothing is kept but counters."""
    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    utf8, blank = True, True
    size, line, carry = 0, 1, 0
    cap = limits.max_doc_bytes
    for piece in iter_pieces(path, limits, h):
        size += len(piece)
        if utf8:
            try:
                dec.decode(piece)
            except UnicodeDecodeError:
                utf8 = False
        if blank and not piece.isspace():
            blank = False
        nl = np.flatnonzero(np.frombuffer(piece, np.uint8) == 10)
        if not len(nl):
            carry += len(piece)  # a line over the limit is measured to its end for the message
            continue
        lengths = np.diff(nl, prepend=-1) - 1
        lengths[0] += carry
        over = np.flatnonzero(lengths > cap)
        if len(over):
            k = int(over[0])
            raise limits.too_big(f"{path}: line {line + k}", int(lengths[k]), per_doc=True)
        line += len(nl)
        carry = len(piece) - int(nl[-1]) - 1
    if carry > cap:
        raise limits.too_big(f"{path}: line {line}", carry, per_doc=True)
    if blank:
        raise InputError(f"{path}: the file is empty")
    if utf8:
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return _Scan(h.hexdigest(), size, line, utf8)


def iter_text_lines(path: Path, limits: ReadLimits):
    """Lines of a UTF-8 file (BOM dropped), split at ``\\n`` only with one trailing ``\\r``
    dropped, as :func:`engine.corpus.readers.raw.iter_lines` splits a decoded text."""
    dec = codecs.getincrementaldecoder("utf-8-sig")()
    rest = ""
    for piece in iter_pieces(path, limits):
        parts = (rest + dec.decode(piece)).split("\n")
        rest = parts.pop()
        for ln in parts:
            yield ln[:-1] if ln.endswith("\r") else ln
    rest += dec.decode(b"", final=True)
    if rest:
        yield rest[:-1] if rest.endswith("\r") else rest


class _PieceStream(io.RawIOBase):
    """A readable binary stream over an iterator of byte pieces (for pandas' CSV reader)."""

    def __init__(self, pieces):
        self._pieces = pieces
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            self._buf = next(self._pieces, b"")
            if not self._buf:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _lines_source(path: Path, fmt: str, scan: _Scan, head: bytes, limits: ReadLimits,
                  chunk_chars: int) -> ChunkedSource:
    if fmt in ("csv", "tsv"):
        sep = "\t" if fmt == "tsv" else csv_separator(head.decode("utf-8", errors="replace"))
        rows = max(1, int(chunk_chars * scan.lines / max(scan.size, 1)))

        def reader(src):
            text = io.TextIOWrapper(io.BufferedReader(_PieceStream(iter_pieces(path, limits)), 1 << 20),
                                    encoding="utf-8-sig", newline="")
            with text, csv_errors(path, sep):
                yield from pd.read_csv(text, sep=sep, chunksize=rows)

        return ChunkedSource("tsv" if sep == "\t" else "csv", reader, scan.sha256, "utf-8")

    def reader(src):
        rows, size = [], 0
        if fmt == "jsonl":
            items = ((obj, len(obj) * 16 + sum(len(v) for v in obj.values() if isinstance(v, str)))
                     for obj in jsonl_rows(iter_text_lines(path, limits), path))
        else:
            items = (({"id": str(i), "text": ln}, len(ln))
                     for i, ln in enumerate(iter_text_lines(path, limits), 1) if ln.strip())
        for obj, n in items:
            rows.append(obj)
            size += n
            if size >= chunk_chars:
                yield pd.DataFrame.from_records(rows)
                rows, size = [], 0
        if rows:
            yield pd.DataFrame.from_records(rows)

    return ChunkedSource(fmt, reader, scan.sha256, "utf-8")


# --------------------------------------------------------------------------- Parquet, archives

def _file_sha256(path: Path, limits: ReadLimits) -> str:
    h = hashlib.sha256()
    for _ in iter_pieces(path, limits, h):
        pass
    return h.hexdigest()


def _parquet(path: Path, limits: ReadLimits, chunk_chars: int) -> ChunkedSource:
    digest = _file_sha256(path, limits)
    pf = parquet_file(str(path), path, limits)
    meta = pf.metadata
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    rows = max(1, int(chunk_chars * meta.num_rows / max(size, 1)))

    def reader(src):
        batches = pf.iter_batches(batch_size=rows)
        while (frame := parquet_frame(lambda: next(batches, None), path)) is not None:
            yield frame

    return ChunkedSource("parquet", reader, digest)


def _zip(path: Path, limits: ReadLimits, encoding, chunk_chars: int) -> ChunkedSource:
    digest = _file_sha256(path, limits)
    zf = A.open_zip(str(path), path)
    infos, entries = A.zip_entries(zf, path, limits)
    if not infos:
        raise InputError(f"{path}: contains no .txt files (spreadsheets: save them as CSV)")

    def reader(src):
        with zf:
            yield from A.text_entry_frames(entries, path, encoding, src.notes, chunk_chars)

    return ChunkedSource("zip", reader, digest, encoding)


def _folder(path: Path, limits: ReadLimits, encoding, chunk_chars: int) -> ChunkedSource:
    files = A.folder_files(path)
    if not files:
        raise InputError(f"{path}: contains no .txt files (spreadsheets: save them as CSV)")
    h = hashlib.sha256()

    def reader(src):
        yield from A.text_entry_frames(A.folder_entries(path, files, limits, h), path, encoding, src.notes,
                                       chunk_chars)
        src.sha256 = h.hexdigest()

    return ChunkedSource("text-folder", reader, "", encoding)


# --------------------------------------------------------------------------- read whole

def _whole(path: Path, limits: ReadLimits, encoding, one_per_line: bool, chunk_chars: int, limit=None):
    src = read_source(path, encoding=encoding, one_per_line=one_per_line, limits=limits.whole(), limit=limit)
    if not isinstance(src, TableSource):
        return src

    def reader(chunked):
        frame = src.frame
        src.frame = None  # the chunks below are the only references left
        yield from split_frame(frame, chunk_chars)

    return ChunkedSource(src.format, reader, src.sha256, src.encoding, list(src.notes))


def first_rows(path, limits: ReadLimits, n: int, encoding: str | None = None,
               one_per_line: bool = False) -> TableSource | BagOfWordsSource:
    """The first ``n`` documents of ``path`` (previews) read chunk by chunk: a file of any size
    within ``limits`` is previewed holding about one chunk."""
    src = open_chunks(path, limits, encoding, one_per_line, bow_limit=n)
    if isinstance(src, BagOfWordsSource):
        return src
    frames, rows = [], 0
    for frame in src.chunks():
        frames.append(frame)
        rows += len(frame)
        if rows >= n:
            break
    frame = (pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]).head(n) if frames \
        else pd.DataFrame()
    return TableSource(frame, src.format, src.sha256, src.encoding, list(src.notes))


def split_frame(frame: pd.DataFrame, chunk_chars: int):
    """Row slices of ``frame`` holding about ``chunk_chars`` characters of string cells each."""
    if len(frame) == 0:
        return
    sizes = np.zeros(len(frame), np.int64)
    for c in frame.columns:
        if frame[c].dtype == object:
            sizes += frame[c].map(lambda x: len(x) if isinstance(x, str) else 8).to_numpy(np.int64)
    ends = np.cumsum(sizes)
    lo = 0
    while lo < len(frame):
        hi = int(np.searchsorted(ends, (ends[lo - 1] if lo else 0) + chunk_chars, side="right"))
        hi = max(hi, lo + 1)
        yield frame.iloc[lo:hi].copy()
        lo = hi


__all__ = ["ChunkedSource", "open_chunks", "first_rows", "iter_text_lines", "split_frame", "CHUNK_CHARS"]
