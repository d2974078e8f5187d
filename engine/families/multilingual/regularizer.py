"""The translation-dictionary regularizer of multilingual ARTM (the seed's slide
"Регуляризаторы для мультимодальных тематических моделей", multilanguage):

    R(Φ, Π) = τ Σ_{u ∈ W^k} Σ_t n_ut ln Σ_{w ∈ W^ℓ} π_uwt φ_wt,

for both directions k → ℓ and ℓ → k of a bilingual dictionary, with π_uwt = π_uw fixed by the
dictionary (:func:`engine.families.multilingual.dictionary.translation_matrix`, not learned).
Its Φ term, with M the (W, W) translation matrix and p̂ = M Φ (a topic's distribution mapped
through the dictionary onto the other language), is

    r_wt = φ_wt ∂R/∂φ_wt = τ φ_wt Σ_u n_ut π_uw / p̂_ut = τ φ ⊙ (Mᵀ (n / p̂)),

so each topic's count n_ut of a word u is shared among u's translations w in proportion to
their π_uw φ_wt: a topic's English and Russian top words are pulled toward translating each
other. Two sparse products per pass (O(nnz(M) · T)).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from engine.em.regularizers import Param, Regularizer, register_regularizer, topic_mask
from engine.errors import ConfigError, InputError
from engine.families.multilingual.dictionary import read_dictionary, translation_matrix

__all__ = ["TranslationDictionary", "translation_term"]

#: corpus → {dictionary file version and columns → matched Dictionary} (dropped with the corpus)
_MATCHED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def translation_term(phi: np.ndarray, n_wt: np.ndarray, m, tau: float) -> np.ndarray:
    """r (W, T) float64 = τ φ ⊙ (Mᵀ (n_wt / (M φ))) with 0/0 = 0 (see the module docstring)."""
    phi = np.asarray(phi, np.float64)
    p_hat = m @ phi
    q = np.divide(np.asarray(n_wt, np.float64), p_hat, out=np.zeros_like(p_hat), where=p_hat > 1e-300)
    return tau * phi * (m.T @ q)


@dataclass(frozen=True)
class TranslationDictionary(Regularizer):
    """R(Φ, Π) = τ Σ_u Σ_t n_ut ln Σ_w π_uw φ_wt from a bilingual dictionary (CSV/Parquet file
    with a column per language), in both directions between ``source`` and ``target``."""

    dictionary: str = "dictionary.csv"
    source_modality: str = "@en"
    target_modality: str = "@ru"
    source_column: str = "auto"
    target_column: str = "auto"
    unknown: str = "drop"
    topics: object = "all"

    kind: ClassVar[str] = "TranslationDictionary"
    DEFAULT_TAU: ClassVar[float] = 1.0
    NEEDS_RUN_DATA: ClassVar[bool] = True  # a dictionary file: tested in test_family_multilingual
    PARAMS: ClassVar[tuple] = (
        Param("dictionary", "str", "dictionary.csv", "Path of the dictionary (CSV/Parquet, one pair per row)"),
        Param("source_modality", "modality", "@en", "Language modality of the first dictionary column"),
        Param("target_modality", "modality", "@ru", "Language modality of the second dictionary column"),
        Param("source_column", "str", "auto", "Column of source words (auto: the modality name without @)"),
        Param("target_column", "str", "auto", "Column of target words (auto: the modality name without @)"),
        Param("unknown", "str", "drop", "Pairs with words not in the corpus: drop them or fail",
              choices=("drop", "error")),
        Param("topics", "topics", "all", "Topics the term acts on"),
    )

    def _key(self) -> tuple:
        path = Path(self.dictionary)
        stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None
        return (self.dictionary, stamp, self.source_modality, self.target_modality, self.source_column,
                self.target_column, self.unknown)

    def matched(self, corpus):
        """The dictionary matched to ``corpus`` (:class:`~engine.families.multilingual.dictionary.Dictionary`),
        read once per corpus object and file version."""
        per_corpus = _MATCHED.setdefault(corpus, {})
        key = self._key()
        if key not in per_corpus:
            cols = {m: c for m, c in ((self.source_modality, self.source_column),
                                      (self.target_modality, self.target_column)) if c != "auto"}
            try:
                per_corpus[key] = read_dictionary(self.dictionary, corpus, (self.source_modality, self.target_modality),
                                                  cols, None, self.unknown)
            except InputError as exc:
                raise ConfigError(f"{self.name}: {exc}") from None
        return per_corpus[key]

    def _matrix(self, ctx):
        key = ("TranslationDictionary",) + self._key()
        if key not in ctx.cache:
            ctx.cache[key] = translation_matrix(self.matched(ctx.corpus), ctx.corpus.n_tokens)
        return ctx.cache[key]

    def check(self, ctx) -> None:
        super().check(ctx)
        if self.source_modality == self.target_modality:
            raise ConfigError(f"{self.name}: source and target must be two different languages")
        self._matrix(ctx)  # a bad dictionary fails before the first pass

    def phi_term(self, phi, n_wt, ctx):
        r = np.zeros(phi.shape, np.float64)
        self.add_phi_term(phi, n_wt, ctx, r)
        return r

    def add_phi_term(self, phi, n_wt, ctx, out):
        m = self._matrix(ctx)
        mask = topic_mask(ctx, self.topics)
        out += translation_term(phi, n_wt, m, ctx.tau) * mask[None, :]


register_regularizer(TranslationDictionary)
