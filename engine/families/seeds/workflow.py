"""Seed-word topic search, one import for the whole workflow (the pieces live in small modules):

- :mod:`~engine.families.seeds.setup` — :class:`SeedSetup`, :func:`seed_config`, stored setups;
- :mod:`~engine.families.seeds.trainer` — seed ranks per pass,
  :func:`seed_phi0`, :func:`train_seeded`;
- :mod:`~engine.families.seeds.diagnostics` — capture, drift, coverage, discovery, results;
- :mod:`~engine.families.seeds.precision` — document precision/recall per group;
- :mod:`~engine.families.seeds.quality` — honest flags: enough occurrences per group, seeded
  topic quality;
- :mod:`~engine.families.seeds.report` — :func:`seeds_report` (the ``seeds-report`` CLI).
"""
from __future__ import annotations

from engine.families.seeds.diagnostics import (count_relevant, coverage, discovery, document_marks,
                                               dominant_subject_topic, group_coverage, p_t_w,
                                               relevant_documents, relevant_topics, relevant_trends,
                                               seed_capture, seed_documents, seed_drift, topic_top_tokens)
from engine.families.seeds.report import seeds_report
from engine.families.seeds.setup import (RANK_PREFIX, SEED_PRESETS, SeedSetup, load_setup, run_setup,
                                         save_setup, seed_config, setup_from_config, setup_from_run,
                                         token_ids_of)
from engine.families.seeds.trainer import SeedRanks, docs_mentioning, seed_phi0, seed_ranks, train_seeded

__all__ = [
    "SEED_PRESETS", "RANK_PREFIX", "SeedSetup", "seed_config", "SeedRanks", "seed_ranks",
    "save_setup", "load_setup", "setup_from_run", "run_setup", "seed_capture", "seed_drift",
    "coverage", "group_coverage", "discovery", "relevant_topics", "topic_top_tokens",
    "seed_documents", "document_marks", "relevant_trends", "relevant_documents", "seeds_report",
    "train_seeded", "seed_phi0", "count_relevant", "dominant_subject_topic", "docs_mentioning",
    "setup_from_config", "token_ids_of", "p_t_w",
]
