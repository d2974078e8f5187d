"""Multilingual topic models: parallel or comparable corpora with one modality per language
(@en, @ru, …) and the translation-dictionary regularizer R(Φ, Π) = τ Σ_u Σ_t n_ut ln Σ_w π_uwt φ_wt.

Public API (the app and the CLI import only these names): importing a corpus (:mod:`.corpus`),
dictionaries (:mod:`.dictionary`), :class:`MultilingualOptions` / :func:`multilingual_config`,
and the views (:mod:`.views`).
"""
from engine.families.multilingual.corpus import LanguagePart, import_multilingual, languages_of, parse_part
from engine.families.multilingual.dictionary import (
    Dictionary, dictionary_from_arrays, match_dictionary, read_dictionary, store_dictionary,
)
from engine.families.multilingual.family import (
    FAMILY, MultilingualOptions, dictionary_regularizer, multilingual_config,
)
from engine.families.multilingual.views import (
    nearest_documents, retrieval_summary, side_by_side, translation_hits,
)

__all__ = [
    "LanguagePart", "import_multilingual", "languages_of", "parse_part", "Dictionary",
    "dictionary_from_arrays", "match_dictionary", "read_dictionary", "store_dictionary", "FAMILY",
    "MultilingualOptions", "dictionary_regularizer", "multilingual_config", "nearest_documents",
    "retrieval_summary", "side_by_side", "translation_hits",
]
