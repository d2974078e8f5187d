"""numba kernels of the EM algorithm: pure functions over arrays, no I/O, no globals.

Conventions (ARTM names):

- ``n_dw`` is a CSR matrix given as ``indptr`` (int32/int64, D+1), ``indices`` (int32, nnz) and
  ``data`` (float32, nnz); row d = document d.
- ``phi`` is Φ of shape (W, T), float32, row-major, so φ_w· is contiguous.
- Θ is kept **transposed** inside the engine: ``theta`` of shape (D, T), float32, so θ_·d is
  contiguous. ``TopicModel.theta`` is its (T, D) view.
- ``tok_weight`` (W,) float32 is the modality weight τ_m of every token; ``tok_mod`` (W,) int32
  its modality code.

Every kernel is ``@njit(cache=True, nogil=True)``: the caller pre-allocates outputs, and several
Python threads may run kernels at the same time on disjoint ranges. The E-step has two phases:
:func:`estep_chunk` over contiguous document chunks (balanced by nnz) updates θ and stores the
ratios τ n_dw / p_dw; :func:`nwt_blocks` over contiguous token ranges sums them into n_wt, document
block by document block so that the ratios and θ rows it reads stay in cache (:mod:`.blocks`;
:func:`nwt_tokens` is the same sum over a plain CSC, for small batches). No per-thread n_wt
buffers, no reduction, and the result is the same for any thread count.
No ``parallel=True`` (numba's threading layers are not safe under concurrent Python threads) and
no ``fastmath`` on any kernel (they divide and take logs; zero guards must survive) — except
the leaves ``_dot``, ``_dot4`` and ``_positive_sum``, which only allow reassociation/FMA (see
``_dot``). Arrays are indexed
2-D (``phi[w, k]``), not through row views, which keeps the inner loops vectorized.

The order of operations follows BigARTM (``processor_helpers.cc``,
``InferThetaAndUpdateNwtSparse``; ``NormalizeThetaAgent``; ``perplexity.cc``) so perplexity
agrees pass by pass:

1. θ_d starts from 1/T (or from the previous pass when Θ is reused);
2. each inner pass: n_td = θ_td Σ_w τ n_dw φ_wt / p_dw with p_dw = Σ_t φ_wt θ_td;
   θ_td = norm_t(n_td + r_td), where norm sums the positive parts and zeroes values < 1e-16;
3. after the inner passes, with the final θ_d: n_wt += τ n_dw φ_wt θ_td / p_dw and the
   log-likelihood Σ n_dw ln p_dw (a token with p_dw = 0 contributes ln(n_dw / n_d), BigARTM's
   document-unigram fallback, and is counted as a zero token).
"""
from engine.em._kernels.blocks import doc_blocks, nwt_blocks
from engine.em._kernels.estep import BIG, EPS, _dot, estep_chunk, infer_chunk, nwt_tokens
from engine.em._kernels.mstep import add_decorrelation, add_outer, mstep, mstep_reg
from engine.em._kernels.topics import one_pass_theta, p_t_given_w, token_topics

__all__ = ["EPS", "BIG", "_dot", "estep_chunk", "nwt_tokens", "doc_blocks", "nwt_blocks", "infer_chunk", "mstep", "mstep_reg", "add_outer",
           "add_decorrelation", "one_pass_theta", "p_t_given_w", "token_topics"]
