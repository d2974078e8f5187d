"""τ trajectories: a regularizer coefficient as a function of the EM iteration, as plain data.

Iterations are numbered from 1 (the first pass). Every trajectory is a frozen dataclass with
``__call__(iteration) -> float``, ``values(n)`` (τ at iterations 1..n), ``to_dict()`` and
:func:`trajectory_from_dict`. Invalid values raise :class:`~engine.errors.ConfigError` naming the
field. The "all regularizers off for the last k iterations" switch lives in
``ModelConfig.regularizers_off_last``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import ClassVar

from engine.errors import ConfigError
from engine.options import build, split_kind

#: |τ| above this is rejected (the kernels work in float32)
MAX_TAU = 1e30


def _num(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{field} must be a number, got {value!r}") from None
    value = float(value)
    if not math.isfinite(value) or abs(value) > MAX_TAU:
        raise ConfigError(f"{field} must be a finite number with |{field}| ≤ {MAX_TAU:g}, got {value!r}")
    return value


def _iter(value, field: str, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ConfigError(f"{field} must be an integer iteration, got {value!r}")
    if value < 1:
        raise ConfigError(f"{field} must be ≥ 1 (iterations count from 1), got {value!r}")
    return int(value)


class Trajectory:
    """Base class: τ(iteration) as data."""

    kind: ClassVar[str] = ""

    def __call__(self, iteration: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def values(self, n: int) -> list[float]:
        """τ at iterations 1..n."""
        return [self(i) for i in range(1, int(n) + 1)]

    def to_dict(self) -> dict:
        d = asdict(self)
        if "points" in d:
            d["points"] = [list(p) for p in d["points"]]
        return {"kind": self.kind, **d}

    def scaled(self, factor: float) -> "Trajectory":
        """The same shape with every τ multiplied by ``factor`` (used by presets)."""
        return _scale(self, factor)


@dataclass(frozen=True)
class Constant(Trajectory):
    """τ(i) = value."""

    value: float = 0.0
    kind: ClassVar[str] = "constant"

    def __post_init__(self):
        object.__setattr__(self, "value", _num(self.value, "value"))

    def __call__(self, iteration: int) -> float:
        return self.value


@dataclass(frozen=True)
class _Ramp(Trajectory):
    """τ = ``a`` up to iteration ``start``, ``b`` from ``end`` on, ``between(f)`` in between
    with f = (i − start)/(end − start) ∈ (0, 1)."""

    a: float = 0.0
    b: float = 0.0
    start: int = 1
    end: int = 10

    def __post_init__(self):
        for name in ("a", "b"):
            object.__setattr__(self, name, _num(getattr(self, name), name))
        for name in ("start", "end"):
            object.__setattr__(self, name, _iter(getattr(self, name), name))
        self._check_ends()
        if self.end < self.start:
            raise ConfigError(f"end ({self.end}) must be ≥ start ({self.start})")

    def _check_ends(self) -> None:
        """Extra conditions on a and b (none for a linear ramp)."""

    def between(self, f: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, iteration: int) -> float:
        if iteration <= self.start:
            return self.a
        if iteration >= self.end:
            return self.b
        return self.between((iteration - self.start) / (self.end - self.start))


@dataclass(frozen=True)
class Linear(_Ramp):
    """τ goes linearly from ``a`` (at iteration ``start`` and before) to ``b`` (at ``end`` and after)."""

    kind: ClassVar[str] = "linear"

    def between(self, f: float) -> float:
        return self.a + f * (self.b - self.a)


@dataclass(frozen=True)
class Exponential(_Ramp):
    """Geometric ramp: τ = a before ``start``, b after ``end``, a·(b/a)^f in between
    (f = (i − start)/(end − start)). ``a`` and ``b`` must be non-zero and of the same sign.
    """

    a: float = -0.01
    b: float = -1.0
    kind: ClassVar[str] = "exponential"

    def _check_ends(self) -> None:
        if self.a == 0 or self.b == 0 or (self.a > 0) != (self.b > 0):
            raise ConfigError(f"a and b must be non-zero and of the same sign, got a={self.a}, b={self.b}")

    def between(self, f: float) -> float:
        return self.a * (self.b / self.a) ** f


@dataclass(frozen=True)
class Step(Trajectory):
    """τ = value for on ≤ i < off (``off=None``: until the end), 0 otherwise."""

    value: float = 0.0
    on: int = 1
    off: int | None = None
    kind: ClassVar[str] = "step"

    def __post_init__(self):
        object.__setattr__(self, "value", _num(self.value, "value"))
        object.__setattr__(self, "on", _iter(self.on, "on"))
        object.__setattr__(self, "off", _iter(self.off, "off", allow_none=True))
        if self.off is not None and self.off <= self.on:
            raise ConfigError(f"off ({self.off}) must be > on ({self.on})")

    def __call__(self, iteration: int) -> float:
        if iteration < self.on or (self.off is not None and iteration >= self.off):
            return 0.0
        return self.value


@dataclass(frozen=True)
class Piecewise(Trajectory):
    """Piecewise-linear through ``points`` ((iteration, τ), iterations increasing); constant
    before the first and after the last point."""

    points: tuple = ((1, 0.0),)
    kind: ClassVar[str] = "piecewise"

    def __post_init__(self):
        pts = self.points
        if not isinstance(pts, (list, tuple)) or len(pts) == 0:
            raise ConfigError("points must be a non-empty list of [iteration, tau] pairs")
        clean = []
        for j, p in enumerate(pts):
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise ConfigError(f"points[{j}] must be an [iteration, tau] pair, got {p!r}")
            it = _num(p[0], f"points[{j}].iteration")
            if it < 1:
                raise ConfigError(f"points[{j}].iteration must be ≥ 1, got {p[0]!r}")
            clean.append((it, _num(p[1], f"points[{j}].tau")))
        for j in range(1, len(clean)):
            if clean[j][0] <= clean[j - 1][0]:
                raise ConfigError(f"points must have increasing iterations (points[{j}])")
        object.__setattr__(self, "points", tuple(clean))

    def __call__(self, iteration: int) -> float:
        pts = self.points
        if iteration <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if iteration <= x1:
                return y0 + (iteration - x0) / (x1 - x0) * (y1 - y0)
        return pts[-1][1]


TRAJECTORIES = {c.kind: c for c in (Constant, Linear, Exponential, Step, Piecewise)}


def _scale(traj: Trajectory, factor: float) -> Trajectory:
    d = traj.to_dict()
    for key in ("value", "a", "b"):
        if key in d:
            d[key] = d[key] * factor
    if "points" in d:
        d["points"] = [[x, y * factor] for x, y in d["points"]]
    return trajectory_from_dict(d)


def trajectory_from_dict(data) -> Trajectory:
    """Build a trajectory from ``to_dict()`` output; a bare number means :class:`Constant`."""
    if isinstance(data, Trajectory):
        return data
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return Constant(float(data))
    cls, args = split_kind(data, TRAJECTORIES, "tau (a number or a trajectory)", "tau.kind")
    return build(cls, args, f"{cls.kind} trajectory", word="field")


def as_trajectory(value) -> Trajectory:
    """A number, a dict or a trajectory → trajectory."""
    return trajectory_from_dict(value)
