"""The context family's E-steps (:class:`ContextEStep`, mode ``one_pass`` or ``context``).

``one_pass``: θ_td = Σ_w (τ n_dw / n_d) p(t|w) with p(t|w) = norm_t(φ_wt n_t) (n_t of the
previous pass, uniform on the first), then p_tdw = norm_t(φ_wt θ_td), n_wt = Σ_d τ n_dw p_tdw
(the seed's *naive* TARTM: p′ = p).

``tartm``: the same θ and p, plus the seed's correction of the modified EM, n_wt += E with
E_wt = Σ_d τ n_dw (p′_tdw − p_tdw) (:mod:`engine.families.context._kernels.tartm`); entries of
n_wt made negative by it are cut to 0 by the M-step's norm (the seed's norm = positive part).

``context``: per token position, left and right exponential moving averages of p(t|w_i) with
γ = 1/window (γ = 1 at the document start, γ = 0 skips a token, optionally scaled by idf),
θ_ti = β·left + (1−β)·right over the token's neighbours, p_ti = norm_t(φ_{w_i t} θ_ti),
n_wt = Σ_i [w_i = w] τ p_ti; ``context_passes`` > 1 re-runs the averages over the p_ti of the
previous pass. θ_d reported for the document is norm_t Σ_i p_ti.

With E-step regularizers the p_ti of a block of documents are materialized, post-processed
(``Regularizer.apply_estep``) and then accumulated. Θ regularizers have no Θ to act on here and
are ignored.
"""
from __future__ import annotations

import numpy as np

from engine.em.estep import BagEStep, chunks
from engine.em.family import EStep
from engine.em.topics import p_t_given_w
from engine.errors import InputError
from engine.families.context import _kernels as CK
from engine.families.context._kernels import tartm as TK
from engine.families.context.options import ContextOptions
from engine.families.context.reading import positions_topics, sequence_modality, token_gammas

__all__ = ["ContextEStep", "BLOCK_POSITIONS"]

#: positions per block when an E-step regularizer needs p_ti materialized
BLOCK_POSITIONS = 1 << 17


def _blocks(ptr: np.ndarray, d0: int, d1: int, limit: int) -> list[tuple[int, int]]:
    out, a = [], d0
    while a < d1:
        b = a + 1
        while b < d1 and ptr[b + 1] - ptr[a] <= limit:
            b += 1
        out.append((a, b))
        a = b
    return out


