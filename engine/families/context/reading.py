"""How a context-family model reads token sequences with Φ fixed: p(t|d,w_i) of every token
position under a :class:`~engine.families.context.options.ContextOptions` mode — used by the
family's E-step for its scores, by segmentation and by the app's token view."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.em.arrays import as_csr
from engine.em.inference import infer_theta
from engine.em.inference import token_topics as bag_token_topics
from engine.em.model import TopicModel
from engine.em.topics import p_t_given_w
from engine.errors import InputError
from engine.families.context import _kernels as CK
from engine.families.context.options import ContextOptions

__all__ = ["token_topics", "positions_topics", "token_gammas", "sequence_modality"]


def token_topics(model: TopicModel, tokens, options: ContextOptions | dict | None = None,
                 iteration: int = 1, corpus=None, theta_d=None, estep=()) -> np.ndarray:
    """p(t|d,w_i) (T, n) for one token sequence under ``options.mode``.

    ``"context"``: the context E-step of the sequence (window/β at ``iteration``);
    ``"one_pass"``: norm_t(φ_{w_i t} θ_t) with the one-pass θ of these tokens;
    ``"standard"``: norm_t(φ_{w_i t} θ_t) with ``theta_d`` (else θ inferred from the tokens).
    ``estep`` [(E-step regularizer, τ)] post-process the result. Empty sequences give (T, 0).
    """
    opts = ContextOptions.from_dict(options)
    tokens = np.ascontiguousarray(tokens, np.int64)
    P = positions_topics(model, np.array([0, len(tokens)], np.int64), tokens, opts, iteration,
                         corpus=corpus, thetas=None if theta_d is None else np.asarray(theta_d)[None, :],
                         estep=estep)
    return np.ascontiguousarray(P.T)


def positions_topics(model: TopicModel, ptr, seq, options: ContextOptions | None = None,
                     iteration: int = 1, corpus=None, thetas=None, estep=()) -> np.ndarray:
    """p(t|d,w_i) (N, T) float32 for many sequences at once (``ptr`` (D'+1,), ``seq`` (N,)).

    ``thetas`` (D', T) is used by mode ``"standard"`` (else θ is inferred per sequence);
    ``estep`` [(E-step regularizer, τ)] post-process P in the sequence modes.
    """
    opts = options or ContextOptions()
    phi = np.ascontiguousarray(model.phi, np.float32)
    W, T = phi.shape
    ptr = np.ascontiguousarray(ptr, np.int64)
    seq = np.ascontiguousarray(seq, np.int32)
    N, D = int(ptr[-1]), len(ptr) - 1
    if N and (seq.min() < 0 or seq.max() >= W):
        raise InputError("token ids out of the model's vocabulary")
    P = np.zeros((N, T), np.float32)
    if N == 0:
        return P
    tok_mod = np.ascontiguousarray(model.token_modality, np.int32)
    seq_mod = sequence_modality(list(model.modalities))
    tok_weight = np.ones(W, np.float32)
    mode = opts.mode
    if mode == "context":
        p_tw = p_t_given_w(phi, model.n_t)
        vocab = corpus.vocab if corpus is not None else None
        if vocab is not None and opts.importance == "idf":
            gamma_w = token_gammas(vocab, corpus.n_docs, tok_mod, seq_mod, opts.gamma(iteration), "idf")
        else:
            gamma_w = token_gammas(None, 0, tok_mod, seq_mod, opts.gamma(iteration), "none")
        z = np.zeros(D + 1, np.int64)
        logs = np.zeros((3, len(model.modalities)))
        CK.context_chunk(0, D, ptr, seq, z, np.zeros(0, np.int32), np.zeros(0, np.float32),
                         tok_weight, tok_mod, seq_mod, gamma_w, np.float32(opts.beta_at(iteration)),
                         opts.context_passes, opts.include_self, CK.stack_phi(phi, p_tw),
                         np.zeros((0, T), np.float32), True,
                         np.zeros((D, T), np.float32), P, logs[0], logs[1], logs[2])
        return _post_process(P, ptr, estep)
    doc = np.repeat(np.arange(D), np.diff(ptr))
    bag = as_csr(sp.csr_matrix((np.ones(N, np.float32), (doc, seq)), shape=(D, W)), W)
    if mode in ("one_pass", "tartm"):  # full TARTM reads a document like the naive one
        th = np.zeros((D, T), np.float32)
        CK.one_pass_chunk(0, D, bag.indptr, bag.indices, bag.data, tok_weight, tok_mod, phi,
                          p_t_given_w(phi, model.n_t), np.zeros((0, T), np.float32), True, th,
                          ptr, seq, P, *np.zeros((3, len(model.modalities))))
        # one_pass_chunk wrote P for positions of the sequence modality only
        return _post_process(P, ptr, estep)
    th = np.asarray(thetas, np.float32) if thetas is not None else infer_theta(model, bag).T
    for d in range(D):
        a, b = ptr[d], ptr[d + 1]
        P[a:b] = bag_token_topics(model, seq[a:b], theta_d=th[d]).T
    return P


def _post_process(P, ptr, estep):
    for reg, tau in estep:
        if tau:
            reg.apply_estep(P, ptr, float(tau))
    return P


def sequence_modality(modalities: list[str]) -> int:
    """Code of the modality the token sequences are in (the default one, else the first)."""
    return modalities.index(DEFAULT_MODALITY) if DEFAULT_MODALITY in modalities else 0


def token_gammas(vocab_df, n_docs: int, tok_mod: np.ndarray, seq_mod: int, gamma: float,
                 importance: str) -> np.ndarray:
    """γ_w (W,) float32: ``gamma`` for tokens of the sequence modality (times idf_w / mean idf
    with ``importance="idf"``, capped at 1), 0 for other tokens."""
    W = len(tok_mod)
    g = np.zeros(W, np.float32)
    mask = np.asarray(tok_mod) == seq_mod
    if importance == "idf" and vocab_df is not None and "df" in vocab_df.columns and n_docs > 0:
        df = np.maximum(vocab_df["df"].to_numpy(np.float64), 1.0)
        idf = np.log(max(n_docs, 1) / df) + 1.0
        scale = idf / max(idf[mask].mean() if mask.any() else 1.0, 1e-12)
        g[mask] = np.minimum(1.0, gamma * scale[mask])
    else:
        g[mask] = gamma
    return g
