"""CLI command ``check``: list (and with ``--repair`` fix) what interrupted processes left behind.

Prints one JSON object: ``recovered`` (half-done swaps completed or rolled back, see
:mod:`engine.store.recovery`), ``orphans`` (leftover ``.tmp-*``/``.old-*``/``.del-*`` folders and
run/corpus folders without a manifest, with their sizes) and ``removed``. Exit code 0 when the
workspace is clean (or was repaired), 1 when orphans remain.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from engine.cli.common import workspace_of
from engine.store.recovery import orphans, recover


def register(sub, common) -> None:
    p = sub.add_parser("check", parents=[common], help="find and repair leftovers of interrupted processes",
                       description="List half-done writes and invisible folders in the workspace; with --repair, "
                                   "complete or roll back interrupted swaps and remove leftovers. Prints JSON.")
    p.add_argument("--repair", action="store_true",
                   help="complete/roll back swaps, remove leftovers and folders without a manifest")
    p.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    ws = workspace_of(args, recover_now=False)
    report = {"workspace": str(ws.root), "recovered": recover(ws, dry_run=not args.repair), "removed": []}
    left = orphans(ws) if args.repair else _after_recovery(ws)
    if args.repair:
        for o in left:
            path = Path(o["path"])
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            report["removed"].append(o)
        left = orphans(ws)
    report["orphans"] = left
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 1 if left else 0


def _after_recovery(ws) -> list:
    """Orphans as listed before any repair (recovery would resolve the swap leftovers among them)."""
    return orphans(ws)
