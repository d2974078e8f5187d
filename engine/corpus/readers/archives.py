"""Many documents in one input: a .zip of .txt files or a folder of .txt files (id = path without .txt).

Zip entries are checked before anything is decompressed (encryption, compression method,
declared sizes against the limits, compression ratio against ``max_zip_ratio``) and read as
bounded streams, so an entry whose real size exceeds what its header declares is refused when the
extra bytes arrive, not after. Folder files must be regular files inside the folder: symlinks
leading out of it and devices or pipes are refused by name.
"""
from __future__ import annotations

import hashlib
import io
import lzma
import os
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from engine.corpus.limits import MiB, ReadLimits, fmt_bytes
from engine.corpus.readers.encoding import decode
from engine.corpus.readers.raw import CHUNK, check_regular
from engine.corpus.readers.tables import TableSource
from engine.errors import InputError

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
            zipfile.ZIP_LZMA: "lzma"}
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError,
               RuntimeError, ValueError)


def _text_entries_frame(entries, path: Path, encoding, notes) -> pd.DataFrame:
    frames = list(text_entry_frames(entries, path, encoding, notes))
    if not frames:
        raise InputError(f"{path}: contains no .txt files (spreadsheets: save them as CSV)")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def text_entry_frames(entries, path: Path, encoding, notes, chunk_chars: int | None = None):
    """Frames (id, text) of decoded ``(name, bytes)`` entries, each of about ``chunk_chars``
    characters (all in one frame when None); the per-file encoding notes are capped at the end."""
    ids, texts, size = [], [], 0
    for name, raw in entries:
        if b"\x00" in raw[:65536] and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            raise InputError(f"{path}: {name} looks like a binary file, not text")
        t, _ = decode(raw, Path(path.name) / name, encoding, notes)
        ids.append(name[:-4] if name.lower().endswith(".txt") else name)
        texts.append(t)
        size += len(t)
        if chunk_chars and size >= chunk_chars:
            yield pd.DataFrame({"id": ids, "text": texts})
            ids, texts, size = [], [], 0
    if ids:
        yield pd.DataFrame({"id": ids, "text": texts})
    if len(notes) > 5:
        notes[:] = notes[:3] + [f"... and {len(notes) - 3} more files not in UTF-8"]


def _check_zip_entry(info: zipfile.ZipInfo, path: Path, limits: ReadLimits) -> None:
    name = info.filename
    if info.flag_bits & 0x1:
        raise InputError(f"{path}: {name} is encrypted (password-protected); extract the archive first")
    if info.compress_type not in _METHODS:
        raise InputError(f"{path}: {name} uses compression method {info.compress_type}, which is not "
                         f"supported ({', '.join(_METHODS.values())}); re-create the zip with deflate")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MiB and ratio > limits.max_zip_ratio:
        raise InputError(f"{path}: {name} expands {ratio:,.0f}× ({fmt_bytes(info.compress_size)} → "
                         f"{fmt_bytes(info.file_size)}), which looks like a zip bomb; refused")
    if info.file_size > limits.max_doc_bytes:
        raise limits.too_big(f"{path}: {name}", info.file_size, per_doc=True)


def _read_zip_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int,
                    limits: ReadLimits) -> bytes:
    """The entry's bytes, read in chunks; refused when more arrive than declared or allowed."""
    cap = min(info.file_size, limits.max_doc_bytes, budget)
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                piece = fh.read(min(CHUNK, cap + 1 - len(out)))
                if not piece:
                    break
                out += piece
                if len(out) > cap:
                    break
    except _ZIP_ERRORS as e:
        raise InputError(f"{path}: {info.filename} is damaged ({e}); re-create the zip") from None
    if len(out) > info.file_size:
        raise InputError(f"{path}: {info.filename} holds more data than its header declares "
                         f"({fmt_bytes(info.file_size)}); the zip is damaged or forged")
    if len(out) > budget:
        raise limits.too_big(f"{path} (zip)")
    if len(out) < info.file_size:
        raise InputError(f"{path}: {info.filename} holds less data than its header declares; the zip is damaged")
    return bytes(out)


