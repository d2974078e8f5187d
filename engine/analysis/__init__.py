"""Analysis layer: tables for the views (top tokens, documents), the topic map, trends,
run comparison, topic names and the stakeholder report."""
from engine.analysis.compare import align_phi, match_topics
from engine.analysis.names import auto_names, display_names, topic_count_text
from engine.analysis.report import html_report, stakeholder_report, topic_names_for
from engine.analysis.tables import token_marginal
from engine.analysis.topic_map import (
    classical_mds, intertopic_map, js_distance_matrix, topic_distributions, topic_similarity,
)
from engine.analysis.trends import (
    check_frequency, choose_frequency, document_groups, documents_per_period, fastest_growing, freq_name,
    growth_rates, period_of, topic_trends,
)

__all__ = [
    "align_phi", "choose_frequency", "check_frequency", "classical_mds", "document_groups",
    "documents_per_period", "fastest_growing", "freq_name", "growth_rates", "intertopic_map",
    "js_distance_matrix", "match_topics", "period_of", "topic_distributions", "topic_similarity",
    "topic_trends", "auto_names", "display_names", "topic_count_text", "stakeholder_report",
    "topic_names_for", "token_marginal", "html_report",
]
