"""Time and place as modalities (issue 13, family 7).

Public API: a time modality from a corpus's dates (:mod:`.time_modality`), a place modality
from a column (:mod:`.place_modality`), the geographic smoothing regularizer (:mod:`.geo`,
registered as ``"GeoSmoothing"``) and reading a fitted model over time and places (:mod:`.reading`).
"""
from engine.families.timegeo.geo import GeoSmoothing, read_similarity, similarity_from_bytes, store_similarity
from engine.families.timegeo.place_modality import add_place_modality
from engine.families.timegeo.reading import place_topics, smoothing_effect, time_profiles
from engine.families.timegeo.time_modality import BINS, MAX_BINS, add_time_modality, choose_bin, time_tokens

__all__ = ["GeoSmoothing", "read_similarity", "similarity_from_bytes", "store_similarity", "BINS", "MAX_BINS",
           "add_time_modality", "choose_bin", "time_tokens", "add_place_modality", "place_topics", "smoothing_effect",
           "time_profiles"]
