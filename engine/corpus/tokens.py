"""Tokenizing a whole corpus in bounded batches (the import's largest temporary memory).

:func:`engine.corpus.text.tokenize` keeps every token's lower-cased string until the end (an
Arrow string per token, ~40 bytes with its offsets) and dictionary-encodes them at once. Here
the documents are tokenized in batches of about ``BATCH_CHARS`` characters; each batch's distinct
forms are merged into one dictionary right away, so what accumulates is four ``int32`` per token
(document, start, end, form id: 16 bytes) plus the distinct forms, and the string temporaries are
those of one batch. The result is the same :class:`~engine.corpus.text.RawTokens` (forms in
order of first appearance).
"""
from __future__ import annotations

import numpy as np

from engine.corpus import text as T

#: characters of text tokenized at once (temporaries ≈ 40 bytes per character at most)
BATCH_CHARS = 4_000_000


def _batches(texts, batch_chars: int):
    """(lo, hi) ranges of ``texts`` holding about ``batch_chars`` characters each (≥ 1 text)."""
    lo, n = 0, len(texts)
    while lo < n:
        hi, acc = lo, 0
        while hi < n and (hi == lo or acc < batch_chars):
            t = texts[hi]
            acc += len(t) if isinstance(t, str) else 0
            hi += 1
        yield lo, hi
        lo = hi


def tokenize_bounded(texts, keep_urls: bool = False, batch_chars: int = BATCH_CHARS) -> T.RawTokens:
    """:func:`engine.corpus.text.tokenize` of ``texts`` in batches (see the module docstring)."""
    texts = list(texts)
    index: dict[str, int] = {}
    docs, starts, ends, forms = [], [], [], []
    for lo, hi in _batches(texts, batch_chars):
        raw = T.tokenize(texts[lo:hi], keep_urls=keep_urls)
        if raw.n_tokens == 0:
            continue
        ids = np.fromiter((index.setdefault(f, len(index)) for f in raw.forms), dtype=np.int32,
                          count=len(raw.forms))
        docs.append((raw.doc + lo).astype(np.int32))
        starts.append(raw.start.astype(np.int32, copy=False))
        ends.append(raw.end.astype(np.int32, copy=False))
        forms.append(ids[raw.form])
        del raw, ids
    if not docs:
        empty = np.zeros(0, dtype=np.int32)
        return T.RawTokens(empty, empty, empty, empty, [], len(texts))

    def cat(parts):
        out = np.concatenate(parts)
        parts.clear()
        return out

    return T.RawTokens(doc=cat(docs), start=cat(starts), end=cat(ends), form=cat(forms),
                       forms=list(index), n_docs=len(texts))


class TermIndex:
    """Term ids of tokens with a vocabulary that grows chunk by chunk: a form is normalized once
    (form → term id, −1 when dropped) and terms get ids in order of first appearance, the order
    the whole-corpus pipeline gives them (``pd.factorize`` over the forms in order)."""

    def __init__(self, normalizer: T.Normalizer):
        self.normalizer = normalizer
        self.form_term: dict[str, int] = {}  # form → term id (−1: dropped)
        self.term_id: dict[str, int] = {}
        self.terms: list[str] = []

    def term_of_tokens(self, raw: T.RawTokens, dtype=np.int64) -> np.ndarray:
        """Term id per token of ``raw`` (−1 = dropped), normalizing only forms never seen before."""
        new = [f for f in raw.forms if f not in self.form_term]
        if new:
            for f, t in zip(new, self.normalizer.terms(new)):
                if t is None:
                    self.form_term[f] = -1
                else:
                    tid = self.term_id.setdefault(t, len(self.terms))
                    if tid == len(self.terms):
                        self.terms.append(t)
                    self.form_term[f] = tid
        per_form = np.fromiter((self.form_term[f] for f in raw.forms), dtype, count=len(raw.forms))
        return per_form[raw.form] if raw.n_tokens else np.zeros(0, dtype)


__all__ = ["tokenize_bounded", "TermIndex", "BATCH_CHARS"]
