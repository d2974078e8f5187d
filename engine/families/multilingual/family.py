"""Registers the multilingual family: ``ModelConfig(family="multilingual", options=
MultilingualOptions.to_dict())`` — one modality per language (a parallel or comparable corpus,
:mod:`engine.families.multilingual.corpus`), optionally with the translation-dictionary
regularizer (:class:`~engine.families.multilingual.regularizer.TranslationDictionary`) in
``config.regularizers`` (τ recorded and editable live like any other).

The E-step is the bag-of-words one over all languages (a pair's parts share θ_d). The family
checks that the corpus has the languages, and saves the dictionary pairs it used with the run
(arrays ``dict_source``, ``dict_target``, ``dict_weight``: token ids), so the run's view needs
neither the file nor the original columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.em.estep import BagEStep
from engine.em.family import Family, register_family
from engine.errors import ConfigError, InputError
from engine.families.multilingual.regularizer import TranslationDictionary
from engine.options import Options

__all__ = ["FAMILY", "MultilingualOptions", "multilingual_config", "dictionary_regularizer"]


@dataclass(frozen=True)
class MultilingualOptions(Options):
    """languages: the language modalities, in the order their topics are shown side by side."""

    NAME: ClassVar[str] = "multilingual"
    languages: tuple = ("@en", "@ru")

    def validate(self) -> "MultilingualOptions":
        langs = self.languages
        if isinstance(langs, str) or not isinstance(langs, (list, tuple)) or len(langs) < 2 \
                or not all(isinstance(m, str) and m.startswith("@") for m in langs) or len(set(langs)) != len(langs):
            raise ConfigError(f"multilingual.languages must list two or more different modalities like @en, "
                              f"got {langs!r}")
        return MultilingualOptions(tuple(langs))

    def to_dict(self) -> dict:
        return {"languages": list(self.languages)}


def dictionary_regularizer(config) -> TranslationDictionary | None:
    """The config's translation-dictionary term (the first one), if any."""
    return next((r for r in config.regularizers if isinstance(r, TranslationDictionary)), None)


def multilingual_config(config, options: MultilingualOptions | dict, dictionary: str | None = None,
                        tau: float = 1.0, columns: dict | None = None, unknown: str = "drop"):
    """``config`` as a multilingual run; with ``dictionary`` (a path) the regularizer
    ``translation`` = TranslationDictionary(τ) between the first two languages is added."""
    opts = MultilingualOptions.of(options).validate()
    regs = tuple(r for r in config.regularizers if not isinstance(r, TranslationDictionary))
    if dictionary:
        src, dst = opts.languages[:2]
        cols = columns or {}
        regs += (TranslationDictionary(name="translation", tau=tau, dictionary=str(dictionary), source_modality=src,
                                       target_modality=dst, source_column=cols.get(src) or "auto",
                                       target_column=cols.get(dst) or "auto", unknown=unknown),)
    return opts.configure(config.with_changes(regularizers=regs))


def _check_corpus(corpus, config) -> None:
    opts = MultilingualOptions.from_dict(config.options)
    missing = [m for m in opts.languages if m not in corpus.modalities]
    if missing:
        raise InputError(f"corpus {corpus.name!r} has no language modality {', '.join(missing)} (it has "
                         f"{', '.join(corpus.modalities)}); import it with `artm-studio multilingual import`")


class MultilingualEStep(BagEStep):
    """The bag-of-words E-step; keeps the matched dictionary to save with the run."""

    def __init__(self, trainer):
        super().__init__(trainer)
        reg = dictionary_regularizer(trainer.config)
        self._pairs = reg.matched(trainer.corpus).arrays() if reg is not None else {}

    def state(self) -> dict:
        return dict(self._pairs)

    def load_state(self, state: dict) -> None:
        if "dict_source" in state:
            self._pairs = {k: np.asarray(state[k]) for k in ("dict_source", "dict_target", "dict_weight")}

    def arrays(self) -> dict:
        return dict(self._pairs)


FAMILY = register_family(Family(
    name="multilingual", doc="one modality per language; translation dictionary R = τ Σ n_ut ln Σ_w π_uw φ_wt",
    options=MultilingualOptions.normalized, estep=MultilingualEStep,
    check_corpus=_check_corpus))
