"""Inference with Φ fixed: Θ of new documents (BigARTM ``transform``), held-out perplexity,
the one-pass Θ (TARTM) and the topics of every token position of a document."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from engine.em import _kernels as K
from engine.em.arrays import as_csr
from engine.em.model import TopicModel
from engine.em.perplexity import perplexity_of
from engine.em.topics import p_t_given_w
from engine.errors import InputError

__all__ = ["transform", "infer_theta", "holdout_perplexity", "one_pass_theta", "token_topics"]


def _model_arrays(model: TopicModel, n_dw, modality_weights):
    W = model.phi.shape[0]
    m = as_csr(n_dw, W)
    weights = np.array([float((modality_weights or {}).get(mm, 1.0)) for mm in model.modalities],
                       np.float32)
    tok_mod = np.ascontiguousarray(model.token_modality, np.int32)
    return m, np.ascontiguousarray(model.phi, np.float32), weights[tok_mod], tok_mod


def transform(model: TopicModel, n_dw, inner_passes: int = 10, modality_weights: dict | None = None):
    """θ of new documents with Φ fixed (BigARTM ``transform``), plus their log-likelihood.

    Parameters
    ----------
    model : TopicModel
    n_dw : sparse or dense (D', W) counts over the model's vocabulary
    inner_passes : int
        θ updates per document, starting from 1/T.
    modality_weights : dict modality -> τ_m, optional

    Returns
    -------
    theta : ndarray (T, D'), float32
    loglik : dict modality -> Σ n_dw ln p(w|d)
    n_tokens : dict modality -> Σ n_dw
    """
    m, phi, tok_weight, tok_mod = _model_arrays(model, n_dw, modality_weights)
    D, T, M = m.shape[0], phi.shape[1], len(model.modalities)
    theta = np.zeros((D, T), np.float32)
    logs = np.zeros((3, M))
    z = np.zeros(T, np.float32)
    K.infer_chunk(0, D, m.indptr, m.indices, m.data, tok_weight, tok_mod, phi, theta,
                  int(inner_passes), z, z, np.zeros((0, T), np.float32), logs[0], logs[1], logs[2])
    names = list(model.modalities)
    return (theta.T.copy(), {n: float(logs[0, j]) for j, n in enumerate(names)},
            {n: float(logs[1, j]) for j, n in enumerate(names)})


def infer_theta(model: TopicModel, n_dw, inner_passes: int = 10,
                modality_weights: dict | None = None) -> np.ndarray:
    """θ (T, D') of new documents with Φ fixed; see :func:`transform`."""
    return transform(model, n_dw, inner_passes, modality_weights)[0]


def holdout_perplexity(model: TopicModel, n_dw, inner_passes: int = 10,
                       modality_weights: dict | None = None) -> dict[str, float]:
    """``perplexity`` and ``perplexity@<modality>`` of documents not used in training."""
    _, loglik, n_tok = transform(model, n_dw, inner_passes, modality_weights)
    return perplexity_of(loglik, n_tok, list(model.modalities), modality_weights)


def one_pass_theta(model: TopicModel, n_dw, modality_weights: dict | None = None) -> np.ndarray:
    """θ_td = Σ_w (τ n_dw / n_d) p(t|w), p(t|w) = norm_t(φ_wt n_t) — no iterations (TARTM).

    Returns ndarray (T, D'), float32; columns of empty documents are 0. A model without topic
    mass (never trained) uses n_t = 1.
    """
    m, phi, tok_weight, _ = _model_arrays(model, n_dw, modality_weights)
    p_tw = p_t_given_w(phi, model.n_t)
    theta = np.zeros((m.shape[0], phi.shape[1]), np.float32)
    K.one_pass_theta(m.indptr, m.indices, m.data, tok_weight, p_tw, theta)
    return theta.T.copy()


def token_topics(model: TopicModel, source, d: int | None = None,
                 theta_d: np.ndarray | None = None) -> np.ndarray:
    """p(t|d,w_i) for every token position i of one document: ndarray (T, n_d), float32.

    ``source`` is a Corpus (then ``d`` picks the document: its token sequence in reading order,
    or its bag-of-words tokens when the corpus has no sequences; θ_d from ``model.theta``
    unless ``theta_d`` is given) or an array of token ids (then ``theta_d`` is required, or it
    is inferred from those tokens).
    """
    phi = np.ascontiguousarray(model.phi, np.float32)
    if hasattr(source, "n_dw"):
        if d is None:
            raise InputError("token_topics: give the document index d")
        if source.sequences is not None:
            tokens = source.sequences.of(d)[0]
        else:
            row = source.n_dw[d]
            tokens = row.indices
        if theta_d is None:
            theta_d = model.theta[:, d]
    else:
        tokens = np.asarray(source, np.int64)
        if theta_d is None:
            counts = np.bincount(tokens, minlength=phi.shape[0]).astype(np.float32)[None, :]
            theta_d = infer_theta(model, sp.csr_matrix(counts))[:, 0]
    tokens = np.ascontiguousarray(tokens, np.int64)
    out = np.zeros((phi.shape[1], len(tokens)), np.float32)
    K.token_topics(phi, np.ascontiguousarray(theta_d, np.float32), tokens, out)
    return out
