"""File readers: from a user's file (or folder) to a table of documents or a bag of words.

Every reader names the file (and the line, where there is one) in the :class:`InputError` it
raises, and reads within :class:`~engine.corpus.limits.ReadLimits` (bytes in total and per
document, sized from the free memory): non-regular files are refused, gzip is decompressed as a
bounded stream, zip entries are checked before they are inflated.

- plain text: ``.txt`` (one document, or one per line), ``.zip`` or a folder of ``.txt`` files
  (file name = document id) — :mod:`.archives`;
- tables: CSV/TSV, JSON Lines (or a JSON array of objects), Parquet; gzip-compressed too — :mod:`.tables`;
- bag of words: Vowpal Wabbit as BigARTM reads it and UCI ``docword.X.txt`` + ``vocab.X.txt`` — :mod:`.bow`.

:func:`read_source` reads a whole input (previews of the in-memory pipeline, the reference of the
tests); both imports (ordinary and ``--batches``) read it chunk by chunk with
:func:`.chunks.open_chunks` (same checks and messages, one chunk of documents held at a time;
UCI and VW as pieces of counts, :mod:`.bow_chunks`).

Encodings (:mod:`.encoding`): UTF-8, UTF-16 with BOM, or a detected 8-bit code page; mixed files
are refused with the line where the encoding changes.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from engine.corpus.limits import ReadLimits, default_limits
from engine.corpus.readers.archives import read_text_folder, read_zip
from engine.corpus.readers.bow import BagOfWordsSource, read_uci, read_vw
from engine.corpus.readers.detect import BOW_FORMATS, TEXT_FORMATS, detect_format, is_uci_name
from engine.corpus.readers.encoding import check_not_binary, check_not_empty, decode, guess_8bit_encoding
from engine.corpus.readers.raw import GZIP_MAGIC, check_line_lengths, check_regular, read_input, sha256_of
from engine.corpus.readers.tables import (
    TableSource, read_csv, read_json_array, read_jsonl, read_parquet, read_text_lines,
)
from engine.errors import InputError

__all__ = ["read_source", "detect_format", "TableSource", "BagOfWordsSource", "TEXT_FORMATS", "BOW_FORMATS",
           "decode", "guess_8bit_encoding", "read_input", "sha256_of"]


def read_source(path, encoding: str | None = None, one_per_line: bool = False,
                limit: int | None = None, limits: ReadLimits | None = None) -> TableSource | BagOfWordsSource:
    """Read ``path`` in whatever supported format it is in.

    Parameters
    ----------
    limit : int, optional
        Read at most this many documents (previews).
    limits : ReadLimits, optional
        Byte limits; default :func:`~engine.corpus.limits.default_limits` (from free memory).
    """
    path = Path(path)
    limits = limits or default_limits()
    if not os.path.lexists(path):
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        if detect_format(path) == "uci":
            return read_uci(path, limits, limit=limit)
        return read_text_folder(path, limits, encoding, limit)
    if is_uci_name(path):
        return read_uci(path, limits, limit=limit)
    _refuse_big_single_document(path, limits, one_per_line)
    raw, digest = read_input(path, limits)
    check_not_empty(raw, path)
    fmt = detect_format(path, raw)
    if fmt == "parquet":
        return read_parquet(path, raw, digest, limits, limit)
    if fmt == "zip":
        return read_zip(path, raw, digest, limits, encoding, limit)
    check_not_binary(raw, path)
    if fmt == "text" and not one_per_line:
        if len(raw) > limits.max_doc_bytes:
            raise limits.too_big(f"{path} (one document)", len(raw), per_doc=True)
    elif fmt != "json":
        check_line_lengths(raw, path, limits)
    notes: list = []
    text, used = decode(raw, path, encoding, notes)
    del raw
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    if fmt == "vw":
        src = read_vw(text, path, digest, limit)
    elif fmt in ("csv", "tsv"):
        src = read_csv(text, path, digest, "\t" if fmt == "tsv" else None, limit)
    elif fmt == "jsonl":
        src = read_jsonl(text, path, digest, limit)
    elif fmt == "json":
        src = read_json_array(text, path, digest, limit)
    elif one_per_line:
        src = read_text_lines(text, path, digest, limit)
    else:
        src = TableSource(pd.DataFrame({"id": [_stem(path)], "text": [text]}), "text", digest)
    if isinstance(src, TableSource):
        src.encoding = used
    src.notes[:0] = notes
    return src


def _refuse_big_single_document(path: Path, limits: ReadLimits, one_per_line: bool) -> None:
    """A plain (not compressed) file read as one document is refused from its size, unread."""
    st = check_regular(path)
    if one_per_line or st.st_size <= limits.max_doc_bytes:
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    if head[:2] != GZIP_MAGIC and detect_format(path, head) == "text":
        raise limits.too_big(f"{path} (one document)", st.st_size, per_doc=True)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt", ".text"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name
