"""Storage layer: the workspace (corpora and runs as Parquet + manifest.json), runs, checkpoints."""
