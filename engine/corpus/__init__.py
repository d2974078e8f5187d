"""Corpus layer: readers (txt/zip, CSV/TSV, JSONL, Parquet, VW, UCI), text processing, ingest.

Depends only on :mod:`engine.errors`. ``Corpus`` (n_dw, vocabulary, documents, token sequences)
is the value the layers above train on.
"""
from engine.corpus.corpus import DEFAULT_MODALITY, Corpus, TokenSequences

__all__ = ["DEFAULT_MODALITY", "Corpus", "TokenSequences"]
