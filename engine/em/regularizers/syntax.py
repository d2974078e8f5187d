"""The CLI mini-syntax ``SmoothSparsePhi(tau=-0.5, topics=subject, start=10)``, read by hand
(nothing is evaluated)."""
from __future__ import annotations

import re

from engine.em.regularizers.base import REGULARIZERS, Regularizer, regularizer_from_dict
from engine.em.schedule import Constant, Linear, Piecewise, Step, Trajectory, as_trajectory
from engine.errors import ConfigError
from engine.interop.names import canonical_kind

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BARE = re.compile(r"[^\s,\[\]{}():=\"']+")


class _Reader:
    """A tiny recursive-descent reader of values: numbers, words, 'strings', [lists], {maps}."""

    def __init__(self, text: str):
        self.s, self.i = text, 0

    def _ws(self):
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _peek(self):
        self._ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def _expect(self, ch):
        if self._peek() != ch:
            raise ConfigError(f"regularizer syntax: expected {ch!r} at position {self.i} in {self.s!r}")
        self.i += 1

    def _items(self, close: str, item) -> None:
        """Read ``item()`` separated by commas up to ``close`` (the opening bracket is next)."""
        self.i += 1
        while self._peek() != close:
            item()
            if self._peek() == ",":
                self.i += 1
            elif self._peek() != close:
                self._expect(close)
        self.i += 1

    def value(self):
        ch = self._peek()
        if not ch:
            raise ConfigError(f"regularizer syntax: unexpected end of {self.s!r} (a value is missing)")
        if ch == "[":
            items = []
            self._items("]", lambda: items.append(self.value()))
            return items
        if ch == "{":
            obj = {}

            def pair():
                key = self.value()
                self._expect(":")
                obj[str(key)] = self.value()

            self._items("}", pair)
            return obj
        if ch in "\"'":
            end = self.s.find(ch, self.i + 1)
            if end < 0:
                raise ConfigError(f"regularizer syntax: unterminated string in {self.s!r}")
            out, self.i = self.s[self.i + 1:end], end + 1
            return out
        m = _BARE.match(self.s, self.i)
        if not m:
            raise ConfigError(f"regularizer syntax: unexpected {ch!r} at position {self.i} in {self.s!r}")
        self.i = m.end()
        word = m.group(0)
        if _NUMBER.match(word):
            return float(word) if any(c in word for c in ".eE") else int(word)
        return {"true": True, "false": False, "none": None, "null": None}.get(word.lower(), word)

    def arguments(self) -> dict:
        out = {}
        while self._peek():
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.s, self.i)
            if not m:
                raise ConfigError(f"regularizer syntax: expected name=value at position {self.i} in {self.s!r}")
            self.i = m.end()
            self._expect("=")
            out[m.group(0)] = self.value()
            if self._peek() == ",":
                self.i += 1
            elif self._peek():
                self._expect(",")
        return out


def parse_regularizer(text: str) -> Regularizer:
    """Parse ``Kind(tau=-0.5, topics=subject, start=10, end=30, ramp=5, name=sparse)``.

    ``tau`` is a number (constant); ``start``/``end`` switch it on at iteration ``start`` and off
    at ``end``; ``ramp=k`` grows it linearly from 0 over k iterations after ``start``. Other
    keys are the class parameters (see ``REGULARIZERS[kind].PARAMS``); values are numbers,
    words, quoted strings, ``[lists]`` and ``{topic: [words]}`` maps. Nothing is evaluated.
    """
    m = _CALL.match(text or "")
    if not m:
        raise ConfigError(f"regularizer syntax: expected Kind(name=value, ...), got {text!r}")
    kind, body = canonical_kind(m.group(1)), m.group(2)  # BigARTM's class names too
    lookup = {k.lower(): k for k in REGULARIZERS}
    lookup.update({k.lower() + "regularizer": k for k in REGULARIZERS})
    if kind.lower() not in lookup:
        raise ConfigError(f"unknown regularizer {kind!r}; known: {', '.join(REGULARIZERS)}")
    kind = lookup[kind.lower()]
    args = _Reader(body).arguments()
    tau = args.pop("tau", REGULARIZERS[kind].DEFAULT_TAU)
    start, end, ramp = args.pop("start", None), args.pop("end", None), args.pop("ramp", None)
    args["tau"] = _window(tau, start, end, ramp)
    return regularizer_from_dict({"kind": kind, **args})


def _window(tau, start, end, ramp) -> Trajectory:
    if isinstance(tau, (dict, Trajectory)):
        return as_trajectory(tau)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)):
        raise ConfigError(f"tau must be a number, got {tau!r}")
    tau = float(tau)
    if start is None and end is None and ramp is None:
        return Constant(tau)
    s = 1 if start is None else start
    if ramp is None or ramp == 0:
        return Step(tau, on=s, off=end)
    if isinstance(ramp, bool) or not isinstance(ramp, (int, float)) or ramp < 0:
        raise ConfigError(f"ramp must be a non-negative number of iterations, got {ramp!r}")
    if end is None:
        return Linear(0.0, tau, start=s, end=s + int(ramp))
    if end <= s + ramp:
        raise ConfigError(f"end ({end}) must be after start + ramp ({s + ramp})")
    return Piecewise(((s, 0.0), (s + ramp, tau), (end - 1, tau), (end, 0.0)))
