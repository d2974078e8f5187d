"""Completing or rolling back writes that a killed process left half-done, and finding orphans.

:func:`engine.store.workspace.atomic_dir` writes ``.tmp-<name>-<hex>``, then (when replacing)
renames ``<name>`` to ``.old-<name>-<hex>``, renames the temporary folder to ``<name>`` and
removes the old one. A kill can leave, next to ``<name>``:

=================================  ==========================================================
left behind                        what :func:`recover` does
=================================  ==========================================================
``<name>`` + ``.old-*``            swap done: remove the old copy
``<name>`` + ``.tmp-*``            new copy never swapped in: move back any kept subfolder
                                   (a run's ``checkpoints/``) to ``<name>``, remove the temp
no ``<name>``, complete ``.tmp-*`` swap interrupted: the new copy becomes ``<name>`` (the
                                   newest complete one), old copies are removed
no ``<name>``, ``.old-*`` only     swap interrupted before the new copy was complete:
                                   restore the old copy
``.del-*``                         an interrupted delete: finish it
=================================  ==========================================================

A copy is complete when its ``manifest.json`` (a corpus or run) or ``checkpoint.json`` (a
checkpoint) exists: both are written last. Entries whose lock another process holds
(:mod:`engine.store.locks`) are skipped: that process is still writing them.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from engine.store.locks import LOCKS_DIR, is_locked

_LEFTOVER = re.compile(r"^\.(tmp|old|del)-(.+)-([0-9a-f]{8}|\d+)$")
_MARKERS = ("manifest.json", "checkpoint.json")
KEEP = ("checkpoints",)


def _writing(entry: Path) -> bool:
    """True when another process may be writing ``entry``: its own lock is held or, for a
    checkpoint (``<run>/checkpoints/iter_N``), its run's lock is (checkpoints have no lock of
    their own: the trainer holding the run writes them)."""
    entry = Path(entry)
    return is_locked(entry) or (entry.parent.name == "checkpoints" and is_locked(entry.parent.parent))


def _complete(folder: Path) -> bool:
    return any((folder / m).is_file() for m in _MARKERS)


def _rmtree(p: Path) -> None:
    shutil.rmtree(p, ignore_errors=True)


def leftovers(parent: Path) -> dict[str, dict[str, list[Path]]]:
    """``{name: {"tmp": [...], "old": [...], "del": [...]}}`` of the leftover folders in ``parent``."""
    out: dict = {}
    if not parent.is_dir():
        return out
    for p in parent.iterdir():
        m = _LEFTOVER.match(p.name)
        if m and p.is_dir():
            out.setdefault(m.group(2), {"tmp": [], "old": [], "del": []})[m.group(1)].append(p)
    return out


def recover_folder(parent: Path, dry_run: bool = False) -> list[str]:
    """Resolve the leftovers of ``parent`` (see the module docstring); returns one line per action."""
    actions = []
    parent = Path(parent)
    for name, groups in sorted(leftovers(parent).items()):
        target = parent / name
        if _writing(target):
            continue  # another process is writing this entry right now
        where = f"{parent.name}/{name}"
        for p in groups["del"]:
            actions.append(f"{where}: finished an interrupted delete ({p.name})")
            if not dry_run:
                _rmtree(p)
        tmps = sorted(groups["tmp"], key=lambda p: p.stat().st_mtime, reverse=True)
        olds = sorted(groups["old"], key=lambda p: p.stat().st_mtime, reverse=True)
        if not target.exists():
            new = next((t for t in tmps if _complete(t)), None)
            if new is not None:
                actions.append(f"{where}: completed an interrupted swap (kept the new complete copy {new.name})")
                if not dry_run:
                    _move_kept(olds, new)
                    os.rename(new, target)
                tmps.remove(new)
            elif olds:
                actions.append(f"{where}: rolled back an interrupted swap (restored the previous copy {olds[0].name})")
                if not dry_run:
                    _move_kept(tmps, olds[0])
                    os.rename(olds[0], target)
                olds = olds[1:]
        rest = [(p, "an unfinished copy") for p in tmps] + [(p, "the replaced copy") for p in olds]
        for p, what in rest:
            if target.exists() and not dry_run:
                _move_kept([p], target)
            actions.append(f"{where}: removed {what} {p.name}")
            if not dry_run:
                _rmtree(p)
    return actions


def _move_kept(sources: list[Path], dest: Path) -> None:
    """Move kept subfolders (``checkpoints/``) from ``sources`` into ``dest`` where it lacks them."""
    for src in sources:
        for keep in KEEP:
            if (src / keep).is_dir() and not (dest / keep).exists():
                os.rename(src / keep, dest / keep)


#: top-level workspace folders that hold no entries written by atomic_dir
_NOT_ENTRIES = ("uploads",)


def _folders(ws) -> list[Path]:
    """Every folder of entries: ``corpora``, ``runs``, ``hierarchies`` and any other top-level
    folder of the workspace (families add their own), plus each entry's ``checkpoints/``."""
    out = [ws.corpora_dir, ws.runs_dir]
    root = Path(ws.root)
    if root.is_dir():
        out += [p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")
                and p.name not in _NOT_ENTRIES and p not in out]
    for parent in list(out):
        if parent.is_dir():
            out += [p / "checkpoints" for p in sorted(parent.iterdir())
                    if p.is_dir() and (p / "checkpoints").is_dir()]
    return out


