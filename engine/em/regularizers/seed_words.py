"""SeedWords: seed words pulled into their topics (and out of the others)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.regularizers.base import (
    Param, Regularizer, _token_ids, register_regularizer, topic_mask,
)
from engine.errors import ConfigError


@register_regularizer
@dataclass(frozen=True)
class SeedWords(Regularizer):
    """r_wt = τ for every seed pair (w, t) of the lexicon {topic: [words]}; with
    ``sparse_others`` also r_ws = −τ for a seed word w in the other ``others`` topics s.

    Words are strings of ``modality`` resolved against the corpus vocabulary (unknown words are
    skipped; :meth:`resolve` lists them). τ is in counts (compare with n_wt), e.g. 10–1000.
    """

    lexicon: Any = None
    modality: str = "@default_class"
    sparse_others: bool = False
    others: Any = "subject"

    kind: ClassVar[str] = "SeedWords"
    DEFAULT_TAU: ClassVar[float] = 100.0
    PARAMS: ClassVar[tuple] = (
        Param("lexicon", "lexicon", None, "Seed lexicon: topic name -> list of words"),
        Param("modality", "modality", "@default_class", "Modality of the seed words"),
        Param("sparse_others", "bool", False, "Also push the seed words out of the other topics"),
        Param("others", "topics", "subject", "Topics sparsed by sparse_others"),
    )

    def check(self, ctx):
        super().check(ctx)
        for topic in self.lexicon:
            try:
                topic_mask(ctx, (int(topic) if topic.isdigit() else topic,))
            except ConfigError as exc:
                raise ConfigError(f"{self.name}.lexicon: {exc}") from None

    def resolve(self, ctx) -> tuple[list[tuple[int, int]], list[str]]:
        """(seed pairs (w, t), words not in the vocabulary)."""
        pairs, missing = [], []
        for topic, words in self.lexicon.items():
            t = int(np.flatnonzero(topic_mask(ctx, (int(topic) if topic.isdigit() else topic,)))[0])
            ids = _token_ids(ctx, words, self.modality)
            missing += [wd for wd, i in zip(words, ids) if i < 0]
            pairs += [(int(i), t) for i in ids if i >= 0]
        return pairs, missing

    def phi_term(self, phi, n_wt, ctx):
        key = ("SeedWords", self.modality, tuple((k, v) for k, v in self.lexicon.items()))
        if key not in ctx.cache:
            ctx.cache[key] = self.resolve(ctx)[0]
        pairs = np.array(ctx.cache[key], np.int64).reshape(-1, 2)
        seed = np.zeros(phi.shape, np.float64)
        seed[pairs[:, 0], pairs[:, 1]] = 1.0
        r = seed
        if self.sparse_others and len(pairs):
            rows = np.unique(pairs[:, 0])
            other = np.zeros(phi.shape, bool)
            other[np.ix_(rows, np.flatnonzero(topic_mask(ctx, self.others)))] = True
            r = seed - (other & (seed == 0))
        return ctx.tau * r
