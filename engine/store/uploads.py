"""Files uploaded through the dashboard: safe names, one folder per session, removed when used.

Layout: ``<workspace>/uploads/<session>/<content hash>/<sanitized file name>``. A file name from
a browser is reduced to its last path component (``/`` and ``\\`` both separate), control
characters and anything but letters, digits, ``.``, ``_``, ``-``, space are replaced, and names
that are empty, ``.``/``..``, hidden or Windows device names become ``upload<ext>``; the
resolved target must lie inside the session's folder. A session's folder is removed after a
successful import (:func:`remove_upload`) and folders untouched for ``max_age_hours`` are
removed as abandoned (:func:`clean_abandoned`).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

from engine.errors import InputError

UPLOADS = "uploads"
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.I)


def safe_upload_name(name: str) -> str:
    """A file name safe to create inside an uploads folder (see the module docstring)."""
    base = PureWindowsPath(PurePosixPath(str(name or "")).name).name
    base = "".join(ch if (ch.isalnum() or ch in "._- ") and ch.isprintable() else "_" for ch in base).strip(" .")
    if not base or base.startswith(".") or _RESERVED.match(base) or set(base) <= {".", "_"}:
        ext = "".join(PurePosixPath(base).suffixes[-2:]) if base else ""
        base = "upload" + (ext if re.fullmatch(r"(\.[A-Za-z0-9]{1,8}){1,2}", ext or "") else "")
    if len(base) > 150:  # keep the extension
        ext = "." + base.rsplit(".", 1)[1][:8] if "." in base else ""
        base = base[:150 - len(ext)] + ext
    return base


def session_folder(root, session: str) -> Path:
    """``<root>/uploads/<session>``; ``session`` must be a plain token (8-64 letters/digits/_/-)."""
    if not isinstance(session, str) or not _SESSION_RE.match(session):
        raise InputError("invalid upload session")
    return Path(root) / UPLOADS / session


def save_uploads(root, session: str, files) -> Path:
    """Write ``files`` (pairs of name, bytes) into a fresh folder of ``session``; returns the path
    to import (the ``docword.*`` file of a UCI pair, else the first file)."""
    files = [(safe_upload_name(n), bytes(data)) for n, data in files]
    if not files:
        raise InputError("no file uploaded")
    h = hashlib.sha256()
    for n, data in files:
        h.update(n.encode() + b"\0" + hashlib.sha256(data).digest())
    folder = session_folder(root, session) / h.hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    inside = folder.resolve()
    seen = set()
    for n, data in files:
        if n in seen:
            raise InputError(f"two uploaded files are named {n!r}")
        seen.add(n)
        target = folder / n
        if target.resolve().parent != inside:
            raise InputError(f"upload name {n!r} leads outside the upload folder")
        if not target.exists():
            target.write_bytes(data)
    now = time.time()
    for p in (folder, folder.parent):  # "last used": abandoned folders are found by this time
        os.utime(p, (now, now))
    names = [n for n, _ in files]
    docword = [n for n in names if n.startswith("docword.")]
    return folder / (docword[0] if docword else names[0])


def remove_upload(root, path) -> bool:
    """Remove the upload folder holding ``path`` (after its import); True if removed."""
    path = Path(path)
    base = (Path(root) / UPLOADS).resolve()
    folder = path.parent.resolve()
    try:
        rel = folder.relative_to(base)
    except ValueError:
        return False
    if len(rel.parts) != 2:  # <session>/<hash>
        return False
    shutil.rmtree(folder, ignore_errors=True)
    session = folder.parent
    if session.is_dir() and not any(session.iterdir()):
        session.rmdir()
    return True


def clean_abandoned(root, max_age_hours: float = 24.0) -> int:
    """Remove session folders not written for ``max_age_hours``; returns how many."""
    base = Path(root) / UPLOADS
    if not base.is_dir():
        return 0
    cutoff = time.time() - max_age_hours * 3600
    n = 0
    for p in base.iterdir():
        try:
            if p.is_dir() and p.stat().st_mtime < cutoff:
                shutil.rmtree(p, ignore_errors=True)
                n += 1
        except OSError:
            continue
    return n


__all__ = ["safe_upload_name", "session_folder", "save_uploads", "remove_upload", "clean_abandoned", "UPLOADS"]
