"""``artm-studio`` / ``python -m engine``: the headless face of the engine.

Each command group lives in ``engine/cli/<group>.py`` and exposes
``register(subparsers)``; every command function takes the parsed ``args`` and returns an exit
code. Engine errors become one line on stderr and exit code 2; nothing is half-written.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from engine.errors import EngineError
from engine.cli.argtypes import harden
from engine.cli.common import workspace_of  # noqa: F401 - kept importable from engine.cli

COMMAND_GROUPS = ("corpus", "model", "runs", "report", "app", "seeds", "context", "families", "hierarchy", "sweep", "check")


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (``artm-studio train: error: ...; see --help``), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(str(message).split())}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
            if e.name == f"{__package__}.{group}":  # a group not installed (optional)
                continue
            raise
        module.register(sub, common)
    return harden(parser)  # no numeric flag of any command takes 1e400, nan or 10^30


def _sigterm(signum, frame):
    """SIGTERM behaves like Ctrl-C: the running command stops, saves what it has, exits 130."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        return int(args.func(args) or 0)
    except EngineError as e:
        msg = " ".join(str(e).split())  # one line, whatever the input echoed
        if len(msg) > 600:
            msg = msg[:400] + " … " + msg[-150:]
        print(f"artm-studio {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except OverflowError:
        print(f"artm-studio {args.command}: error: a number is out of range (e.g. 1e400 or inf where a count "
              "is expected)", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"artm-studio {args.command}: error: input nested too deeply (JSON or brackets more than "
              "~1,000 levels deep)", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"artm-studio {args.command}: error: not enough memory for this command; use a smaller input "
              "or fewer topics", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"artm-studio {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
