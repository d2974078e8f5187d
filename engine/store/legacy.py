"""One-time migration of old workspace layouts into run manifests.

Before the run manifest held everything, two families kept settings beside the run folders:
``<workspace>/context/<run_id>.json`` (context options, with an ``estep`` list of E-step
regularizers and ``passes`` for the context passes) and ``<workspace>/seeds/<run_id>.json``
(a seed setup). :func:`migrate_side_files` moves each into its run's manifest config
(``family``, ``options``, E-step regularizers appended to ``regularizers``) and deletes the
side file; side files of runs that no longer exist are deleted too. It runs whenever the
store reads runs and a side folder exists, so an old workspace is migrated on first use.
"""
from __future__ import annotations

from pathlib import Path

from engine.errors import WorkspaceError
from engine.store.workspace import MANIFEST, read_json, write_json_atomic

__all__ = ["SIDE_FOLDERS", "migrate_side_files", "upgrade_config"]

SIDE_FOLDERS = ("context", "seeds")


def upgrade_config(config: dict, context: dict | None = None, seeds: dict | None = None) -> dict:
    """A config dict with old context options (``context``) or an old seed setup (``seeds``)
    moved in: ``family``, ``options`` and the E-step regularizers. Unchanged when the config
    already names a non-standard family."""
    cfg = dict(config or {})
    if cfg.get("family", "standard") != "standard":
        return cfg
    if context is not None:
        opts = dict(context)
        estep = list(opts.pop("estep", None) or [])
        if "passes" in opts:
            opts.setdefault("context_passes", opts.pop("passes"))
        have = {r.get("name") or r.get("kind") for r in cfg.get("regularizers") or []}
        regs = list(cfg.get("regularizers") or [])
        regs += [r for r in estep if (r.get("name") or r.get("kind")) not in have]
        cfg.update(family="context", options=opts, regularizers=regs)
    elif seeds is not None:
        cfg.update(family="seeds", options={"setup": dict(seeds)})
    return cfg


def migrate_side_files(root: Path, runs_dir: Path) -> int:
    """Move every side file under ``root/context`` and ``root/seeds`` into its run manifest;
    returns how many were migrated. Folders left empty are removed."""
    done = 0
    for folder in SIDE_FOLDERS:
        side_dir = Path(root) / folder
        if not side_dir.is_dir():
            continue
        for side in sorted(side_dir.glob("*.json")):
            manifest = Path(runs_dir) / side.stem / MANIFEST
            if manifest.exists():
                try:
                    man = read_json(manifest)
                    data = read_json(side)
                except WorkspaceError:
                    continue  # unreadable: leave both for the user to look at
                kw = {"context": data} if folder == "context" else {"seeds": data}
                man["config"] = upgrade_config(man.get("config") or {}, **kw)
                write_json_atomic(manifest, man)
                done += 1
            side.unlink(missing_ok=True)
        try:
            side_dir.rmdir()
        except OSError:
            pass  # not empty (a file we could not read) — kept
    return done
