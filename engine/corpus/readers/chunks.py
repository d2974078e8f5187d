"""An input read in chunks of documents: what an import (ordinary or ``--batches``) holds of it is one chunk.

:func:`open_chunks` gives a :class:`ChunkedSource` whose :meth:`~ChunkedSource.chunks` yields
DataFrames of about ``chunk_chars`` characters of text each, in document order (every call reads
the input again: ``import --batches`` makes two passes):

- JSON Lines, CSV/TSV and text with one document per line (plain or ``.gz``) in UTF-8 are read
  twice as byte streams: a scan (SHA-256, the input limit, every line against the per-document
  limit, UTF-8 validity), then a decoding pass that parses rows as they arrive;
- Parquet: row batches (``ParquetFile.iter_batches``), after the declared size is checked;
- a ``.zip`` or a folder of ``.txt`` files: entries read and decoded one by one;
- the rest is read whole by :func:`~engine.corpus.readers.read_source`, within
  ``limits.max_whole_bytes`` (over it: refused naming the format and what to convert it to), and
  cut into chunks: one text document (≤ the per-document limit), a JSON array, 8-bit or UTF-16
  text (the encoding is detected on the whole file), a gzipped Parquet or zip file.

Bag-of-words inputs (VW, UCI) come back as pieces of counts,
:class:`~engine.corpus.readers.bow_chunks.BowChunks`. Errors are those of the whole-file readers
(same messages), raised when the chunk holding the problem is read.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.corpus.limits import ReadLimits, fmt_bytes
from engine.corpus.readers import archives as A
from engine.corpus.readers import _refuse_big_single_document, read_source
from engine.corpus.readers.bow import BagOfWordsSource, uci_paths
from engine.corpus.readers.bow_chunks import BowChunks, one_piece, open_uci_chunks, open_vw_chunks
from engine.corpus.readers.detect import detect_format, is_uci_name
from engine.corpus.readers.encoding import check_not_binary
from engine.corpus.readers.raw import GZIP_MAGIC, LineScan, iter_pieces, iter_text_lines, scan_lines
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
                chunk_chars: int | None = None, bow_limit: int | None = None) -> ChunkedSource | BowChunks:
    """``path`` (a file or folder in any supported format) as a :class:`ChunkedSource`, or a
    :class:`~engine.corpus.readers.bow_chunks.BowChunks` for VW/UCI; InputError as
    :func:`read_source` raises it. ``chunk_chars`` defaults to :data:`CHUNK_CHARS`; ``bow_limit``
    keeps the first documents of a bag of words (previews)."""
    path = Path(path)
    chunk_chars = chunk_chars or CHUNK_CHARS
    if not os.path.lexists(path):
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        if detect_format(path) == "uci":
            return _uci(path, limits, bow_limit)
        return _folder(path, limits, encoding, chunk_chars)
    if is_uci_name(path):
        return _uci(path, limits, bow_limit)
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
    size = None
    why = {"json": "a JSON array", "parquet": "a gzipped Parquet file", "zip": "a gzipped zip archive",
           "text": "one text document"}.get(fmt)
    if fmt in _STREAMED + ("vw",):
        check_not_binary(head, path)
        if (encoding or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8"):
            why = f"text in {encoding}"
        elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            why = "UTF-16 text"
        else:
            scan = scan_lines(path, limits)
            if scan.utf8:
                if fmt == "vw":
                    return open_vw_chunks(path, scan, limits, limit=bow_limit)
                return _lines_source(path, fmt, scan, head, limits, chunk_chars)
            why, size = "8-bit text (not UTF-8; its code page is detected on the whole file)", scan.size
    _check_whole_size(path, limits, why, size)
    return _whole(path, limits, encoding, one_per_line, chunk_chars, bow_limit)


_CONVERT = {"a JSON array": "convert it to JSON Lines (one object per line)",
            "a gzipped Parquet file": "decompress it (gunzip: Parquet is compressed inside already)",
            "a gzipped zip archive": "decompress it (gunzip)",
            "one text document": "split it (--one-per-line, or a folder of .txt files)",
            "a UCI docword file not sorted by document": "sort its count lines by document"}


def _check_whole_size(path: Path, limits: ReadLimits, why: str | None, size: int | None = None) -> None:
    """Refuse an input that has to be read whole (``why``: what it is) when it is over the
    budget of such inputs, naming the format and what to convert it to."""
    whole = limits.whole()
    if why is None or whole.max_total_bytes >= limits.max_total_bytes:
        return
    if size is None:
        size = 0
        for piece in iter_pieces(path, limits):  # counts the decompressed bytes, keeps none
            size += len(piece)
            if size > whole.max_total_bytes:
                break
    if size > whole.max_total_bytes:
        convert = _CONVERT.get(why, "convert it to UTF-8 (e.g. iconv -f CP1251 -t UTF-8)")
        raise InputError(f"{path}: {why} is read whole into memory, and it is more than "
                         f"{fmt_bytes(whole.max_total_bytes)} uncompressed, the limit for inputs read whole "
                         f"(free memory / 24); {convert} to import it in chunks, or raise the limit with "
                         "--max-input-mb")


def _uci(path: Path, limits: ReadLimits, limit: int | None) -> BowChunks:
    """UCI in chunks; one not sorted by document is read whole (same budget check)."""
    def whole():
        docword = uci_paths(path)[0]
        _check_whole_size(docword, limits, "a UCI docword file not sorted by document")
        bag = read_source(path, limits=limits.whole(), limit=limit)
        bag.notes.append(f"{docword.name} is not sorted by document: read whole")
        return bag

    src = open_uci_chunks(path, limits, limit=limit)
    src.whole = whole
    return src


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


def _lines_source(path: Path, fmt: str, scan: LineScan, head: bytes, limits: ReadLimits,
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

    opened = [(zf, entries)]

    def reader(src):  # every pass after the first (import --batches) opens the archive again
        z, ents = opened.pop() if opened else (lambda z: (z, A.zip_entries(z, path, limits)[1]))(A.open_zip(str(path), path))
        with z:
            yield from A.text_entry_frames(ents, path, encoding, src.notes, chunk_chars)

    return ChunkedSource("zip", reader, digest, encoding)


def _folder(path: Path, limits: ReadLimits, encoding, chunk_chars: int) -> ChunkedSource:
    files = A.folder_files(path)
    if not files:
        raise InputError(f"{path}: contains no .txt files (spreadsheets: save them as CSV)")
    def reader(src):
        h = hashlib.sha256()
        yield from A.text_entry_frames(A.folder_entries(path, files, limits, h), path, encoding, src.notes,
                                       chunk_chars)
        src.sha256 = h.hexdigest()

    return ChunkedSource("text-folder", reader, "", encoding)


# --------------------------------------------------------------------------- read whole

def _whole(path: Path, limits: ReadLimits, encoding, one_per_line: bool, chunk_chars: int, limit=None):
    def read():
        return read_source(path, encoding=encoding, one_per_line=one_per_line, limits=limits.whole(), limit=limit)

    src = read()
    if not isinstance(src, TableSource):
        return one_piece(src)
    first = [src.frame]
    src.frame = None

    def reader(chunked):
        frame = first.pop() if first else read().frame  # a second pass (import --batches) reads again
        yield from split_frame(frame, chunk_chars)  # the chunks are the only references left

    return ChunkedSource(src.format, reader, src.sha256, src.encoding, list(src.notes))


def first_rows(path, limits: ReadLimits, n: int, encoding: str | None = None,
               one_per_line: bool = False) -> TableSource | BagOfWordsSource:
    """The first ``n`` documents of ``path`` (previews) read chunk by chunk: a file of any size
    within ``limits`` is previewed holding about one chunk."""
    src = open_chunks(path, limits, encoding, one_per_line, bow_limit=n)
    if isinstance(src, BowChunks):
        return src.to_source()
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
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype):  # pandas 3: "str"
            sizes += frame[c].map(lambda x: len(x) if isinstance(x, str) else 8).to_numpy(np.int64)
    ends = np.cumsum(sizes)
    lo = 0
    while lo < len(frame):
        hi = int(np.searchsorted(ends, (ends[lo - 1] if lo else 0) + chunk_chars, side="right"))
        hi = max(hi, lo + 1)
        yield frame.iloc[lo:hi].copy()
        lo = hi


__all__ = ["ChunkedSource", "open_chunks", "first_rows", "iter_text_lines", "split_frame", "CHUNK_CHARS"]
