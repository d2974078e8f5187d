"""Segmentation of a document where its left and right topic contexts differ most.

Two rules (:data:`RULES`): ``"gap"`` (default) and the seed's ``"seed"`` (‖L_i − R_i‖ boundaries,
½(R_i + L_j) segment θ). On Choi-style NeurIPS test documents both find boundaries equally well
and the mean of a segment's token topics (``gap``) agrees more often with the passage's own main
topic (0.85 vs 0.81), hence the default (bench/README §10.8)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.em.model import TopicModel
from engine.errors import InputError
from engine.families.context import _kernels as CK
from engine.families.context.options import ContextOptions
from engine.families.context.reading import token_topics

__all__ = ["RULES", "DEFAULT_RULE", "boundary_scores", "pick_boundaries", "merge_same_topic", "segment_thetas",
           "segment"]

#: "gap": boundary before i scored ½‖L_{i−1} − R_i‖₁, a segment's θ = mean of its p_ti;
#: "seed": the seed's rule — the two contexts *of one position*, ½‖L_i − R_i‖₁ (scored on the gap
#: after i), and a segment [i … j]'s θ = ½(R_i + L_j) (bench/README §10.8 measured both).
RULES = ("gap", "seed")
DEFAULT_RULE = "gap"


def _emas(P: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    """Left and right EMAs (n, T) of one document's token topics, each including position i."""
    P = np.ascontiguousarray(P, np.float32)
    L, R = np.empty_like(P), np.empty_like(P)
    CK.ema_two_sided(P, np.array([0, P.shape[0]], np.int64), np.float32(1.0 / max(1.0, window)), L, R)
    return L, R


def boundary_scores(P: np.ndarray, window: float = 10.0, rule: str = DEFAULT_RULE) -> np.ndarray:
    """Boundary score before every position of one document (n,), in [0, 1], from the token
    topics ``P`` (n, T) and EMAs with γ = 1/window. ``rule="gap"``: total variation between the
    left context ending at i−1 and the right context starting at i. ``rule="seed"``: the seed's
    ½‖L_{i−1} − R_{i−1}‖₁ (left and right contexts of position i−1, both containing it), i.e.
    position i−1 is the last of its segment. out[0] = 0."""
    if rule not in RULES:
        raise InputError(f"segmentation rule must be one of {', '.join(RULES)}, got {rule!r}")
    P = np.ascontiguousarray(P, np.float32)
    out = np.zeros(P.shape[0], np.float64)
    if rule == "gap":
        CK.boundary_scores(P, np.float32(1.0 / max(1.0, window)), out)
    elif P.shape[0] > 1:
        L, R = _emas(P, window)
        out[1:] = 0.5 * np.abs(L[:-1].astype(np.float64) - R[:-1]).sum(axis=1)
    return out


def segment_thetas(P: np.ndarray, edges: list[int], window: float = 10.0, rule: str = DEFAULT_RULE) -> np.ndarray:
    """θ (S, T) of the segments [edges[k], edges[k+1]) of one document, normalized: the mean of
    their token topics (``rule="gap"``) or the seed's ½(R_a + L_{b−1}) (``rule="seed"``)."""
    P = np.asarray(P, np.float64)
    if rule == "seed":
        L, R = _emas(P, window)
        th = np.stack([0.5 * (R[a].astype(np.float64) + L[b - 1]) for a, b in zip(edges, edges[1:])])
    else:
        th = np.stack([P[a:b].mean(axis=0) for a, b in zip(edges, edges[1:])])
    s = th.sum(axis=1, keepdims=True)
    return np.divide(th, s, out=np.zeros_like(th), where=s > 0)


def pick_boundaries(scores: np.ndarray, threshold: float, min_gap: int) -> list[int]:
    """Positions i (boundary before i) whose score is ≥ ``threshold`` and is a peak: the
    largest within ``min_gap`` positions on either side (the decaying tails of the moving
    averages around a true boundary are not peaks). Boundaries closer than ``min_gap`` to
    each other or to a document edge are dropped, taken greedily from the highest score."""
    scores = np.asarray(scores, np.float64)
    n = len(scores)
    gap = max(1, int(min_gap))
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        i = int(i)
        if scores[i] < threshold:
            break
        if i < gap or n - i < gap:
            continue
        if scores[i] < scores[max(0, i - gap):i + gap + 1].max():
            continue
        if all(abs(i - j) >= gap for j in chosen):
            chosen.append(i)
    return sorted(chosen)