_TMP_FILE = re.compile(r"^\.(.+)\.[0-9a-f]{8}\.tmp$")


def _stray_files(folder: Path) -> list[Path]:
    """Temporary files of :func:`engine.store.workspace.atomic_file` a killed writer left in the
    entries of ``folder`` (``.manifest.json.<hex>.tmp``) or directly in it (a record file such as
    ``hierarchy_builds/<id>.json``, written under its own lock), for entries nobody is writing."""
    out = []
    if not folder.is_dir():
        return out
    for entry in folder.iterdir():
        if entry.is_file() and (m := _TMP_FILE.match(entry.name)) and not _writing(folder / m.group(1)):
            out.append(entry)  # a record file kept directly in the folder (hierarchy_builds/<id>.json)
        if not entry.is_dir() or entry.name.startswith(".") or _writing(entry):
            continue
        out += [f for f in entry.iterdir() if f.is_file() and _TMP_FILE.match(f.name)]
    return out


def recover(ws, dry_run: bool = False) -> list[str]:
    """Complete or roll back every half-done write in workspace ``ws``; returns what was (or, with
    ``dry_run``, would be: lines start with "to do: ") done, one line each."""
    actions = []
    for folder in _folders(ws):
        actions += recover_folder(folder, dry_run)
        for f in _stray_files(folder):
            actions.append(f"{folder.name}/{f.parent.name}: removed an unfinished file {f.name}")
            if not dry_run:
                f.unlink(missing_ok=True)
    if ws.runs_dir.is_dir():  # run folders a killed trainer left before its first checkpoint
        for p in sorted(ws.runs_dir.iterdir()):
            if (p.is_dir() and not p.name.startswith(".") and not (p / "manifest.json").exists()
                    and not _has_checkpoint(p) and not is_locked(p)):
                actions.append(f"runs/{p.name}: removed a run folder with no model and no checkpoint "
                               "(its trainer was killed before the first checkpoint)")
                if not dry_run:
                    _rmtree(p)
    return [f"to do: {a}" for a in actions] if dry_run else actions


def _has_checkpoint(run_dir: Path) -> bool:
    folder = run_dir / "checkpoints"
    return folder.is_dir() and any(re.match(r"^iter_\d+$", c.name) and (c / "checkpoint.json").is_file()
                                   for c in folder.iterdir())


def orphans(ws) -> list[dict]:
    """Folders that no list shows: leftovers of interrupted writes and run folders without a
    manifest. Each: ``{"path", "kind", "bytes", "detail"}``."""
    out = []
    for folder in _folders(ws):
        for name, groups in leftovers(folder).items():
            if _writing(folder / name):
                continue  # being written right now: not an orphan
            for kind, paths in groups.items():
                for p in paths:
                    out.append({"path": str(p), "kind": f"{kind}-folder", "bytes": _size(p),
                                "detail": f"leftover of an interrupted {'delete' if kind == 'del' else 'write'} "
                                          f"of {folder.name}/{name}"})
        out += [{"path": str(f), "kind": "tmp-file", "bytes": f.stat().st_size,
                 "detail": f"unfinished file of an interrupted write in {folder.name}/{f.parent.name}"}
                for f in _stray_files(folder)]
    for parent in _folders(ws):
        if not parent.is_dir() or parent.name == "checkpoints":
            continue
        for p in sorted(parent.iterdir()):
            if (p.is_dir() and not p.name.startswith(".") and not (p / "manifest.json").exists()
                    and p.name != LOCKS_DIR and not is_locked(p)):
                out.append({"path": str(p), "kind": "no-manifest", "bytes": _size(p),
                            "detail": "folder without manifest.json (invisible to every list)"})
    return out


def _size(p: Path) -> int:
    total = 0
    for root, _, files in os.walk(p):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


__all__ = ["recover", "recover_folder", "orphans", "leftovers"]
