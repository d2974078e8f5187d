"""Bag-of-words inputs read in chunks: UCI ``docword`` and Vowpal Wabbit, piece by piece.

:func:`open_uci_chunks` and :func:`open_vw_chunks` give a :class:`BowChunks` whose
:meth:`~BowChunks.pieces` yields ``(ids, n_dw piece)`` in document order, each piece a CSR
matrix of about ``chunk_bytes`` bytes of input (float32 counts, sorted int32 indices, duplicates
summed in float64 as :func:`~engine.corpus.readers.bow.counts_csr` does). Stacked, the pieces
are exactly the matrix the whole-file readers (:func:`~engine.corpus.readers.bow.read_uci`,
:func:`~engine.corpus.readers.bow.read_vw`) build, with the same messages for bad input:

- UCI: the docword file is scanned once (SHA-256, decompressed size: the header is checked
  against it before anything is parsed), then parsed a block of whole lines at a time with
  pyarrow's CSV reader (the whitespace-tolerant pandas parser of the whole reader for a block
  pyarrow refuses, which also names the bad line). Lines are sorted by document in UCI files,
  so a document's lines are kept back until the next document starts; a file that is not
  sorted raises :class:`NotSorted` before anything is returned, and the caller reads it whole.
- VW: UTF-8 files only (others are read whole, the encoding detected on the whole text); lines
  are parsed one by one (:class:`~engine.corpus.readers.bow.VWLines`), the vocabulary grows in
  order of first appearance.

Memory: one block of input, its triples and one piece, plus the vocabulary and the document ids.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import scipy.sparse as sp

from engine.corpus.limits import ReadLimits
from engine.corpus.readers.bow import (
    BagOfWordsSource, VWLines, _uci_body, counts_csr, uci_meta, uci_paths, uci_rows,
)
from engine.corpus.readers.encoding import check_not_binary
from engine.corpus.readers.raw import LineScan, iter_pieces, iter_text_lines
from engine.errors import InputError

#: bytes of input per piece
CHUNK_BYTES = 8 << 20
_HEAD = 65536
_PARSE = pacsv.ParseOptions(delimiter=" ", quote_char=False, ignore_empty_lines=True)
_CONVERT = pacsv.ConvertOptions(column_types={c: pa.float64() for c in "dwc"}, null_values=[],
                                strings_can_be_null=False, quoted_strings_can_be_null=False)


class NotSorted(Exception):
    """A UCI docword file whose lines are not sorted by document (read it whole instead)."""


@dataclass
class BowChunks:
    """Counts of a bag-of-words input, one piece of documents at a time.

    ``reader(self)`` yields (ids, csr piece); ``toks``/``mods`` (term id → token, modality) are
    complete once the pieces are exhausted (VW grows them as it reads; a piece has as many
    columns as there were terms when it was made).
    """

    format: str
    sha256: str
    reader: object
    toks: list = field(default_factory=list)
    mods: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    whole: object = None  # callable() -> BagOfWordsSource, the whole-file reader (a UCI file not sorted)
    nnz_hint: int = 0  # nonzeros expected (UCI header), for preallocation

    def pieces(self):
        """(ids, n_dw piece) in document order; :class:`NotSorted` for a UCI file that is not
        sorted by document (use :meth:`read_whole`)."""
        yield from self.reader(self)

    def read_whole(self) -> "BowChunks":
        """The input read whole by ``whole``, as one piece."""
        return one_piece(self.whole())

    def vocab(self) -> pd.DataFrame:
        return pd.DataFrame({"token": self.toks, "modality": self.mods})

    def to_source(self) -> BagOfWordsSource:
        """All pieces stacked: the :class:`BagOfWordsSource` the whole-file reader gives."""
        try:
            return self._stacked()
        except NotSorted:
            if self.whole is None:
                raise
            return self.whole()

    def _stacked(self) -> BagOfWordsSource:
        """Pieces copied into the final arrays as they come: with ``nnz_hint`` (UCI's NNZ) the
        arrays are allocated once and the peak is the output plus one piece; else (VW) the pieces
        are concatenated at the end."""
        ids, ptrs, parts = [], [np.zeros(1, np.int64)], []
        cap = self.nnz_hint or 0
        indices, data = np.empty(cap, np.int32), np.empty(cap, np.float32)
        nnz = 0
        for piece_ids, m in self.pieces():
            ids.extend(piece_ids)
            ptrs.append(m.indptr[1:].astype(np.int64) + nnz)
            if nnz + m.nnz <= cap:
                indices[nnz:nnz + m.nnz], data[nnz:nnz + m.nnz] = m.indices, m.data
            else:
                parts.append((m.indices, m.data))
            nnz += m.nnz
        if parts:  # no hint, or more counts than it said (then the NNZ check has refused the file)
            indices = np.concatenate([indices[:min(cap, nnz)]] + [p[0] for p in parts])
            data = np.concatenate([data[:min(cap, nnz)]] + [p[1] for p in parts])
        ptr = np.concatenate(ptrs)
        del ptrs, parts
        ptr = ptr.astype(np.int32) if nnz < 2 ** 31 - 1 else ptr
        n_dw = sp.csr_matrix((data[:nnz], indices[:nnz], ptr), shape=(len(ids), len(self.toks)))
        return BagOfWordsSource(ids, self.vocab(), n_dw, self.format, self.sha256, list(self.notes))


def one_piece(bag: BagOfWordsSource) -> BowChunks:
    """A bag of words read whole (8-bit or UTF-16 VW, a UCI file not sorted) as one piece."""
    src = BowChunks(bag.format, bag.sha256, lambda src: iter([(bag.ids, bag.n_dw)]),
                    bag.vocab["token"].tolist(), bag.vocab["modality"].tolist(), list(bag.notes))
    src.whole = lambda: bag
    return src


# --------------------------------------------------------------------------- UCI

def _scan_bytes(path: Path, limits: ReadLimits) -> tuple[bytes, int, bool, str]:
    """(first 64 KiB, decompressed size, all whitespace?, SHA-256 of the file as stored)."""
    h = hashlib.sha256()
    head, size, blank = b"", 0, True
    for piece in iter_pieces(path, limits, h):
        if len(head) < _HEAD:
            head += piece[:_HEAD - len(head)]
        if blank and not piece.isspace():
            blank = False
        size += len(piece)
    return head, size, blank, h.hexdigest()


def _blocks(path: Path, limits: ReadLimits, skip: int, chunk_bytes: int):
    """(block of whole lines, file line number of its first line) after the first ``skip`` bytes."""
    buf = bytearray()
    line = 4
    for piece in iter_pieces(path, limits):
        if skip:
            cut = min(skip, len(piece))
            piece, skip = piece[cut:], skip - cut
        buf += piece
        while len(buf) >= chunk_bytes:
            end = (buf.rfind(b"\n", 0, chunk_bytes) + 1) or (buf.rfind(b"\n") + 1)
            if not end:
                break  # a line longer than a block: read on
            block = bytes(buf[:end])
            del buf[:end]
            yield block, line
            line += block.count(b"\n")
    if buf:
        yield bytes(buf), line


def _parse_block(block: bytes, docword: Path, first_line: int) -> np.ndarray:
    """(n, 3) float64 of a block of count lines: pyarrow's CSV reader for single-space lines,
    the whole reader's whitespace-tolerant parser (and its messages) for anything else."""
    try:
        t = pacsv.read_csv(pa.py_buffer(block), read_options=pacsv.ReadOptions(column_names=list("dwc"),
                                                                               use_threads=False),
                           parse_options=_PARSE, convert_options=_CONVERT)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _uci_body(block, docword, first_line)
    return np.column_stack([t.column(i).to_numpy() for i in range(3)]) if t.num_rows else np.zeros((0, 3))


def open_uci_chunks(path, limits: ReadLimits, chunk_bytes: int | None = None, limit: int | None = None) -> BowChunks:
    """UCI ``docword.NAME.txt`` (+ ``vocab``, ``docids``) as a :class:`BowChunks`; raises
    :class:`NotSorted` (from :meth:`~BowChunks.pieces`) for a file not sorted by document.
    ``limit`` keeps the first documents (previews; the NNZ count is then not checked)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    docword, vocab_path, name = uci_paths(Path(path))
    head, size, blank, h1 = _scan_bytes(docword, limits)
    if blank:
        raise InputError(f"{docword}: the file is empty")
    check_not_binary(head, docword)
    meta, start = uci_meta(docword, vocab_path, name, head, size, limits)
    caps = [x for x in (limit, None if meta.ids is None else len(meta.ids)) if x]
    stop = min(caps) if caps else None  # documents made at most

    def piece(lo: int, hi: int, d, w, c):
        ids = meta.ids[lo:hi] if meta.ids is not None else [str(i + 1) for i in range(lo, hi)]
        return ids, counts_csr(d - lo, meta.codes[w], c, hi - lo, len(meta.toks))

    def reader(src):
        done = rows = 0  # documents [0, done) are out; count lines read
        held = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))  # the last document's lines
        for block, first in _blocks(docword, limits, start, chunk_bytes):
            arr = _parse_block(block, docword, first)
            rows += len(arr)
            d, w, c = uci_rows(arr, meta, block, first)
            if len(d) and (np.any(d[1:] < d[:-1]) or (len(held[0]) and d[0] < held[0][0])):
                raise NotSorted(str(docword))
            d, w, c = (np.concatenate(pair) for pair in zip(held, (d, w, c)))
            if not len(d):
                continue
            last = int(d[-1])
            cut = int(np.searchsorted(d, last))
            held = (d[cut:], w[cut:], c[cut:])
            hi = last if stop is None else min(last, stop)
            if hi > done:
                k = int(np.searchsorted(d, hi))
                yield piece(done, hi, d[:k], w[:k], c[:k])
                done = hi
            if limit and done >= stop:
                return  # a preview: the first documents only
        if rows != meta.nnz:
            raise InputError(f"{docword}: UCI header says NNZ={meta.nnz} but the file has {rows} count lines")
        d, w, c = held
        # without docids, documents after the last one with counts would be dropped as empty: never made
        end = len(meta.ids) if meta.ids is not None else (int(d[-1]) + 1 if len(d) else done)
        end = max(min(end, stop) if stop is not None else end, done)
        if end > done:
            keep = d < end
            yield piece(done, end, d[keep], w[keep], c[keep])

    return BowChunks("uci", f"{h1}:{meta.vocab_sha256}", reader, meta.toks, meta.mods, list(meta.notes),
                     nnz_hint=meta.nnz)


# --------------------------------------------------------------------------- Vowpal Wabbit

def open_vw_chunks(path: Path, scan: LineScan, limits: ReadLimits, chunk_bytes: int | None = None,
                   limit: int | None = None) -> BowChunks:
    """A UTF-8 Vowpal Wabbit file (already scanned: ``scan``) as a :class:`BowChunks`."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES

    def reader(src):
        vw = VWLines(path)
        src.toks, src.mods = vw.toks, vw.mods
        doc, term, count = [], [], []
        size = lo = 0

        def piece():
            ids, vw.ids = vw.ids, []
            return ids, counts_csr(np.asarray(doc, np.int64) - lo, term, count, len(ids), len(vw.toks))

        for lineno, line in enumerate(iter_text_lines(path, limits), 1):
            if not vw.add(line, lineno, doc, term, count):
                continue
            size += len(line)
            full = bool(limit) and vw.n_docs >= limit
            if size >= chunk_bytes or full:
                yield piece()
                doc, term, count = [], [], []
                size, lo = 0, vw.n_docs
                if full:
                    return
        if vw.ids:
            yield piece()

    return BowChunks("vw", scan.sha256, reader)


__all__ = ["BowChunks", "NotSorted", "one_piece", "open_uci_chunks", "open_vw_chunks", "CHUNK_BYTES"]
