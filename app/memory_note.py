"""The memory a training job will need, shown before it starts (issue 16).

:func:`engine.store.budget.training_memory` (Φ side W×T, Θ side D×T, the corpus, a base)
against the memory free now; the job itself refuses, with the same numbers, what would not fit.
"""
from __future__ import annotations

import streamlit as st

from engine import size_warnings, training_memory


def show(corpus, config) -> bool:
    """A caption with the estimate, or a warning when it would not fit; returns whether it fits."""
    est = training_memory(corpus, config)  # a corpus stored as batches: two batches resident
    if est.fits:
        st.caption(f"Memory: {est.describe()}.")
    else:
        st.warning(f"This model would not fit in memory: it needs {est.describe()}. Use fewer topics, "
                   "or re-import the corpus with a smaller vocabulary.", icon=":material/memory:")
    for w in size_warnings(corpus.n_docs, corpus.n_tokens, config.total_topics):
        st.warning(w[0].upper() + w[1:] + ".", icon=":material/warning:")
    return est.fits
