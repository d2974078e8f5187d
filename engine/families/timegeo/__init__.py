"""Time and place as modalities (issue 13, family 7).

Public API: a time modality from a corpus's dates (:mod:`.time_modality`) and the geographic
smoothing regularizer (:mod:`.geo`, registered as ``"GeoSmoothing"``).
"""
from engine.families.timegeo.geo import GeoSmoothing, read_similarity
from engine.families.timegeo.time_modality import BINS, MAX_BINS, add_time_modality, choose_bin, time_tokens

__all__ = ["GeoSmoothing", "read_similarity", "BINS", "MAX_BINS", "add_time_modality", "choose_bin", "time_tokens"]
