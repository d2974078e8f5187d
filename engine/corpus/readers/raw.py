"""Bounded reading of a user's file: regular files only, gzip decompressed as a stream with a cap.

Nothing here reads more than the limit it is given (:class:`engine.corpus.limits.ReadLimits`):
a plain file larger than the limit is refused from its size before reading; a gzip stream is
decompressed chunk by chunk (1 MiB of input, at most 1 MiB of output per step), first only
counting, so a 4.5 GB expansion is refused holding one chunk, then into a buffer of exact size.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.corpus.limits import ReadLimits, fmt_bytes
from engine.errors import InputError

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


def check_regular(path: Path) -> os.stat_result:
    """``os.stat(path)`` if ``path`` is a regular file (symlinks followed), else InputError:
    devices (``/dev/zero``), pipes and sockets have no end and no size."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a folder")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise InputError(f"{path}: is {kind}, not a regular file; save the data to a file first")
    return st


def _open(path: Path):
    try:
        return open(path, "rb")
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None


def read_input(path: Path, limits: ReadLimits) -> tuple[bytes | bytearray, str]:
    """(bytes of ``path``, gunzipped if gzip-compressed; SHA-256 of the file as stored).

    A gzip file is decompressed twice: first only counting the output (chunk by chunk, nothing
    kept), so a bomb is refused with memory of one chunk; then into a buffer of the exact size.
    Raises InputError for non-regular files, unreadable files, broken gzip streams and inputs over
    ``limits.max_total_bytes`` (decompressed).
    """
    path = Path(path)
    st = check_regular(path)
    h = hashlib.sha256()
    with _open(path) as fh:
        try:
            head = fh.read(2)
            if head == GZIP_MAGIC:
                fh.seek(0)
                size = _gunzip_stream(fh, path, limits, h, None)
                fh.seek(0)
                out = bytearray(size)
                _gunzip_stream(fh, path, limits, None, memoryview(out))
                return out, h.hexdigest()
            if st.st_size > limits.max_total_bytes:
                raise limits.too_big(f"{path} ({fmt_bytes(st.st_size)})")
            fh.seek(0)
            data = fh.read(limits.max_total_bytes + 1)
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    if len(data) > limits.max_total_bytes:  # grew while we read
        raise limits.too_big(str(path))
    h.update(data)
    return data, h.hexdigest()


def _gunzip_stream(fh, path: Path, limits: ReadLimits, h, out: memoryview | None) -> int:
    """Decompress every gzip member of ``fh``: count the bytes (``out`` None) or write them into
    ``out``. Returns the decompressed size; InputError when broken or over the limit."""
    n = 0
    for piece in gunzip_pieces(fh, path, limits, h):
        if out is not None:
            out[n:n + len(piece)] = piece
        n += len(piece)
    return n


def gunzip_pieces(fh, path: Path, limits: ReadLimits, h=None):
    """Yield the decompressed bytes of every gzip member of ``fh`` in pieces of at most
    ``CHUNK`` bytes; InputError when broken or over ``limits.max_total_bytes``."""
    n = 0
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    buf = b""
    in_member = True
    while True:
        if not buf:
            buf = fh.read(CHUNK)
            if not buf:
                break
            if h is not None:
                h.update(buf)
        if not in_member:
            buf = buf.lstrip(b"\x00")  # zero padding between/after members, as gzip allows
            if not buf:
                continue
            if len(buf) >= 2 and buf[:2] != GZIP_MAGIC:
                raise InputError(f"{path}: broken gzip file (unexpected data after the end of the stream)")
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            in_member = True
        try:
            piece = d.decompress(buf, CHUNK)
        except zlib.error as e:
            raise InputError(f"{path}: broken gzip file ({e}); re-download or re-compress it") from None
        if n + len(piece) > limits.max_total_bytes:
            raise limits.too_big(f"{path} (gzip)")
        n += len(piece)
        if piece:
            yield piece
        buf = d.unconsumed_tail
        if d.eof:
            buf = d.unused_data
            in_member = False
    if in_member:
        raise InputError(f"{path}: broken gzip file (truncated: the stream ends early); re-download it")


def iter_pieces(path: Path, limits: ReadLimits, h=None):
    """Yield the bytes of ``path`` (gunzipped if gzip-compressed) in pieces of at most ``CHUNK``
    bytes, refusing as :func:`read_input` does (non-regular files, over the limit, broken gzip);
    ``h`` (a hashlib object) is fed the file's bytes as stored."""
    path = Path(path)
    st = check_regular(path)
    with _open(path) as fh:
        try:
            head = fh.read(2)
            fh.seek(0)
            if head == GZIP_MAGIC:
                yield from gunzip_pieces(fh, path, limits, h)
                return
            if st.st_size > limits.max_total_bytes:
                raise limits.too_big(f"{path} ({fmt_bytes(st.st_size)})")
            n = 0
            while piece := fh.read(CHUNK):
                n += len(piece)
                if n > limits.max_total_bytes:  # grew while we read
                    raise limits.too_big(str(path))
                if h is not None:
                    h.update(piece)
                yield piece
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror or e})") from None


def longest_line(raw: bytes) -> tuple[int, int]:
    """(length in bytes, 1-based line number) of the longest line of ``raw``."""
    if not raw:
        return 0, 1
    a = np.frombuffer(raw, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    bounds = np.empty(len(nl) + 2, np.int64)
    bounds[0] = -1
    bounds[1:-1] = nl
    bounds[-1] = len(raw)
    lens = np.diff(bounds) - 1
    k = int(np.argmax(lens))
    return int(lens[k]), k + 1


def check_line_lengths(raw: bytes, path: Path, limits: ReadLimits) -> None:
    """Refuse a file whose longest line (one document in line-based formats) is over the per-document limit."""
    if len(raw) <= limits.max_doc_bytes:
        return
    n, line = longest_line(raw)
    if n > limits.max_doc_bytes:
        raise limits.too_big(f"{path}: line {line}", n, per_doc=True)


def iter_lines(text: str):
    """The lines of ``text`` split at ``\n`` only (a trailing ``\r`` dropped), lazily.

    Not :meth:`str.splitlines`: that also splits at U+2028/U+2029, U+0085, form feeds and
    ``\x1c``-``\x1e``, which are legal inside a JSON string or a line of text, so a valid JSON
    Lines file would break mid-string and line numbers would disagree with an editor's.
    """
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            end = n
        yield text[start:end - 1] if end > start and text[end - 1] == "\r" else text[start:end]
        start = end + 1


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------- line files read twice

@dataclass
class LineScan:
    sha256: str
    size: int
    lines: int
    utf8: bool


def scan_lines(path: Path, limits: ReadLimits) -> LineScan:
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
    return LineScan(h.hexdigest(), size, line, utf8)


def iter_text_lines(path: Path, limits: ReadLimits):
    """Lines of a UTF-8 file (BOM dropped), split at ``\\n`` only with one trailing ``\\r``
    dropped, as :func:`iter_lines` splits a decoded text."""
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