def zip_entries(zf: zipfile.ZipFile, path: Path, limits: ReadLimits, limit=None):
    """(checked .txt infos of ``zf``, generator of their (name, bytes)), read within ``limits``."""
    try:
        all_infos = zf.infolist()
    except _ZIP_ERRORS as e:
        raise InputError(f"{path}: broken zip file ({e})") from None
    infos = sorted((i for i in all_infos if not i.is_dir() and i.filename.lower().endswith(".txt")
                    and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith(".")),
                   key=lambda i: i.filename)
    if limit:
        infos = infos[:limit]
    for info in infos:
        _check_zip_entry(info, path, limits)
    if sum(i.file_size for i in infos) > limits.max_total_bytes:
        raise limits.too_big(f"{path} (zip, {fmt_bytes(sum(i.file_size for i in infos))} declared)")

    def entries():
        budget = limits.max_total_bytes
        for info in infos:
            data = _read_zip_entry(zf, info, path, budget, limits)
            budget -= len(data)
            yield info.filename, data

    return infos, entries()


def open_zip(source, path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except _ZIP_ERRORS as e:
        raise InputError(f"{path}: broken zip file ({e})") from None


def read_zip(path: Path, raw: bytes, digest: str, limits: ReadLimits, encoding=None, limit=None) -> TableSource:
    """A .zip of .txt files (any folders inside); id = path inside the archive without .txt."""
    _, entries = zip_entries(open_zip(io.BytesIO(raw), path), path, limits, limit)
    notes: list = []
    frame = _text_entries_frame(entries, path, encoding, notes)
    return TableSource(frame, "zip", digest, encoding, notes)


def folder_files(path: Path) -> list[Path]:
    """``.txt`` files under ``path`` (hidden ones skipped), sorted; InputError for a symlink that
    leads outside ``path`` or a ``.txt`` that is not a regular file."""
    root = path.resolve()
    out = []

    def fail(e):
        raise InputError(f"{path}: cannot list {e.filename} ({e.strerror or e})")

    for dirpath, dirnames, filenames in os.walk(path, onerror=fail, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in dirnames:
            p = Path(dirpath) / d
            if p.is_symlink() and not _inside(p, root):
                raise InputError(f"{path}: {p.relative_to(path)} is a link to {os.path.realpath(p)}, outside "
                                 "the folder; copy the files in instead (links out of the folder are not followed)")
        for f in filenames:
            p = Path(dirpath) / f
            if f.startswith(".") or not f.lower().endswith(".txt"):
                continue
            rel = p.relative_to(path)
            if p.is_symlink() and not _inside(p, root):
                raise InputError(f"{path}: {rel} is a link to {os.path.realpath(p)}, outside the folder; "
                                 "copy the file in instead (links out of the folder are not followed)")
            check_regular(p)
            out.append(p)
    return sorted(out)


def _inside(p: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(p)).relative_to(root)
        return True
    except ValueError:
        return False


def folder_entries(path: Path, files: list, limits: ReadLimits, h):
    """(relative name, bytes) of ``files`` under ``path``, within ``limits``; ``h`` is fed both."""
    total = 0
    for p in files:
        rel = p.relative_to(path).as_posix()
        size = p.stat().st_size
        if size > limits.max_doc_bytes:
            raise limits.too_big(f"{path}: {rel}", size, per_doc=True)
        total += size
        if total > limits.max_total_bytes:
            raise limits.too_big(f"{path} (folder)")
        try:
            raw = p.read_bytes()
        except OSError as e:
            raise InputError(f"{path}: cannot read {rel} ({e.strerror or e}); fix its permissions or "
                             "move it out of the folder") from None
        h.update(rel.encode() + b"\x00" + raw)
        yield rel, raw


def read_text_folder(path: Path, limits: ReadLimits, encoding=None, limit=None) -> TableSource:
    files = folder_files(path)
    if limit:
        files = files[:limit]
    h = hashlib.sha256()
    notes: list = []
    frame = _text_entries_frame(folder_entries(path, files, limits, h), path, encoding, notes)
    return TableSource(frame, "text-folder", h.hexdigest(), encoding, notes)
