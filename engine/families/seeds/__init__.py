"""Seed-word family: lexicons, seeded setups, diagnostics."""
