"""Phrase detection at import: frequent collocations become one token (``new york`` → ``new_york``).

For every pair of terms (a, b) that stand next to each other in the text (no dropped word
between them) the score is the normalized pointwise mutual information

    NPMI(a, b) = log( p(a,b) / (p(a) p(b)) ) / ( -log p(a,b) ),      NPMI ∈ [-1, 1],

with p(a,b) = n_ab / N_pairs and p(a) = n_a / N over the kept tokens. A pair becomes a phrase when
``n_ab ≥ min_count`` and ``NPMI ≥ threshold``; its occurrences are merged left to right (in a run
``a b c`` where both ``a b`` and ``b c`` qualify, ``a b`` wins), and the merged token spans both
words' characters. One pass gives two-word phrases (bigrams), like gensim's ``Phrases`` scored
with ``npmi``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

JOIN = "_"


@dataclass(frozen=True)
class PhraseOptions:
    """``min_count``: fewest occurrences of the pair; ``threshold``: lowest NPMI;
    ``max_phrases``: keep the best-scoring pairs only."""

    min_count: int = 10
    threshold: float = 0.5
    max_phrases: int = 5000


def score_pairs(left: np.ndarray, right: np.ndarray, unigram: np.ndarray, n_tokens: int):
    """(pairs (P, 2) int64, count (P,), npmi (P,)) of the distinct adjacent pairs."""
    n_terms = len(unigram)
    key = left.astype(np.int64) * n_terms + right.astype(np.int64)
    uniq, count = np.unique(key, return_counts=True)
    return npmi_of(uniq // n_terms, uniq % n_terms, count, len(key), unigram, n_tokens)


def npmi_of(a: np.ndarray, b: np.ndarray, count: np.ndarray, n_pairs: int, unigram: np.ndarray, n_tokens: int):
    """(pairs (P, 2), count, npmi) of the pairs (a, b) seen ``count`` times among ``n_pairs``."""
    p_ab = count / max(n_pairs, 1)
    p_a, p_b = unigram[a] / n_tokens, unigram[b] / n_tokens
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)
    npmi[p_ab >= 1] = 1.0
    return np.stack([a, b], axis=1), count, npmi


def adjacent(doc: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Indices i where tokens i and i+1 are adjacent: same document, no token dropped between."""
    return np.flatnonzero((doc[1:] == doc[:-1]) & (pos[1:] - pos[:-1] == 1))


def select_phrases(pairs, count, npmi, terms: list, options: PhraseOptions | None = None):
    """The pairs that become phrases: (keys a·n_terms + b (K,), phrase term ids (K,), terms with the
    new phrase terms appended, [(phrase, count, npmi)])."""
    options = options or PhraseOptions()
    good = (count >= options.min_count) & (npmi >= options.threshold) & (pairs[:, 0] != pairs[:, 1])
    order = np.flatnonzero(good)[np.argsort(-npmi[good], kind="stable")][: options.max_phrases]
    n_terms = len(terms)
    chosen = pairs[order, 0] * n_terms + pairs[order, 1]
    new_terms = list(terms)
    index = {t: i for i, t in enumerate(new_terms)} if len(order) else {}
    phrase_id = np.empty(len(order), np.int64)
    phrases = []
    for k, (a, b) in enumerate(pairs[order]):
        name = f"{terms[a]}{JOIN}{terms[b]}"
        if name not in index:
            index[name] = len(new_terms)
            new_terms.append(name)
        phrase_id[k] = index[name]
        phrases.append((name, int(count[order[k]]), float(npmi[order[k]])))
    return chosen, phrase_id, new_terms, phrases


def apply_phrases(doc, term, start, end, idx, chosen, phrase_id, n_terms: int):
    """Merge the chosen pairs (keys of :func:`select_phrases`) among the adjacent positions
    ``idx``, left to right; returns doc, term, start, end with the merged tokens."""
    n = len(term)
    if len(chosen) == 0 or n < 2:
        return doc, term, start, end
    key = term[idx] * n_terms + term[idx + 1]
    sorter = np.argsort(chosen)
    loc = np.searchsorted(chosen, key, sorter=sorter)
    loc = np.minimum(loc, len(chosen) - 1)
    hit = chosen[sorter[loc]] == key
    cand = np.zeros(n, bool)          # cand[i]: tokens i, i+1 form a phrase
    cand[idx[hit]] = True
    if not cand.any():
        return doc, term, start, end
    # left-to-right: in a run of candidates take every other one, starting with the first
    run_start = cand & ~np.concatenate([[False], cand[:-1]])
    run_id = np.cumsum(run_start)
    first = np.zeros(run_id.max() + 1, np.int64)
    first[run_id[run_start]] = np.flatnonzero(run_start)
    take = cand & ((np.arange(n) - first[run_id]) % 2 == 0)
    at = np.flatnonzero(take)
    pid = np.full(n, -1, np.int64)
    pid[idx[hit]] = phrase_id[sorter[loc[hit]]]
    new_term = term.copy()
    new_term[at] = pid[at]
    new_end = end.copy()
    new_end[at] = end[at + 1]
    drop = np.zeros(n, bool)
    drop[at + 1] = True
    keep = ~drop
    return doc[keep], new_term[keep], start[keep], new_end[keep]


def merge_phrases(doc, term, start, end, terms: list, position=None, options: PhraseOptions | None = None):
    """Merge collocations into single tokens.

    Parameters
    ----------
    doc, term, start, end : ndarray of shape (N,)
        Kept tokens in text order: document, term id into ``terms``, character offsets.
    terms : list of str
    position : ndarray of shape (N,), optional
        Index of each kept token in the raw token stream; two tokens are adjacent only when
        these differ by 1 (no stop word or number was dropped between them). Default: all
        consecutive tokens of a document are adjacent.

    Returns
    -------
    doc, term, start, end : ndarrays of shape (N',), N' ≤ N
    terms : list of str, the input terms followed by the new phrase terms ``a_b``
    phrases : list of (str, int, float), each phrase with its count and NPMI
    """
    doc, term = np.asarray(doc), np.asarray(term, np.int64)
    start, end = np.asarray(start), np.asarray(end)
    n = len(term)
    if n < 2:
        return doc, term, start, end, list(terms), []
    idx = adjacent(doc, np.arange(n) if position is None else np.asarray(position))
    unigram = np.bincount(term, minlength=len(terms)).astype(np.float64)
    pairs, count, npmi = score_pairs(term[idx], term[idx + 1], unigram, n)
    chosen, phrase_id, new_terms, phrases = select_phrases(pairs, count, npmi, terms, options)
    if len(chosen) == 0:
        return doc, term, start, end, list(terms), []
    doc, term, start, end = apply_phrases(doc, term, start, end, idx, chosen, phrase_id, len(terms))
    return doc, term, start, end, new_terms, phrases
