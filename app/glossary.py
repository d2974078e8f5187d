"""Plain language with the ARTM term at hand: a one-line explanation of every Greek letter and
BigARTM name the UI shows (used as tooltips), and the presentation mode that hides internals
(modality codes, raw score names) for demos."""
from __future__ import annotations

import streamlit as st

PRESENT = "presentation_mode"

#: Term → one plain line. Keys are what the UI shows; :func:`tip` looks them up.
TERMS = {
    "τ": "Regularization strength (tau): how hard this rule pushes the model; 0 switches it off, "
         "the sign says smooth (+) or sparse (−).",
    "τ_m": "Modality weight (tau_m): how much this kind of token (words, authors, tags…) counts in training.",
    "Φ": "Phi: the word-in-topic table p(w|t) — for each topic, how likely each word is.",
    "Θ": "Theta: the topic-in-document table p(t|d) — for each document, how much of each topic it has.",
    "λ": "Relevance lambda: 1 ranks a topic's words by probability, lower values favour words specific to it.",
    "β": "Beta: how much the left context (vs. the right) counts when reading a word in context.",
    "α": "Alpha: smoothing prior on topics in documents (LDA's α).",
    "SmoothSparsePhi": "BigARTM's SmoothSparsePhi: τ > 0 smooths topics (background), τ < 0 makes them "
                       "use fewer words (sharper topics).",
    "SmoothSparseTheta": "BigARTM's SmoothSparseTheta: τ < 0 makes documents use fewer topics.",
    "Decorrelator": "BigARTM's DecorrelatorPhi: pushes topics apart so they share fewer words.",
    "TopicSelection": "BigARTM's TopicSelectionTheta: removes small, redundant topics.",
    "TimeSmoothing": "BigARTM's SmoothTimeInTopicsPhi: makes a topic's presence change smoothly over time.",
    "ImproveCoherence": "BigARTM's ImproveCoherencePhi: favours words that co-occur with the topic's other words.",
    "LDA": "LDA priors: smoothing α on documents and β on topics (Dirichlet priors).",
    "SeedWords": "Seed words: pulls chosen words into chosen topics.",
    "perplexity": "Perplexity: how surprised the model is by the texts (lower is better).",
    "sparsity_phi": "Share of zeros in Φ (higher = topics use fewer words).",
    "sparsity_theta": "Share of zeros in Θ (higher = documents mix fewer topics).",
    "kernel_contrast": "Kernel contrast: how specific a topic's core words are to it (closer to 1 is better).",
    "kernel_purity": "Kernel purity: how much of a topic its core words carry.",
    "coherence": "Coherence: how often a topic's top words occur together (higher is more interpretable).",
    "background_ratio": "Share of the text explained by background (general-language) topics.",
    "topic_distance": "Mean distance between topics (higher = less overlap).",
    "inner passes": "E-step passes over each document per iteration (BigARTM's num_document_passes).",
    "iteration": "One pass over the whole collection (BigARTM's num_collection_passes).",
}

#: Raw score name → plain name shown in presentation mode.
PLAIN_SCORES = {
    "perplexity": "Perplexity", "sparsity_phi": "Word sparsity", "sparsity_theta": "Document sparsity",
    "kernel_contrast": "Kernel contrast", "kernel_purity": "Kernel purity", "coherence": "Coherence",
    "background_ratio": "Background share", "topic_distance": "Topic distance", "kernel_size": "Kernel size",
    "holdout_perplexity": "Held-out perplexity", "dead_topics": "Unused topics",
}


def tip(term: str, extra: str = "") -> str:
    """The tooltip text of ``term`` (a Greek letter, BigARTM name or score key), plus ``extra``."""
    base = TERMS.get(term) or TERMS.get(term.split("@")[0], "")
    return (base + (" " + extra if extra else "")).strip()


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT, False))


def toggle() -> None:
    """The sidebar switch."""
    st.toggle("Presentation mode", key=PRESENT,
              help="Hide internals for a demo: modality codes (@default_class), raw score names, run ids.")


def modality(name: str) -> str:
    """``@default_class`` → ``words`` and ``@party`` → ``party`` in presentation mode."""
    if not presenting():
        return name
    return "words" if name == "@default_class" else name.lstrip("@")


def score(name: str) -> str:
    """A score key as shown: raw (``sparsity_phi``) or plain in presentation mode."""
    if not presenting():
        return name
    base, _, mod = name.partition("@")
    plain = PLAIN_SCORES.get(base, base.replace("_", " ").capitalize())
    return f"{plain} ({mod})" if mod else plain
