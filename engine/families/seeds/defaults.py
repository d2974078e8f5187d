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

SHORT_MEDIAN = 45

# Measured (bench/README.md, "Seed words measured by their documents"): pulling the documents
# that mention a group towards its topic (SeedDocuments, τ fading to 0 by 80 % of the run) is
# what makes a seeded topic's top documents be about the group. On short Telegram posts (median
# 26 terms) τ = 10 did best (τ = 1 and 3 left more groups below 50 % precision); on 20 Newsgroups
# (median 68 terms) τ = 1 did best (F1 falls slightly as τ grows). SeedWords on top adds nothing
# to document precision and lowers the seeded topics' coherence, so it is off by default.
# SHORT_MEDIAN sits between the two benchmarked corpora.
SHORT = {"doc_tau": 10.0, "seed_strength": 0.0}
LONG = {"doc_tau": 1.0, "seed_strength": 0.0}


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
        return dict(SHORT), (f"Short texts (median {p.median:.0f} terms per document < {SHORT_MEDIAN}): documents that "
                             "mention a group are pulled strongly towards its topic (SeedDocuments τ = 10, fading to 0) — "
                             "on short Telegram posts this did best in the benchmark.")
    return dict(LONG), (f"Median {p.median:.0f} terms per document (≥ {SHORT_MEDIAN}, not short): documents that mention "
                        "a group are pulled towards its topic (SeedDocuments τ = 1, fading to 0) — on 20 Newsgroups "
                        "this did best in the benchmark.")
