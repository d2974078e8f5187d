"""Settings read from JSON dicts: the one place that refuses unknown keys and checks numbers.

Import options, τ trajectories, regularizers and every family's options are frozen dataclasses
built from a dict (a run manifest, a config file, a page). :func:`build` is their common
``from_dict``: keys that are not fields raise one :class:`~engine.errors.ConfigError` naming them
and the known ones. :class:`Options` is the base of a model family's options (recipe step 1 in
engine/README.md). This module sits at the bottom of the layers with ``errors``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, fields
from typing import ClassVar

from engine.errors import ConfigError


def field_names(cls) -> list[str]:
    """Names of the (non-ClassVar) fields of dataclass ``cls``, in declaration order."""
    return [f.name for f in fields(cls)]


def refuse_unknown(keys, allowed, what: str, word: str = "option", error=ConfigError) -> None:
    """Raise ``error`` (``"<what>: unknown <word>(s) a, b; known: …"``) if any of ``keys`` is
    not in ``allowed``."""
    bad = set(keys) - set(allowed)
    if bad:
        raise error(f"{what}: unknown {word}(s) {', '.join(sorted(map(str, bad)))}; "
                    f"known: {', '.join(allowed)}")


def build(cls, data: dict, what: str, word: str = "option", error=ConfigError):
    """``cls(**data)`` for dataclass ``cls``, unknown keys refused (see :func:`refuse_unknown`)."""
    refuse_unknown(data, field_names(cls), what, word, error)
    return cls(**data)


def split_kind(data, registry: dict, what: str, kind_key: str = "kind") -> tuple[type, dict]:
    """(``registry[data["kind"]]``, the other keys) of a ``{"kind": ..., ...}`` dict; ConfigError
    ("``<what>`` must be an object" / "``<kind_key>`` must be one of …") otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(f"{what} must be an object, got {data!r}")
    kind = data.get("kind")
    cls = registry.get(kind)
    if cls is None:
        raise ConfigError(f"{kind_key} must be one of {', '.join(registry)}, got {kind!r}")
    return cls, {k: v for k, v in data.items() if k != "kind"}


def finite_number(value, what: str, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a float if it is a real number (not a bool) within [low, high]; else
    ConfigError naming ``what``."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or (low is not None and value < low) or (high is not None and value > high):
        rng = (f" ≥ {low:g}" if high is None else f" between {low:g} and {high:g}") if low is not None else ""
        raise ConfigError(f"{what} must be a finite number{rng}, got {value!r}")
    return float(value)


class Options:
    """Base of a family's options: a frozen dataclass whose ``to_dict()`` goes into
    ``ModelConfig.options`` and whose ``from_dict`` reads it back, unknown keys refused and
    :meth:`validate` applied. Subclasses set ``NAME`` (the family; errors start with it) and
    override ``validate`` (return ``self`` or raise ConfigError naming the key) and, for
    fields that JSON cannot hold as they are (tuples), ``_decode``/``to_dict``."""

    NAME: ClassVar[str] = "options"

    def validate(self):
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def _decode(cls, data: dict) -> dict:
        """The dict ``from_dict`` hands to the constructor (JSON lists → tuples and the like)."""
        return data

    @classmethod
    def from_dict(cls, data: dict | None):
        return build(cls, cls._decode(dict(data or {})), cls.NAME).validate()

    @classmethod
    def of(cls, options):
        """``options`` as given (an instance) or read with :meth:`from_dict` (a dict)."""
        return options if isinstance(options, cls) else cls.from_dict(options)

    @classmethod
    def normalized(cls, data: dict | None) -> dict:
        """The ``Family.options`` extension point: a manifest's dict, checked and completed."""
        return cls.from_dict(data).to_dict()

    def configure(self, config):
        """``config`` (a ModelConfig) with family ``NAME`` and these options, validated."""
        return config.with_changes(family=self.NAME, options=self.to_dict()).validate()


__all__ = ["Options", "build", "field_names", "finite_number", "refuse_unknown", "split_kind"]
