"""Inspection of a fitted model: pure functions returning DataFrames for the CLI and the views.

Names follow the ARTM papers: Φ (W, T) with φ_wt = p(w|t), Θ (T, D) with θ_td = p(t|d).
Nothing here draws, trains or writes; the inference helpers (``engine.em.inference``) are used for
inference and per-token topics.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.corpus.ingest import vectorize_texts
from engine.em.inference import infer_theta, one_pass_theta, token_topics
from engine.em.model import TopicModel
from engine.em.scores import coherence_per_topic, cooccurrence, top_token_ids
from engine.em.topics import kernel_stats
from engine.errors import InputError

__all__ = ["top_tokens", "top_documents", "doc_topics", "token_topic_table", "transform",
           "search_documents", "token_marginal", "topic_summary", "score_history"]


def _vocab_frame(vocab) -> pd.DataFrame:
    if isinstance(vocab, pd.DataFrame):
        return vocab
    return vocab.vocab  # a Corpus


def token_marginal(model: TopicModel, vocab: pd.DataFrame) -> np.ndarray:
    """p(w) within each token's modality, shape (W,): the corpus frequency tf_w / Σ tf when the
    vocabulary has a ``tf`` column (pyLDAvis' choice), else Σ_t φ_wt n_t / Σ_t n_t."""
    codes = np.asarray(model.token_modality)
    if "tf" in vocab.columns:
        x = vocab["tf"].to_numpy(dtype=np.float64)
    else:
        x = np.asarray(model.phi, dtype=np.float64) @ np.asarray(model.n_t, dtype=np.float64)
    tot = np.bincount(codes, weights=x, minlength=len(model.modalities))
    den = tot[codes]
    return np.divide(x, den, out=np.zeros_like(x), where=den > 0)


def top_tokens(model: TopicModel, vocab, n: int = 10, modality: str | None = None,
               relevance_lambda: float = 1.0, topics=None) -> pd.DataFrame:
    """The n most relevant tokens of each topic, per modality.

    Relevance (Sievert & Shirley 2014, pyLDAvis):

    .. math:: r_\\lambda(w,t) = \\lambda \\ln\\phi_{wt} + (1-\\lambda)\\ln\\frac{\\phi_{wt}}{p(w)}

    λ = 1 ranks by φ_wt; smaller λ favours tokens specific to the topic. Tokens with φ_wt = 0 are
    never listed.

    Parameters
    ----------
    model : TopicModel
    vocab : DataFrame[token, modality, (tf)] of W rows, or a Corpus
    n : int
    modality : str, optional
        One modality; all modalities when omitted.
    relevance_lambda : float in [0, 1]
    topics : selector for :meth:`TopicModel.topic_indices` (``None`` = all topics)

    Returns
    -------
    DataFrame with columns topic, label, rank (1-based), token, modality, p_wt, relevance;
    ordered by topic (model order), modality, rank.
    """
    if not 0.0 <= float(relevance_lambda) <= 1.0:
        raise InputError(f"relevance_lambda must be in [0, 1], got {relevance_lambda}")
    if n < 1:
        raise InputError(f"n must be >= 1, got {n}")
    vocab = _vocab_frame(vocab)
    phi = np.asarray(model.phi)
    codes = np.asarray(model.token_modality)
    mods = list(model.modalities)
    if modality is not None and modality not in mods:
        raise InputError(f"unknown modality {modality!r}; the model has {', '.join(mods)}")
    lam = float(relevance_lambda)
    pw = token_marginal(model, vocab) if lam < 1.0 else None
    idx = model.topic_indices("all" if topics is None else topics)
    toks = vocab["token"].to_numpy().astype(object)
    cols = ["topic", "label", "rank", "token", "modality", "p_wt", "relevance"]
    names = np.asarray(model.topic_names, dtype=object)
    labels = np.asarray([model.label(t) for t in range(model.n_topics)], dtype=object)
    parts = []
    for mi, m in enumerate(mods):
        if modality is not None and m != modality:
            continue
        rows = np.flatnonzero(codes == mi)
        if len(rows) == 0 or len(idx) == 0:
            continue
        sub = np.ascontiguousarray(phi[rows][:, idx].T, dtype=np.float64)  # (T', W_m)
        with np.errstate(divide="ignore"):
            logp = np.log(sub)  # -inf where φ = 0
            if pw is None:
                rel = logp
            else:
                lpw = np.log(np.where(pw[rows] > 0, pw[rows], 1.0))[None, :]
                rel = logp - (1.0 - lam) * lpw
        k = min(n, len(rows))
        cand = np.argpartition(-rel, k - 1, axis=1)[:, :k] if k < len(rows) else np.tile(np.arange(len(rows)), (len(idx), 1))
        # order the k candidates of every topic by relevance, ties by token id
        cr = np.take_along_axis(rel, cand, axis=1)
        order = np.lexsort((rows[cand], -cr), axis=-1)
        cand = np.take_along_axis(cand, order, axis=1)
        cr = np.take_along_axis(cr, order, axis=1)
        cp = np.take_along_axis(sub, cand, axis=1)
        ok = cp > 0
        tt = np.repeat(np.arange(len(idx)), k).reshape(len(idx), k)
        rank = np.cumsum(ok, axis=1)
        parts.append(pd.DataFrame({
            "topic": names[idx[tt[ok]]], "label": labels[idx[tt[ok]]], "rank": rank[ok],
            "token": toks[rows[cand[ok]]], "modality": m, "p_wt": cp[ok], "relevance": cr[ok],
            "_t": tt[ok], "_m": mi,
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=float if c in ("p_wt", "relevance") else object)
                             for c in cols})
    out = pd.concat(parts, ignore_index=True).sort_values(["_t", "_m", "rank"], kind="stable")
    return out[cols].reset_index(drop=True)


def _snippet(text, width: int = 160) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= width else s[: width - 1] + "…"


def top_documents(model: TopicModel, corpus, topic, n: int = 10) -> pd.DataFrame:
    """The n documents with the largest θ_td for one topic (name or index).

    Returns DataFrame[rank, doc, id, theta, snippet] (+ ``date`` / ``title`` when the corpus has
    them); ``doc`` is the row index in the corpus.
    """
    t = int(model.topic_indices(topic if isinstance(topic, (str, list, tuple)) else [topic])[0])
    th = np.asarray(model.theta[t], dtype=np.float64)
    k = min(n, len(th))
    if k == 0:
        return pd.DataFrame(columns=["rank", "doc", "id", "theta", "snippet"])
    cand = np.argpartition(-th, k - 1)[:k] if k < len(th) else np.arange(len(th))
    order = cand[np.lexsort((cand, -th[cand]))]
    order = order[th[order] > 0]
    docs = corpus.documents
    out = pd.DataFrame({"rank": np.arange(1, len(order) + 1), "doc": order,
                        "id": docs["id"].to_numpy()[order].astype(str), "theta": th[order]})
    for c in ("title", "date"):
        if c in docs.columns:
            out[c] = docs[c].to_numpy()[order]
    out["snippet"] = [_snippet(x) for x in docs["text"].to_numpy()[order]] if "text" in docs.columns else ""
    return out


def doc_topics(model: TopicModel, d: int) -> pd.DataFrame:
    """θ_·d of document d as DataFrame[topic, label, background, theta], largest first."""
    th = np.asarray(model.theta[:, int(d)], dtype=np.float64)
    out = pd.DataFrame({"topic": model.topic_names, "label": [model.label(t) for t in range(model.n_topics)],
                        "background": np.asarray(model.background, bool), "theta": th})
    return out.sort_values("theta", ascending=False, kind="stable").reset_index(drop=True)


def token_topic_table(model: TopicModel, corpus, d: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Topics of every token position of document d.

    Returns
    -------
    table : DataFrame[position, token, start, end, topic, label, p]
        One row per position in reading order; ``topic`` is argmax_t p(t|d,w_i) (empty when all
        are 0), ``p`` its probability; ``text[start:end]`` is the surface form.
    matrix : ndarray of shape (T, n_d), float32
        p(t|d,w_i) = norm_t(φ_{w_i t} θ_td), the heatmap under the text.
    """
    if corpus.sequences is None:
        raise InputError(f"corpus {corpus.name!r} has no token sequences (bag-of-words input); "
                         "per-token topics need text")
    d = int(d)
    if not 0 <= d < corpus.n_docs:
        raise InputError(f"document {d} is out of range (0..{corpus.n_docs - 1})")
    tokens, start, end = corpus.sequences.of(d)
    mat = np.asarray(token_topics(model, corpus, d))  # (T, n) p(t|d,w_i)
    best = mat.argmax(axis=0) if mat.shape[1] else np.zeros(0, dtype=np.int64)
    pbest = mat[best, np.arange(mat.shape[1])] if mat.shape[1] else np.zeros(0)
    names = np.asarray(model.topic_names, dtype=object)
    labels = np.asarray([model.label(t) for t in range(model.n_topics)], dtype=object)
    alive = pbest > 0
    table = pd.DataFrame({
        "position": np.arange(len(tokens)),
        "token": corpus.vocab["token"].to_numpy()[tokens] if len(tokens) else np.zeros(0, dtype=object),
        "start": start, "end": end,
        "topic": np.where(alive, names[best], ""), "label": np.where(alive, labels[best], ""),
        "p": pbest.astype(np.float64),
    })
    return table, mat


def transform(run, corpus, texts: list[str], passes: int | None = None, method: str = "em") -> pd.DataFrame:
    """Topics of new texts: vectorize with the corpus' preprocessing, then infer θ with Φ fixed
    (``method="em"``: BigARTM's transform, ``passes`` inner iterations) or in one pass
    (``method="one_pass"``: θ_td = Σ_w (n_dw/n_d) norm_t(φ_wt n_t), TARTM; instant).

    Returns DataFrame with one row per text: ``text`` (index in ``texts``), ``tokens`` (number of
    in-vocabulary tokens found) and one column per topic name with θ_td (all 0 for a text with
    no known token).
    """
    if method not in ("em", "one_pass"):
        raise InputError(f"transform method must be 'em' or 'one_pass', got {method!r}")
    texts = [str(t) for t in texts]
    n_dw, _seq = vectorize_texts(corpus, texts)
    model = run.model if hasattr(run, "model") else run
    if method == "one_pass":
        theta = np.asarray(one_pass_theta(model, n_dw), dtype=np.float64)
    else:
        kw = {} if passes is None else {"inner_passes": int(passes)}
        theta = np.asarray(infer_theta(model, n_dw, **kw), dtype=np.float64)  # (T, n)
    out = pd.DataFrame({"text": np.arange(len(texts)), "tokens": np.asarray(n_dw.sum(axis=1)).ravel()})
    for j, name in enumerate(model.topic_names):
        out[name] = theta[j]
    return out


def search_documents(corpus, query: str, column: str | None = None, limit: int = 50) -> pd.DataFrame:
    """Documents whose ``column`` (default: ``text``) contains ``query`` (case-insensitive,
    literal substring), most occurrences first.

    Returns DataFrame[doc, id, matches, snippet] where ``snippet`` shows the first match in
    context.
    """
    docs = corpus.documents
    column = column or "text"
    if column not in docs.columns:
        raise InputError(f"no column {column!r} in corpus {corpus.name!r}; columns: {', '.join(map(str, docs.columns))}")
    q = str(query).strip()
    cols = ["doc", "id", "matches", "snippet"]
    if not q:
        return pd.DataFrame(columns=cols)
    values = docs[column].astype("string").fillna("")
    counts = values.str.count(re.escape(q), flags=re.IGNORECASE).to_numpy(dtype=np.int64)
    hit = np.flatnonzero(counts > 0)
    order = hit[np.lexsort((hit, -counts[hit]))][: max(int(limit), 0)]
    pat = re.compile(re.escape(q), re.IGNORECASE)
    snippets = []
    for v in values.to_numpy()[order]:
        v = str(v)
        mt = pat.search(v)
        a = max(0, mt.start() - 60)
        b = min(len(v), mt.end() + 60)
        snippets.append(("…" if a else "") + " ".join(v[a:b].split()) + ("…" if b < len(v) else ""))
    return pd.DataFrame({"doc": order, "id": docs["id"].to_numpy()[order].astype(str),
                         "matches": counts[order], "snippet": snippets}, columns=cols)


def topic_summary(model: TopicModel, corpus=None, modality: str | None = None, threshold: float = 0.25,
                  top_k: int = 10, n_tokens: int = 8) -> pd.DataFrame:
    """One row per topic with BigARTM's per-topic quality measures (default modality unless
    ``modality`` is given).

    Columns: topic, label, background, mass (n_t / Σ n_s), kernel_size, kernel_purity,
    kernel_contrast (kernel W_t = {w : p(t|w) > threshold}, p(t|w) from Φ and the model's n_t;
    see :class:`engine.em.scores.TopicKernel`), coherence (mean NPMI of the top-k tokens over
    document co-occurrence in ``corpus``; NaN without a corpus or for a dead topic), dead, and
    top_tokens (the first ``n_tokens`` tokens joined by ", ").
    """
    mods = list(model.modalities)
    m = modality or mods[0]
    if m not in mods:
        raise InputError(f"unknown modality {modality!r}; the model has {', '.join(mods)}")
    mask = np.asarray(model.token_modality) == mods.index(m)
    phi = np.asarray(model.phi)[mask]
    n_t = np.asarray(model.n_t, dtype=np.float64)
    if not np.any(n_t > 0):
        n_t = np.ones(model.n_topics)
    size, purity, contrast, _ = kernel_stats(phi, n_t, threshold)
    dead = phi.sum(axis=0) <= 0
    all_t = np.arange(model.n_topics)
    coh = np.full(model.n_topics, np.nan)
    if corpus is not None:
        live = all_t[~dead]
        vals = coherence_per_topic(cooccurrence(corpus), top_token_ids(np.asarray(model.phi), mask, live, top_k))
        coh[live] = vals
    vocab_tokens = corpus.vocab["token"].to_numpy().astype(object) if corpus is not None else None
    tops = top_token_ids(np.asarray(model.phi), mask, all_t, n_tokens)
    words = [", ".join(map(str, vocab_tokens[ids])) if vocab_tokens is not None else "" for ids in tops]
    mass = n_t / n_t.sum()
    return pd.DataFrame({
        "topic": model.topic_names, "label": [model.label(t) for t in all_t],
        "background": np.asarray(model.background, bool), "mass": mass,
        "kernel_size": size.astype(np.int64), "kernel_purity": purity, "kernel_contrast": contrast,
        "coherence": coh, "dead": dead, "top_tokens": words,
    })


def score_history(run, wide: bool = True) -> pd.DataFrame:
    """The score history on the run's active branch: long (iteration, score, value) or wide
    (one row per iteration, one column per score; NaN where a score was not computed)."""
    s = run.active_scores()
    if not wide:
        return s[["iteration", "score", "value"]].reset_index(drop=True)
    if s.empty:
        return pd.DataFrame({"iteration": pd.Series([], dtype="int64")})
    w = s.pivot_table(index="iteration", columns="score", values="value", aggfunc="last")
    w.columns.name = None
    return w.reset_index()
