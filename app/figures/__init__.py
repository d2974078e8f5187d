"""Pure Plotly figure factories: DataFrames and arrays in, ``go.Figure`` out; no Streamlit calls.

Styling lives in :mod:`app.figures._style` only.
"""
from ._style import empty, styled, topic_colors
from .documents import highlighted_text, theta_bar, token_heatmap, topic_legend
from .runs import compare_scores, matching_heatmap, vocabulary_preview
from .topics import intertopic_map, similarity_heatmap, top_tokens_bar
from .training import score_curves, score_keys, tau_trajectories
from .trends import documents_per_period, topic_trends

__all__ = [
    "empty", "styled", "topic_colors",
    "score_curves", "score_keys", "tau_trajectories",
    "intertopic_map", "similarity_heatmap", "top_tokens_bar",
    "theta_bar", "token_heatmap", "highlighted_text", "topic_legend",
    "topic_trends", "documents_per_period",
    "compare_scores", "matching_heatmap", "vocabulary_preview",
]
