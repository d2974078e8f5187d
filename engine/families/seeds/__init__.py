"""Seed-word family: lexicons, seeded setups, diagnostics."""
from engine.families.seeds import regularizer as _regularizer  # noqa: F401  (registers SeedDocuments)
