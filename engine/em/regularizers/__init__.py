"""The regularizer library: one small class per file, plain data, JSON round trip.

A regularizer R with coefficient τ contributes only its **additive term** to the M-step
(DESIGN §3): Φ regularizers give ``r_wt = τ φ_wt ∂R/∂φ_wt`` through
:meth:`Regularizer.phi_term`, Θ regularizers give per-topic arrays through
:meth:`Regularizer.theta_terms` (``r_td = add_t + mult_t n_td [+ add_doc_dt]``), which the E-step
kernel applies per document inside its inner loop. τ is a trajectory (``engine.em.schedule``);
the trainer evaluates it and passes the value in the context, so every term comes out with τ
already applied. Names and parameter meanings follow BigARTM.

``REGULARIZERS`` maps a kind to its class; each class declares ``PARAMS`` (name, type, default,
help) for UI forms. :func:`parse_regularizer` reads the CLI mini-syntax
``SmoothSparsePhi(tau=-0.5, topics=subject, start=10)`` by hand — nothing is evaluated.
"""
from engine.em.regularizers.base import (
    REGULARIZERS, Param, RegContext, Regularizer, ThetaTerms, register_regularizer,
    regularizer_from_dict, regularizer_schema, token_mask, topic_mask,
)
# registration order = the order forms list them
from engine.em.regularizers.smooth_sparse import SmoothSparsePhi, SmoothSparseTheta
from engine.em.regularizers.decorrelator import Decorrelator
from engine.em.regularizers.seed_words import SeedWords
from engine.em.regularizers.topic_selection import TopicSelection
from engine.em.regularizers.time_smoothing import TimeSmoothing, time_order
from engine.em.regularizers.improve_coherence import ImproveCoherence, PairRegularizer, coherence_weights
from engine.em.regularizers.lda import LDA
from engine.em.regularizers.syntax import parse_regularizer

__all__ = [
    "REGULARIZERS", "Param", "RegContext", "Regularizer", "ThetaTerms", "register_regularizer",
    "regularizer_from_dict", "regularizer_schema", "token_mask", "topic_mask", "SmoothSparsePhi",
    "SmoothSparseTheta", "Decorrelator", "SeedWords", "TopicSelection", "TimeSmoothing",
    "ImproveCoherence", "PairRegularizer", "coherence_weights", "LDA", "parse_regularizer", "time_order",
]
