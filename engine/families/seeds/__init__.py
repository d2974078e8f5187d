"""Seed-word family: lexicons, seeded setups, diagnostics.

Public API (the app and the CLI import only these names): lexicons (:mod:`.lexicon`), settings
recommended for a corpus (:mod:`.defaults`), the workflow (:mod:`.workflow`: setups, configs,
training, diagnostics, the report), document precision per group (:mod:`.precision`) and the
family's options (:mod:`.family`).
"""
from engine.families.seeds import regularizer as _regularizer  # noqa: F401  (registers SeedDocuments)
from engine.families.seeds.lexicon import Lexicon, LexiconCheck, NearMatcher, check_lexicon, normalize_seeds
from engine.families.seeds.defaults import TextProfile, recommended_settings, text_profile
from engine.families.seeds.workflow import (
    RANK_PREFIX, SEED_PRESETS, SeedRanks, SeedSetup, count_relevant, coverage, discovery,
    docs_mentioning, document_marks, dominant_subject_topic, group_coverage, load_setup,
    relevant_documents, relevant_topics, relevant_trends, run_setup, save_setup, seed_capture,
    seed_config, seed_documents, seed_drift, seed_phi0, seed_ranks, seeds_report,
    setup_from_config, setup_from_run, token_ids_of, topic_top_tokens, train_seeded,
)
from engine.families.seeds.report import headline, seed_tables
from engine.families.seeds.precision import best_per_group, precision_summary, precision_table
from engine.families.seeds.regularizer import SeedDocuments
from engine.families.seeds.family import FAMILY, SeedsOptions, setup_of

__all__ = [
    "Lexicon", "LexiconCheck", "NearMatcher", "check_lexicon", "normalize_seeds", "TextProfile",
    "recommended_settings", "text_profile", "RANK_PREFIX", "SEED_PRESETS", "SeedRanks", "SeedSetup",
    "count_relevant", "coverage", "discovery", "docs_mentioning", "document_marks",
    "dominant_subject_topic", "group_coverage", "load_setup", "relevant_documents",
    "relevant_topics", "relevant_trends", "run_setup", "save_setup", "seed_capture", "seed_config",
    "seed_documents", "seed_drift", "seed_phi0", "seed_ranks", "seeds_report", "setup_from_config",
    "setup_from_run", "token_ids_of", "topic_top_tokens", "train_seeded", "headline", "seed_tables",
    "best_per_group", "precision_summary", "precision_table", "SeedDocuments", "FAMILY",
    "SeedsOptions", "setup_of",
]
