"""The context family: topics inside the text (DESIGN §3 items 1–4).

A run of this family has ``ModelConfig(family="context", options=ContextOptions(...).to_dict())``
(:func:`~engine.families.context.family.context_config` builds one). ``options.mode``:

``"standard"``
    The bag-of-words E-step, unchanged (plus the sequence scores).
``"one_pass"``
    The one-pass E-step (Θ-less ARTM), the seed's *naive* TARTM (p′ = p); works on bags of words.
``"tartm"``
    The seed's full TARTM: the one-pass θ and, in the M-step, p′ with the n_td/θ_td correction
    (negative n_wt entries cut by the norm); bags of words; no E-step regularizers.
``"context"``
    Context-ARTM: per token position, left and right moving averages of p(t|w_i); needs token
    sequences (text corpora).

Everything else — Φ regularizers, M-step, perplexity, scores, the job loop — is the one
:class:`engine.em.trainer.Trainer`. The reported perplexity in context mode is
exp(−Σ_i ln p(w_i|C_i) / n) with p(w_i|C_i) = Σ_t φ_{w_i t} θ_ti / Σ_t θ_ti: each token
predicted from its neighbours (with ``include_self`` the token is inside its own context, as in
the seed's formula, and this perplexity is optimistic). window and β follow trajectories
(:mod:`engine.em.schedule`) like τ.

Files (the recipe of ``engine/README.md``): ``options.py`` (ContextOptions), ``estep.py``
(the E-step strategy), ``regularizers.py`` (SequenceSmoothing, an E-step term), ``reading.py``
(token topics with Φ fixed), ``segment.py``, ``scores.py`` (sequence scores), ``_kernels.py``
(numba), ``family.py`` (registration, warm-up, reading a run's options back).
"""
from engine.families.context.options import IMPORTANCE, MODES, ContextOptions
from engine.families.context.regularizers import SequenceSmoothing
from engine.families.context.reading import (
    positions_topics, sequence_modality, token_gammas, token_topics,
)
from engine.families.context.estep import BLOCK_POSITIONS, ContextEStep
from engine.families.context.segment import boundary_scores, merge_same_topic, pick_boundaries, segment
from engine.families.context.scores import (
    IntratextCoherence, SegmentsPerDocument, context_scores, intratext_coherence,
)
from engine.families.context.family import (
    compile_kernels, context_config, estep_terms, load_options,
)

__all__ = [
    "MODES", "IMPORTANCE", "ContextOptions", "SequenceSmoothing", "positions_topics",
    "sequence_modality", "token_gammas", "token_topics", "BLOCK_POSITIONS", "ContextEStep",
    "boundary_scores", "merge_same_topic", "pick_boundaries", "segment", "IntratextCoherence",
    "SegmentsPerDocument", "context_scores", "intratext_coherence", "compile_kernels",
    "context_config", "estep_terms", "load_options",
]
