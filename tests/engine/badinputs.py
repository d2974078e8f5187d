"""Builders of hostile input files for the bad-input catalogue (tests/engine/test_bad_inputs.py).

Each builder takes a folder and returns the path to import. Bombs are built small in bytes but
large once expanded; forged zips are made by patching the headers of a real zip.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

GOOD_TEXT = ("Cats chase mice in the old barn. Dogs chase cats around the garden. "
             "Mice eat grain and cats sleep. ")
RU = ("Москва столица России. В Москве много улиц, парков и музеев. Летом в парках гуляют люди, "
      "а зимой дети катаются на санках. Ещё здесь есть метро и старые церкви.")


def write(path: Path, data) -> Path:
    """Write ``data`` (str or bytes) to ``path``; returns ``path``."""
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def good_rows(n=6, **extra):
    return [{"id": f"d{i}", "text": f"{GOOD_TEXT} number{i % 3}", **{k: v[i % len(v)] for k, v in extra.items()}}
            for i in range(n)]


# --------------------------------------------------------------------------- compression

def gzip_bomb(d: Path, mb: int = 64) -> Path:
    """A .jsonl.gz whose single line expands to ``mb`` MiB: one 16 MiB gzip member of "a a a ..."
    repeated (a valid multi-member gzip, built without holding the expansion in memory)."""
    p = d / "bomb.jsonl.gz"
    chunk = min(mb, 16)
    member = gzip.compress(b"a " * (chunk << 19), compresslevel=9)
    with open(p, "wb") as fh:
        fh.write(gzip.compress(b'{"id": "x", "text": "'))
        for _ in range(max(mb // chunk, 1)):
            fh.write(member)
        fh.write(gzip.compress(b'"}\n'))
    return p


def corrupt_gzip(d: Path) -> Path:
    p = d / "corrupt.jsonl.gz"
    raw = bytearray(gzip.compress(json.dumps({"id": "a", "text": GOOD_TEXT * 50}).encode() + b"\n"))
    for i in range(20, 40):
        raw[i] ^= 0xA5
    p.write_bytes(bytes(raw))
    return p


def truncated_gzip(d: Path) -> Path:
    p = d / "truncated.txt.gz"
    raw = gzip.compress((GOOD_TEXT * 200).encode())
    p.write_bytes(raw[: len(raw) // 2])
    return p


def gzip_trailing_garbage(d: Path) -> Path:
    p = d / "garbage.txt.gz"
    p.write_bytes(gzip.compress(GOOD_TEXT.encode()) + b"this is not gzip")
    return p


def _zip(entries, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def zip_bomb(d: Path, mb: int = 300) -> Path:
    """A ~0.3 MB zip holding one ``mb`` MiB text (the issue's 1 MB → 300 MB case)."""
    p = d / "bomb.zip"
    p.write_bytes(_zip([("big.txt", b"a " * (mb << 19))]))
    return p


def zip_stored(d: Path, mb: int = 8) -> Path:
    """A zip storing (not compressing) one ``mb`` MiB text."""
    p = d / "stored.zip"
    p.write_bytes(_zip([("big.txt", b"a " * (mb << 19))], zipfile.ZIP_STORED))
    return p


def _patch_headers(raw: bytes, fn) -> bytes:
    """Apply ``fn(buf, offset, kind)`` to every local ('L') and central ('C') header of a zip."""
    buf = bytearray(raw)
    i = 0
    while True:
        j = buf.find(b"PK\x03\x04", i)
        if j < 0:
            break
        fn(buf, j, "L")
        i = j + 4
    i = 0
    while True:
        j = buf.find(b"PK\x01\x02", i)
        if j < 0:
            break
        fn(buf, j, "C")
        i = j + 4
    return bytes(buf)


def zip_lying_size(d: Path) -> Path:
    """Headers declare 10 bytes; the entry inflates to 2 MiB."""
    def fn(buf, j, kind):
        off = j + (22 if kind == "L" else 24)  # uncompressed size field
        struct.pack_into("<I", buf, off, 10)
    p = d / "lying.zip"
    p.write_bytes(_patch_headers(_zip([("a.txt", b"word " * (2 << 18))]), fn))
    return p


def zip_bad_crc(d: Path) -> Path:
    def fn(buf, j, kind):
        off = j + (14 if kind == "L" else 16)  # CRC-32 field
        struct.pack_into("<I", buf, off, 0xDEADBEEF)
    p = d / "badcrc.zip"
    p.write_bytes(_patch_headers(_zip([("a.txt", GOOD_TEXT.encode()), ("b.txt", GOOD_TEXT.encode())]), fn))
    return p


def zip_encrypted(d: Path) -> Path:
    def fn(buf, j, kind):
        off = j + (6 if kind == "L" else 8)  # general purpose flags
        struct.pack_into("<H", buf, off, struct.unpack_from("<H", buf, off)[0] | 0x1)
    p = d / "encrypted.zip"
    p.write_bytes(_patch_headers(_zip([("a.txt", GOOD_TEXT.encode())]), fn))
    return p


def zip_unknown_method(d: Path) -> Path:
    def fn(buf, j, kind):
        off = j + (8 if kind == "L" else 10)  # compression method
        struct.pack_into("<H", buf, off, 99)
    p = d / "method99.zip"
    p.write_bytes(_patch_headers(_zip([("a.txt", GOOD_TEXT.encode())]), fn))
    return p


def zip_truncated(d: Path) -> Path:
    raw = _zip([("a.txt", GOOD_TEXT.encode() * 100), ("b.txt", GOOD_TEXT.encode() * 100)])
    p = d / "truncated.zip"
    p.write_bytes(raw[: len(raw) - 30])
    return p


def zip_corrupt_data(d: Path) -> Path:
    raw = bytearray(_zip([("a.txt", (GOOD_TEXT * 100).encode())]))
    for i in range(45, 70):
        raw[i] ^= 0x5A
    p = d / "corruptdata.zip"
    p.write_bytes(bytes(raw))
    return p


def named_zip_not_zip(d: Path) -> Path:
    p = d / "notzip.zip"
    p.write_text("plain text, not an archive\n")
    return p


# --------------------------------------------------------------------------- UCI

def uci(d: Path, header=(2, 3, 3), lines=("1 1 2", "1 2 1", "2 3 4"), vocab=("cat", "dog", "mouse")) -> Path:
    (d / "vocab.t.txt").write_text("".join(v + "\n" for v in vocab), encoding="utf-8")
    p = d / "docword.t.txt"
    p.write_text("\n".join(str(h) for h in header) + "\n" + "".join(ln + "\n" for ln in lines))
    return p


# --------------------------------------------------------------------------- encodings

def mixed_encoding(d: Path) -> Path:
    p = d / "mixed.txt"
    p.write_bytes(("Первая строка в UTF-8 про Москву и парки\n" * 5).encode("utf-8")
                  + ("Вторая строка в cp1251 про Москву и музеи\n" * 5).encode("cp1251"))
    return p


def encoded(d: Path, enc: str) -> Path:
    p = d / f"ru_{enc}.txt"
    p.write_bytes("\n".join([RU] * 3).encode(enc))
    return p


# --------------------------------------------------------------------------- special files

def fifo(d: Path) -> Path:
    p = d / "pipe.txt"
    os.mkfifo(p)
    return p


def folder_with_link_out(d: Path) -> Path:
    f = d / "docs"
    f.mkdir()
    (f / "a.txt").write_text(GOOD_TEXT)
    (f / "b.txt").write_text(GOOD_TEXT + " more")
    os.symlink("/etc/hostname" if os.path.exists("/etc/hostname") else "/etc/passwd", f / "secret.txt")
    return f


def folder_with_fifo(d: Path) -> Path:
    f = d / "docs2"
    f.mkdir()
    (f / "a.txt").write_text(GOOD_TEXT)
    os.mkfifo(f / "stuck.txt")
    return f


def folder_with_device(d: Path) -> Path:
    f = d / "docs3"
    f.mkdir()
    (f / "a.txt").write_text(GOOD_TEXT)
    os.symlink("/dev/zero", f / "zero.txt")
    return f


def deep_json(d: Path, depth: int = 3000) -> Path:
    p = d / "deep.jsonl"
    p.write_text('{"id": "a", "text": ' + "[" * depth + "]" * depth + "}\n")
    return p


def deep_json_array(d: Path, depth: int = 100000) -> Path:
    p = d / "deep.json"
    p.write_text("[" * depth + "]" * depth)
    return p


def crc32(data: bytes) -> int:
    return zlib.crc32(data)
