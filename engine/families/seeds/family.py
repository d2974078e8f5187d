"""Registers the seed-word family: ``ModelConfig(family="seeds", options={"setup": SeedSetup
dict, "init_from_documents": bool})``. Extension points used: options (the seed setup, kept in
the run manifest), scores (SeedRanks of the config's SeedWords/SeedDocuments seeds after every pass) and
initial_phi (seeded topics start from the documents that mention their seeds)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.em.family import Family, register_family
from engine.em.regularizers import SeedWords
from engine.errors import ConfigError
from engine.options import Options
from engine.families.seeds.regularizer import SeedDocuments
from engine.families.seeds.workflow import SeedRanks, SeedSetup, seed_phi0

__all__ = ["FAMILY", "SeedsOptions", "seeds_options", "setup_of"]


@dataclass(frozen=True)
class SeedsOptions(Options):
    """setup: a :class:`SeedSetup` (kept as its dict; None = seeds only through the config's
    SeedWords/SeedDocuments); init_from_documents: seeded topics start from the documents that
    mention their seeds (None = yes). ``to_dict`` leaves out what is None."""

    NAME: ClassVar[str] = "seeds"
    setup: Any = None
    init_from_documents: bool | None = None

    def validate(self) -> "SeedsOptions":
        if self.setup is not None:
            setup = self.setup if isinstance(self.setup, SeedSetup) else SeedSetup.from_dict(self.setup)
            object.__setattr__(self, "setup", setup.to_dict())
        if self.init_from_documents is not None and not isinstance(self.init_from_documents, bool):
            raise ConfigError("init_from_documents must be true or false")
        return self

    def to_dict(self) -> dict:
        return {k: v for k, v in (("setup", self.setup), ("init_from_documents", self.init_from_documents))
                if v is not None}


def seeds_options(d: dict) -> dict:
    """Validate ``{"setup": SeedSetup.to_dict(), "init_from_documents": bool}`` (both optional)."""
    return SeedsOptions.normalized(d)


def setup_of(config) -> SeedSetup | None:
    """The seed setup a config carries (family "seeds"), or None."""
    if getattr(config, "family", None) != "seeds" or not config.options.get("setup"):
        return None
    return SeedSetup.from_dict(config.options["setup"])


def _scores(corpus, config) -> list:
    lex: dict[str, list] = {}
    modality = DEFAULT_MODALITY
    for r in config.regularizers:
        if isinstance(r, (SeedWords, SeedDocuments)):
            modality = r.modality
            for t, ws in r.lexicon.items():
                lst = lex.setdefault(t, [])
                lst += [w for w in ws if w not in lst]
    return [SeedRanks(lexicon=lex, modality=modality)] if lex else []


def _initial_phi(corpus, config):
    setup = setup_of(config)
    if setup is None or not config.options.get("init_from_documents", True):
        return None
    return seed_phi0(corpus, config, setup)


FAMILY = register_family(Family(
    name="seeds", doc="seed-word topic search: standard EM with seeded topics and seed ranks",
    options=seeds_options, scores=_scores, initial_phi=_initial_phi))
