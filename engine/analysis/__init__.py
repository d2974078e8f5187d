"""Analysis layer: tables for the views (top tokens, documents, trends, topic map, compare, report)."""
from engine.analysis.views import (
    align_phi, choose_frequency, classical_mds, document_groups, documents_per_period,
    fastest_growing, growth_rates, html_report, intertopic_map, js_distance_matrix, match_topics,
    period_of, topic_distributions, topic_similarity, topic_trends,
)

__all__ = [
    "align_phi", "choose_frequency", "classical_mds", "document_groups", "documents_per_period",
    "fastest_growing", "growth_rates", "html_report", "intertopic_map", "js_distance_matrix",
    "match_topics", "period_of", "topic_distributions", "topic_similarity", "topic_trends",
]
