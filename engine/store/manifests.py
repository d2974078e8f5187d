"""Listing saved objects that live in one folder each with a ``manifest.json`` (hierarchies,
sweeps): every readable manifest, optionally of one corpus; unreadable or half-written folders
(``.tmp-*``) are skipped."""
from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import WorkspaceError
from engine.store.workspace import read_json

MANIFEST = "manifest.json"


def read_manifests(root: Path, corpus: str | None = None) -> list[dict]:
    """The manifests under ``root/*/manifest.json`` (those of corpus ``corpus`` when given)."""
    out = []
    if Path(root).is_dir():
        for p in Path(root).iterdir():
            if p.name.startswith(".") or not (p / MANIFEST).exists():
                continue
            try:
                man = read_json(p / MANIFEST)
            except WorkspaceError:
                continue
            if corpus is None or man.get("corpus", {}).get("name") == corpus:
                out.append(man)
    return out


@contextlib.contextmanager
def reading(what: str, missing: str = "is missing"):
    """Inside the block a missing manifest key or an unreadable file becomes one
    ``WorkspaceError("<what> is damaged: …")`` (a WorkspaceError raised inside passes as is)."""
    try:
        yield
    except WorkspaceError:
        raise
    except KeyError as e:
        raise WorkspaceError(f"{what} is damaged: {e.args[0]!r} {missing}") from None
    except (OSError, ValueError) as e:
        raise WorkspaceError(f"{what} is damaged: {e}") from None


def open_manifest(folder: Path, what: str, key: str) -> dict:
    """The manifest of ``folder`` (one saved ``what``); if there is none, a WorkspaceError that
    lists the ids (manifest field ``key``) stored next to it."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        known = ", ".join(sorted(m[key] for m in read_manifests(folder.parent) if key in m)) or "none"
        raise WorkspaceError(f"no {what} {folder.name!r} in {folder.parent.parent} (stored: {known})")
    return read_json(folder / MANIFEST)
