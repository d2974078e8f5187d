"""How a seed finds its vocabulary term: the corpus's own preprocessing applied to seeds
(:func:`normalize_seeds`) and, for seeds not in the vocabulary, the nearest terms
(:class:`NearMatcher`: character-bigram Dice similarity over the whole vocabulary as one sparse
product, re-ranked by :func:`difflib.SequenceMatcher` ratio; 300 seeds against 30k terms take
well under a second)."""
from __future__ import annotations

import difflib

import numpy as np
import scipy.sparse as sp

from engine.corpus import text as T

__all__ = ["normalize_seeds", "NearMatcher"]


# --------------------------------------------------------------------------- preprocessing

def _normalizer(settings: dict):
    sw = frozenset()
    if settings.get("stopwords") != "none":
        sw = T.load_stopwords(settings.get("lang", "en"))
    sw = sw | frozenset(settings.get("user_stopwords") or [])
    return T.Normalizer(lang=settings.get("lang", "en"), stopwords=sw,
                        lemmatize=bool(settings.get("lemmatize")), stem=bool(settings.get("stem")),
                        keep_numbers=bool(settings.get("keep_numbers")),
                        min_length=int(settings.get("min_length", 2)))


def normalize_seeds(words, corpus=None, settings: dict | None = None) -> dict[str, tuple[str, ...]]:
    """Seed word -> its terms after the corpus's preprocessing.

    Usually one term (``"японцев" -> ("японец",)``); several for a phrase; none when every
    token is a stop word, a number or too short. ``settings`` defaults to
    ``corpus.manifest["preprocessing"]``; a corpus without one (bag-of-words input) only
    lower-cases.
    """
    words = list(dict.fromkeys(words))
    if settings is None:
        settings = (corpus.manifest or {}).get("preprocessing") if corpus is not None else None
    if not settings:
        return {w: ((w.lower(),) if w.strip() else ()) for w in words}
    raw = T.tokenize(words, keep_urls=bool(settings.get("keep_urls")))
    terms = _normalizer(settings).terms(raw.forms)
    out: dict[str, list] = {w: [] for w in words}
    for d, f in zip(raw.doc, raw.form):
        t = terms[f]
        if t is not None:
            lst = out[words[d]]
            if t not in lst:
                lst.append(t)
    return {w: tuple(v) for w, v in out.items()}


# --------------------------------------------------------------------------- near matches

class NearMatcher:
    """Nearest vocabulary terms of a string (for seeds not in the vocabulary).

    Candidates come from the Dice coefficient of character bigrams (with ``^``/``$`` padding)
    computed for all W terms at once as a sparse product, plus terms sharing a long prefix
    (Russian and English inflection lives at the end of words). The best are re-ranked by
    ``difflib.SequenceMatcher.ratio`` and frequency.

    Parameters
    ----------
    terms : sequence of W str
    tf : sequence of W float, optional
        Frequencies shown with suggestions and used to break ties.
    """

    def __init__(self, terms, tf=None):
        self.terms = np.asarray([str(t) for t in terms], dtype=object)
        self.tf = np.zeros(len(self.terms)) if tf is None else np.asarray(tf, np.float64)
        self._index: dict[str, int] = {}
        rows, cols = [], []
        for i, t in enumerate(self.terms):
            for g in self._grams(t):
                rows.append(i)
                cols.append(self._index.setdefault(g, len(self._index)))
        data = np.ones(len(rows), np.float32)
        m = sp.csr_matrix((data, (rows, cols)), shape=(len(self.terms), max(1, len(self._index))))
        m.data[:] = 1.0  # a bigram repeated in a term counts once
        m.sum_duplicates()
        m.data[:] = 1.0
        self._m = m.tocsc()
        self._n = np.asarray(m.sum(axis=1)).ravel()
        self._order = np.argsort(self.terms.astype(str), kind="stable")
        self._sorted = self.terms.astype(str)[self._order]

    @staticmethod
    def _grams(s: str) -> set:
        s = f"^{s}$"
        return {s[i:i + 2] for i in range(len(s) - 1)}

    def match(self, s: str, n: int = 3, cutoff: float = 0.6) -> list[tuple[str, float]]:
        """Up to ``n`` (term, tf) pairs most similar to ``s`` (similarity ≥ ``cutoff``)."""
        s = str(s).lower()
        grams = [self._index[g] for g in self._grams(s) if g in self._index]
        cand: set[int] = set()
        if grams:
            hits = np.asarray(self._m[:, grams].sum(axis=1)).ravel()
            dice = 2 * hits / (self._n + len(self._grams(s)))
            k = min(40, len(dice))
            top = np.argpartition(-dice, k - 1)[:k] if k < len(dice) else np.arange(len(dice))
            cand.update(int(i) for i in top if dice[i] > 0.3)
        plen = max(3, min(len(s) - 2, 6))
        if len(s) >= 4:
            pre = s[:plen]
            a = np.searchsorted(self._sorted, pre, side="left")
            b = np.searchsorted(self._sorted, pre + "\U0010ffff", side="left")
            cand.update(int(i) for i in self._order[a:min(b, a + 40)])
        scored = []
        for i in cand:
            t = self.terms[i]
            if t == s:
                continue
            r = difflib.SequenceMatcher(None, s, t).ratio()
            if t.startswith(s[:plen]) or s.startswith(t):
                r = max(r, 0.75)
            if r >= cutoff:
                scored.append((r, self.tf[i], t))
        scored.sort(key=lambda x: (-x[0], -x[1], x[2]))
        return [(t, float(f)) for _, f, t in scored[:n]]
