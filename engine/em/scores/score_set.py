"""The ScoreSet of a run: which scores, how often; the family's extra scores."""
from __future__ import annotations


import numpy as np

from engine.em.family import FAMILIES
from engine.em.model import ScoreContext
from engine.errors import ConfigError
from engine.em.scores.base import OLD_KINDS, SCORES, Score, score_from_dict
from engine.em.scores.perplexity import HoldoutPerplexity
from engine.em.scores.sparsity import SparsityPhi, SparsityTheta
from engine.em.scores.kernel import TopicKernel
from engine.em.scores.mass import BackgroundTokensRatio, TopicMass
from engine.em.scores.coherence import Coherence
from engine.em.scores.distance import TopicDistance
from engine.em.scores.class_precision import ClassPrecision


#: snake-case score names (as in ``ModelConfig.scores``) -> class kind
SCORE_NAMES = {
    "perplexity": "Perplexity", "holdout_perplexity": "HoldoutPerplexity",
    "sparsity_phi": "SparsityPhi", "sparsity_theta": "SparsityTheta", "topic_kernel": "TopicKernel",
    "background_ratio": "BackgroundTokensRatio", "topic_mass": "TopicMass", "coherence": "Coherence",
    "topic_distance": "TopicDistance", "class_precision": "ClassPrecision",
}


def register_score(cls: type[Score], snake: str | None = None) -> type[Score]:
    """Add a family's score class (by ``kind``; ``snake`` is its name in ``ModelConfig.scores``)."""
    SCORES[cls.kind] = cls
    if snake:
        SCORE_NAMES.setdefault(snake, cls.kind)
    return cls


def score_set_for(config, corpus=None, holdout=None) -> "ScoreSet":
    """The ScoreSet of a run: ``config.scores`` (:meth:`ScoreSet.from_config`, + held-out
    perplexity when ``holdout`` is given) plus the scores the config's family adds
    (:mod:`engine.em.family`). The jobs, the CLI and the tests all build scores here. For a
    corpus stored as batches, scores that read the whole n_dw or Θ (``IN_MEMORY_ONLY``) are left out."""
    score_set = ScoreSet.from_config(getattr(config, "scores", {}), holdout=holdout)
    if getattr(corpus, "is_batched", False):
        score_set.scores = [s for s in score_set if not s.IN_MEMORY_ONLY]
    family = FAMILIES.get(getattr(config, "family", "standard"))
    if family is not None:
        have = {s.kind for s in score_set}
        score_set.scores.extend(s for s in family.extra_scores(corpus, config) if s.kind not in have)
    return score_set


def default_scores() -> list[Score]:
    """The scores a run computes unless its config says otherwise."""
    return [SparsityPhi(), SparsityTheta(), TopicKernel(), BackgroundTokensRatio(),
            TopicMass(), Coherence(every=5), TopicDistance(every=5), ClassPrecision()]


class ScoreSet:
    """An ordered collection of scores computed together after each pass.

    ``compute(ctx)`` runs every score that is due (``ctx.iteration % every == 0`` or
    ``ctx.last``) and merges their flat dicts. Errors propagate: a broken score is a bug to
    see, not to hide.
    """

    def __init__(self, scores: list[Score] | None = None):
        self.scores = list(default_scores() if scores is None else scores)

    def __iter__(self):
        return iter(self.scores)

    def __len__(self):
        return len(self.scores)

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.scores:
            if s.due(ctx.iteration, ctx.last):
                out.update(s.compute(ctx))
        return out

    def to_list(self) -> list[dict]:
        return [s.to_dict() for s in self.scores]

    @classmethod
    def from_config(cls, every: dict | None, holdout=None) -> "ScoreSet":
        """From ``ModelConfig.scores`` (score name -> every; 0 switches a score off).

        Names are the snake-case names of :data:`SCORE_NAMES` (``perplexity``, ``coherence``,
        ...) or the class kinds (``Perplexity``). Scores not named keep their default ``every``;
        an empty mapping gives :func:`default_scores`. ``holdout`` (a held-out n_dw) adds
        :class:`HoldoutPerplexity` unless switched off.
        """
        every = dict(every or {})
        wanted: dict[str, int] = {}
        for name, k in every.items():
            name = OLD_KINDS.get(name, name)
            kind = SCORE_NAMES.get(name, name if name in SCORES else None)
            if kind is None:
                raise ConfigError(f"scores: unknown score {name!r}; known: {', '.join(SCORE_NAMES)}")
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
                raise ConfigError(f"scores[{name!r}] must be an integer >= 0 (0 = off), got {k!r}")
            wanted[kind] = int(k)
        out = []
        defaults = default_scores()
        if holdout is not None:
            defaults.append(HoldoutPerplexity(n_dw=holdout))
        have = {s.kind for s in defaults}
        for kind in wanted:
            if kind not in have and wanted[kind] > 0:
                defaults.append(SCORES[kind]())
        for s in defaults:
            k = wanted.get(s.kind, s.every)
            if k == 0:
                continue
            s.every = k
            out.append(s)
        return cls(out)

    @classmethod
    def from_list(cls, items: list[dict] | None) -> "ScoreSet":
        """From ``[{"kind": ..., ...}, ...]``; ``None`` gives the default set."""
        if items is None:
            return cls()
        return cls([score_from_dict(d) for d in items])
