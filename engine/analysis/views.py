"""Former home of the view analyses, now split by subject; kept so old imports still work.

- :mod:`engine.analysis.topic_map` — JS distances, MDS, similarity, the intertopic map
- :mod:`engine.analysis.trends` — bins, topic trends, growth
- :mod:`engine.analysis.compare` — aligning and matching runs
- :mod:`engine.analysis.report` — the stakeholder HTML report
"""
from engine.analysis.compare import align_phi, match_topics  # noqa: F401
from engine.analysis.report import html_report  # noqa: F401
from engine.analysis.topic_map import (  # noqa: F401
    classical_mds, intertopic_map, js_distance_matrix, topic_distributions, topic_similarity,
)
from engine.analysis.trends import (  # noqa: F401
    choose_frequency, document_groups, documents_per_period, fastest_growing, growth_rates, period_of,
    topic_trends,
)
