"""numba kernels that read documents as token *sequences*: one-pass (TARTM) and context-ARTM
E-steps, E-step smoothing along the sequence, and segment-boundary scores.

Notation (the seed, "EM-алгоритм с локализованным Е-шагом"): a document is the sequence
w_1 … w_n; p(t|w) = norm_t(φ_wt p_t) is the context-free topic vector of a token (``p_tw``, rows
of shape (T,), computed once per pass by :func:`engine.em._kernels.p_t_given_w`).

Two exponential moving averages (EMA) run over every document:

    left    L_i = γ_i q_i + (1 − γ_i) L_{i−1},   i = 1 … n
    right   R_i = γ_i q_i + (1 − γ_i) R_{i+1},   i = n … 1

with q_i = p(t|w_i) on the first context pass and q_i = p_ti of the previous context pass on the
following ones ("several passes reuse p_ti in place of p(t|w_i)"). γ_i = ``gamma_w[w_i]``
(≈ 1/window, optionally scaled by token importance); γ = 1 at the document start (the first
position with γ > 0 from either end: the context is forgotten); γ_i = 0 skips a token (the
average passes it unchanged; before the first counted token the average is 0). With constant
γ the weight of position k in L_i is γ(1 − γ)^{i−k}.

The two-sided context of position i is made of its neighbours (the seed's literal variant,
``include_self``, uses L_i and R_i, i.e. the token inside its own context), and the contextual
token topics follow:

    θ_ti = β L_{t,i−1} + (1 − β) R_{t,i+1},      p_ti = norm_t(φ_{w_i t} θ_ti),
    z_i  = Σ_t φ_{w_i t} θ_ti / Σ_t θ_ti  (= p(w_i | C_i), the token's likelihood),

and the E-step accumulates n_wt = Σ_i [w_i = w] τ p_ti. As in :mod:`engine._kernels`, n_wt may be
accumulated "raw" — Σ τ θ_ti / z_i, multiplied by φ_wt once after the chunks are summed
(``direct=False``) — or directly as Σ τ p_ti (``direct=True``, used when an E-step
regularizer changes p_ti after the kernel).

Conventions follow :mod:`engine.em._kernels`: ``phi``/``p_tw`` are (W, T) float32, Θ is (D, T)
float32 (transposed), n_dw is CSR (``indptr``, ``indices``, ``data``), ``tok_weight`` (W,) is
τ_m of every token and ``tok_mod`` (W,) its modality code. Sequences are ``ptr`` (D+1,) int64
and ``seq`` (N,) int32 token ids. Every kernel is ``@njit(cache=True, nogil=True)``, allocates
only small per-document scratch and writes outputs the caller pre-allocates; disjoint
document ranges may run in parallel Python threads.
"""
from engine.families.context._kernels.common import EPS
from engine.families.context._kernels.context import context_chunk
from engine.families.context._kernels.one_pass import one_pass_chunk
from engine.families.context._kernels.sequence import (
    accumulate_positions, boundary_scores, ema_two_sided, reduce_chunks, smooth_sequence, stack_phi,
)

__all__ = ["EPS", "context_chunk", "one_pass_chunk", "accumulate_positions", "boundary_scores",
           "ema_two_sided", "reduce_chunks", "smooth_sequence", "stack_phi"]
