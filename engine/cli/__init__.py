"""``artm-studio`` / ``python -m engine``: the headless face of the engine.

Each command group lives in ``engine/commands/<group>.py`` and exposes
``register(subparsers)``; every command function takes the parsed ``args`` and returns an exit
code. Engine errors become one line on stderr and exit code 2; nothing is half-written.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from engine.errors import EngineError
from engine.store.workspace import Workspace

COMMAND_GROUPS = ("corpus", "model", "app", "seeds", "context", "families", "hierarchy", "sweep")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="artm-studio",
        description="Topic models with additive regularization (ARTM): import corpora, train, inspect.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", default=None,
                        help="workspace folder (default: $ARTM_STUDIO_HOME or ~/.artm-studio)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in COMMAND_GROUPS:
        try:
            module = importlib.import_module(f".{group}", __package__)
        except ModuleNotFoundError as e:
            if e.name and e.name.endswith(f"commands.{group}"):
                continue
            raise
        module.register(sub, common)
    return parser


def workspace_of(args) -> Workspace:
    return Workspace(args.workspace)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EngineError as e:
        print(f"artm-studio {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"artm-studio {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
