"""argparse types that refuse nonsense at parse time, with one-line messages: negative counts,
``--top -1``, ``--min-length -3``, fractions outside [0, 1], ``inf``/``nan``, ``1e400``."""
from __future__ import annotations

import argparse
import math


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None


def _float(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(f):
        raise argparse.ArgumentTypeError(f"{value!r} is not a finite number")
    return f


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


__all__ = ["positive_int", "nonneg_int", "positive_float", "fraction"]
