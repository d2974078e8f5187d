"""CLI command groups; see engine.cli."""
