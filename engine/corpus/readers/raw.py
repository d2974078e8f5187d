"""Bounded reading of a user's file: regular files only, gzip decompressed as a stream with a cap.

Nothing here reads more than the limit it is given (:class:`engine.corpus.limits.ReadLimits`):
a plain file larger than the limit is refused from its size before reading; a gzip stream is
decompressed chunk by chunk (1 MiB of input, at most 1 MiB of output per step) and refused as
soon as the output passes the limit, so a 4.5 GB expansion costs at most the limit plus a chunk.
"""
from __future__ import annotations

import hashlib
import os
import stat
import zlib
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


def read_input(path: Path, limits: ReadLimits) -> tuple[bytes, str]:
    """(bytes of ``path``, gunzipped if gzip-compressed; SHA-256 of the file as stored).

    Raises InputError for non-regular files, unreadable files, broken gzip streams and inputs over
    ``limits.max_total_bytes`` (decompressed).
    """
    path = Path(path)
    st = check_regular(path)
    h = hashlib.sha256()
    with _open(path) as fh:
        try:
            head = fh.read(2)
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
        h.update(head)
        if head == GZIP_MAGIC:
            return bytes(_gunzip_stream(fh, head, path, limits, h)), h.hexdigest()
        if st.st_size > limits.max_total_bytes:
            raise limits.too_big(f"{path} ({fmt_bytes(st.st_size)})")
        try:
            rest = fh.read(limits.max_total_bytes + 1 - len(head))
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
        if len(head) + len(rest) > limits.max_total_bytes:  # grew while we read
            raise limits.too_big(str(path))
        h.update(rest)
        return head + rest, h.hexdigest()


def _gunzip_stream(fh, head: bytes, path: Path, limits: ReadLimits, h) -> bytearray:
    """Decompress every gzip member of ``fh`` (after ``head`` was read) with a cap on the output."""
    out = bytearray()
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    buf = head
    in_member = True
    while True:
        if not buf:
            try:
                buf = fh.read(CHUNK)
            except OSError as e:
                raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
            if not buf:
                break
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
        out += piece
        if len(out) > limits.max_total_bytes:
            raise limits.too_big(f"{path} (gzip)")
        buf = d.unconsumed_tail
        if d.eof:
            buf = d.unused_data
            in_member = False
    if in_member:
        raise InputError(f"{path}: broken gzip file (truncated: the stream ends early); re-download it")
    return out


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


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