class ContextEStep(EStep):
    """E-step of ``options.mode`` (``standard`` delegates to the bag-of-words E-step)."""

    def __init__(self, trainer):
        corpus = trainer.corpus
        self.options = ContextOptions.from_dict(trainer.config.options)
        self._bag = BagEStep(trainer)
        seqs = corpus.sequences  # mode "context" without sequences: refused by family.check_corpus
        self._seq_mod = sequence_modality(list(corpus.modalities))
        if seqs is not None:
            self._ptr = np.ascontiguousarray(seqs.ptr, np.int64)
            self._seq = np.ascontiguousarray(seqs.token, np.int32)
            if len(self._ptr) != corpus.n_docs + 1:
                raise InputError(f"the corpus has {corpus.n_docs} documents but sequences for "
                                 f"{len(self._ptr) - 1}")
        else:
            self._ptr = np.zeros(corpus.n_docs + 1, np.int64)
            self._seq = np.zeros(0, np.int32)
        self._cbufs: np.ndarray | None = None

    def close(self) -> None:
        self._cbufs = None

    def token_topics(self, tr, docs) -> list[np.ndarray]:
        """[p(t|d,w_i) (T, n_d) for d in docs] with the trainer's Φ, in this mode (one batched
        kernel call)."""
        docs = [int(d) for d in docs]
        seqs = tr.corpus.sequences
        parts = [seqs.of(d)[0] if seqs is not None else tr.corpus.n_dw[d].indices for d in docs]
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in parts])]).astype(np.int64)
        seq = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
        thetas = tr.theta_buffer[docs] if self.options.mode == "standard" else None
        it = max(1, tr.iteration)
        estep = [(r, t) for r, t in ((r, tr.taus(tr.config, it)[r.name]) for r in tr.config.regularizers)
                 if r.acts_on_estep and r.enabled and t]
        P = positions_topics(tr.model, ptr, seq, self.options, it, corpus=tr.corpus,
                             thetas=thetas, estep=estep)
        return [np.ascontiguousarray(P[ptr[i]:ptr[i + 1]].T) for i in range(len(docs))]

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        mode = self.options.mode
        if mode == "standard":
            return self._bag.run(tr, cfg, tok_weight, reset, theta_terms, estep_terms)
        it = tr.iteration + 1
        opts = self.options
        m = tr.n_dw
        phi, tok_mod = tr.phi, tr.token_modality
        D, T = tr.theta_buffer.shape
        W, M = phi.shape[0], len(tr.modalities)
        p_tw = p_t_given_w(phi, tr.n_t)
        pp = CK.stack_phi(phi, p_tw) if mode == "context" else None
        gamma_w = token_gammas(tr.corpus.vocab, tr.corpus.n_docs, tok_mod, self._seq_mod,
                               opts.gamma(it), opts.importance)
        beta = np.float32(opts.beta_at(it))
        hooks = [(r, float(t)) for r, t in estep_terms if float(t) != 0.0]
        direct = bool(hooks)
        weights = m.indptr  # bag entries (+ positions in the sequence modes) balance the chunks
        if mode == "context" or direct:
            weights = self._ptr + m.indptr
        parts = chunks(np.asarray(weights, np.float64), cfg.threads)
        C = len(parts)
        if self._cbufs is None or self._cbufs.shape != (C, W, T):
            self._cbufs = np.empty((C, W, T), np.float32)
        bufs = self._cbufs
        theta = np.zeros((D, T), np.float32)
        logs = np.zeros((3, C, M))
        seq, ptr, seq_mod = self._seq, self._ptr, self._seq_mod
        empty_p = np.zeros((0, T), np.float32)

        def run(c):
            d0, d1 = parts[c]
            bufs[c].fill(0.0)
            blocks = _blocks(ptr, d0, d1, BLOCK_POSITIONS) if direct else [(d0, d1)]
            for b0, b1 in blocks:
                s0, s1 = int(ptr[b0]), int(ptr[b1])
                P = np.empty((s1 - s0, T), np.float32) if direct else empty_p
                if direct and s1 == s0:
                    P = np.zeros((0, T), np.float32)
                if mode == "context":
                    CK.context_chunk(b0, b1, ptr, seq, m.indptr, m.indices, m.data, tok_weight,
                                     tok_mod, seq_mod, gamma_w, beta, opts.context_passes,
                                     opts.include_self, pp,
                                     bufs[c], direct, theta, P, logs[0, c], logs[1, c], logs[2, c])
                else:
                    CK.one_pass_chunk(b0, b1, m.indptr, m.indices, m.data, tok_weight, tok_mod,
                                      phi, p_tw, bufs[c], direct, theta, ptr, seq, P,
                                      logs[0, c], logs[1, c], logs[2, c])
                if direct and P.shape[0]:
                    local = np.ascontiguousarray(ptr[b0:b1 + 1] - s0)
                    for reg, tau in hooks:
                        reg.apply_estep(P, local, tau)
                    CK.accumulate_positions(seq, s0, s1, P, tok_weight, bufs[c])

        n_wt = np.empty((W, T), np.float32)
        rows = chunks(np.arange(W + 1, dtype=np.float64), C)

        def reduce(r):
            CK.reduce_chunks(rows[r][0], rows[r][1], bufs, phi, direct, n_wt)

        def gradient(c):  # full TARTM: G of the n_wt correction, into the free chunk buffers
            bufs[c].fill(0.0)
            TK.tartm_gradient(parts[c][0], parts[c][1], m.indptr, m.indices, m.data, tok_weight, phi, p_tw,
                              theta, bufs[c])

        steps = [(run, C), (reduce, len(rows))] + ([(gradient, C)] if mode == "tartm" else [])
        for fn, n in steps:
            if C == 1:
                for i in range(n):
                    fn(i)
            else:
                list(tr.pool(C).map(fn, range(n)))
        if mode == "tartm":
            n_wt += TK.tartm_correction(bufs.sum(axis=0, dtype=np.float64), p_tw)
        return n_wt, theta, logs[0].sum(axis=0), logs[1].sum(axis=0)
