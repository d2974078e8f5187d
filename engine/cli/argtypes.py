"""argparse types that refuse nonsense at parse time, with one-line messages: negative counts,
``--top -1``, ``--min-length -3``, fractions outside [0, 1], ``inf``/``nan``, ``1e400``, and
numbers too large for any flag (whole numbers beyond ``MAX_WHOLE``, reals beyond ``MAX_REAL``).

:func:`harden` applies the same rules to every flag of every command registered with a plain
``int`` or ``float`` type (families add commands of their own): no numeric flag accepts
``1e400``, ``nan`` or 10³⁰."""
from __future__ import annotations

import argparse
import math

#: largest whole number any flag accepts (counts, passes, sizes, seeds, ports, levels)
MAX_WHOLE = 1_000_000_000
#: largest magnitude of a real-valued flag (τ, λ, fractions, sizes in MB)
MAX_REAL = 1e15


def _int(value: str) -> int:
    try:
        n = int(str(value).strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if abs(n) > MAX_WHOLE:
        raise argparse.ArgumentTypeError(f"{str(value)[:30]!r} is too large (at most {MAX_WHOLE:,})")
    return n


def _float(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(f):
        raise argparse.ArgumentTypeError(f"{value!r} is not a finite number")
    if abs(f) > MAX_REAL:
        raise argparse.ArgumentTypeError(f"{str(value)[:30]!r} is too large (at most {MAX_REAL:g} in magnitude)")
    return f


def whole(value: str) -> int:
    """A whole number of magnitude at most ``MAX_WHOLE``."""
    return _int(value)


def real(value: str) -> float:
    """A finite number of magnitude at most ``MAX_REAL``."""
    return _float(value)


def bounded_int(low: int, high: int):
    """An argparse type: a whole number in [low, high]."""
    def parse(value: str) -> int:
        n = _int(value)
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got {n:,}")
        return n
    parse.__name__ = f"int_{low}_{high}"
    return parse


def harden(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every flag of ``parser`` and its sub-commands typed plain ``int``/``float`` the
    bounded :func:`whole`/:func:`real` instead; returns ``parser``."""
    for action in parser._actions:  # argparse has no public walk over actions
        if action.type is int:
            action.type = whole
        elif action.type is float:
            action.type = real
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                harden(sub)
    return parser


def positive_int(value: str) -> int:
    """A whole number ≥ 1."""
    n = _int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def nonneg_int(value: str) -> int:
    """A whole number ≥ 0."""
    n = _int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def positive_float(value: str) -> float:
    """A finite number > 0."""
    f = _float(value)
    if not f > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return f


def fraction(value: str) -> float:
    """A finite number in [0, 1]."""
    f = _float(value)
    if not 0 <= f <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return f


__all__ = ["positive_int", "nonneg_int", "positive_float", "fraction", "whole", "real", "bounded_int", "harden",
           "MAX_WHOLE", "MAX_REAL"]
