"""Default seed settings chosen by the benchmark (bench/bench_seed_precision.py, bench/README.md
"Seed words measured by their documents"), with the reason shown to the user.

A corpus is *short-text* when its median document length (terms of the seed modality after
preprocessing) is below ``SHORT_MEDIAN``. The settings returned are keyword arguments of
:func:`engine.families.seeds.setup.seed_config`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.corpus.corpus import DEFAULT_MODALITY

__all__ = ["SHORT_MEDIAN", "TextProfile", "text_profile", "recommended_settings"]

SHORT_MEDIAN = 60

# Measured on telegram_news_ru (median 26 terms) and 20 Newsgroups (median ≈ 80 terms after the
# bow/ filter): pulling the documents that mention a group towards its topic (SeedDocuments)
# is what makes a seeded topic's top documents be about the group; SeedWords on top of it
# adds nothing to precision and lowers the topics' coherence.
SHORT = {"doc_tau": 3.0, "seed_strength": 0.0}
LONG = {"doc_tau": 3.0, "seed_strength": 0.0}


@dataclass(frozen=True)
class TextProfile:
    """Document lengths of a corpus: ``median`` and ``short`` (median < SHORT_MEDIAN)."""

    median: float
    short: bool
    documents: int


def text_profile(corpus, modality: str = DEFAULT_MODALITY) -> TextProfile:
    """Median document length (terms of ``modality``, empty documents left out)."""
    mask = corpus.modality_mask(modality).astype(np.float64)
    n_d = np.asarray(corpus.n_dw @ mask).ravel()
    n_d = n_d[n_d > 0]
    med = float(np.median(n_d)) if len(n_d) else 0.0
    return TextProfile(median=med, short=med < SHORT_MEDIAN, documents=int(corpus.n_docs))


def recommended_settings(corpus, modality: str = DEFAULT_MODALITY) -> tuple[dict, str]:
    """(seed_config keyword arguments, the reason in one sentence)."""
    p = text_profile(corpus, modality)
    if p.short:
        return dict(SHORT), (f"Short texts (median {p.median:.0f} terms per document): documents that mention a "
                             "group are pulled towards its topic (SeedDocuments τ = 3, fading) — on short Telegram "
                             "posts this doubled the share of groups whose topic's top documents are about them.")
    return dict(LONG), (f"Median {p.median:.0f} terms per document: documents that mention a group are pulled "
                        "towards its topic (SeedDocuments τ = 3, fading), the setting the benchmark supports.")