def merge_same_topic(P: np.ndarray, cuts: list[int]) -> list[int]:
    """Drop the boundaries between neighbouring segments whose mean token topics (rows of P,
    (n, T)) have the same most probable topic."""
    n = P.shape[0]
    kept: list[int] = []
    a = 0
    for c, b in zip(cuts, list(cuts[1:]) + [n]):
        left = P[a:c].astype(np.float64).mean(axis=0)
        right = P[c:b].astype(np.float64).mean(axis=0)
        if left.sum() > 0 and right.sum() > 0 and int(np.argmax(left)) == int(np.argmax(right)):
            continue  # the same main topic on both sides: the segment goes on
        kept.append(int(c))
        a = c
    return kept


def segment(model: TopicModel, corpus, d: int, threshold: float = 0.3,
            options: ContextOptions | None = None, window: float | None = None,
            min_length: int | None = None, top: int = 3, merge: bool = True,
            estep=(), rule: str = DEFAULT_RULE) -> list[dict]:
    """Split document ``d`` where its left and right topic contexts differ most.

    Token topics come from ``options`` (default: context mode, window 10, β = 0.5, 2 passes) on
    ``model``; boundary scores as in :func:`boundary_scores` with ``window`` (default: the
    options' window at its last value); a boundary needs a score ≥ ``threshold`` (in [0, 1])
    and at least ``min_length`` tokens (default: the window, ≥ 2) to any other boundary or edge.
    With ``merge`` (default) neighbouring segments whose most probable topic is the same are
    joined (the boundary between them changed the mixture, not the main topic). ``estep``
    [(E-step regularizer, τ)] post-process the token topics (:func:`estep_terms` of the run).
    ``rule`` (:data:`RULES`) picks the boundary score and the segment θ.

    Returns
    -------
    list of dict, one per segment, tiling the text: ``index``, ``start``/``end`` (character
    offsets; the first starts at 0, the last ends at len(text)), ``token_start``/``token_end``
    (positions, end exclusive), ``n_tokens``, ``boundary_score`` (of the boundary opening the
    segment; 0 for the first), ``topic`` (the most probable topic's name), ``topic_index``,
    ``label``, ``theta`` (list of T floats: the mean token topics of the segment) and
    ``top_topics`` (up to ``top`` dicts {topic, label, p}). A document without tokens gives one
    empty-topic segment.
    """
    if corpus.sequences is None:
        raise InputError("segmentation needs token sequences; this corpus has only bags of words")
    if not 0 <= d < corpus.n_docs:
        raise InputError(f"document index {d} out of range (0..{corpus.n_docs - 1})")
    opts = options or ContextOptions()
    if opts.mode == "standard":
        opts = replace(opts, mode="context")
    tokens, start, end = corpus.sequences.of(d)
    text = str(corpus.documents["text"].iloc[d] or "") if "text" in corpus.documents.columns else ""
    T = model.n_topics
    n = len(tokens)
    win = float(window if window is not None else opts.window(10_000))
    gap = int(min_length if min_length is not None else max(2, round(win)))
    if n == 0:
        return [{"index": 0, "start": 0, "end": len(text), "token_start": 0, "token_end": 0,
                 "n_tokens": 0, "boundary_score": 0.0, "topic": None, "topic_index": None, "label": None,
                 "theta": [0.0] * T, "top_topics": []}]
    P = token_topics(model, tokens, opts, iteration=10_000, corpus=corpus, estep=estep).T  # (n, T)
    scores = boundary_scores(P, win, rule)
    cuts = pick_boundaries(scores, threshold, gap)
    if merge:
        cuts = merge_same_topic(P, cuts)
    edges = [0] + cuts + [n]
    thetas = segment_thetas(P, edges, win, rule)
    out = []
    for k, (a, b) in enumerate(zip(edges, edges[1:])):
        th = thetas[k]
        s = th.sum()
        order = np.argsort(-th, kind="stable")[:top]
        best = int(order[0]) if s > 0 else None
        out.append({
            "index": k,
            "start": 0 if k == 0 else int(start[a]),
            "end": len(text) if b == n else int(start[b]),
            "token_start": int(a), "token_end": int(b), "n_tokens": int(b - a),
            "boundary_score": 0.0 if k == 0 else float(scores[a]),
            "topic": None if best is None else model.topic_names[best],
            "topic_index": best,
            "label": None if best is None else model.label(best),
            "theta": [float(x) for x in th],
            "top_topics": [{"topic": model.topic_names[int(t)], "label": model.label(int(t)),
                            "p": float(th[t])} for t in order if th[t] > 0],
        })
    if out and not text:
        out[-1]["end"] = int(end[-1])
    return out
