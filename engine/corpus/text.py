"""Text preprocessing: tokenization with character offsets, stop words, lemmas, stems, filters.

The pipeline works on a whole corpus at once, never token by token in Python:

1. :func:`tokenize` joins all texts with ``"\\n"``, views the joined string as an array of
   code points and classifies every code point with lookup tables (letter/digit, lower case).
   Runs of word characters are tokens; their start/end offsets come from ``np.diff`` of the
   mask. The lower-cased token strings are cut by Arrow (``ascii_split_whitespace``) and
   dictionary-encoded, so Python only ever sees the *distinct* word forms.
2. :class:`Normalizer` maps every distinct form to a term (or drops it): numbers, too-short
   tokens, stop words, then Russian lemmas (pymorphy3) or Snowball stems (PyStemmer). Its cost
   grows with the number of distinct forms, not with the number of tokens.
3. :func:`count_matrix` and :func:`filter_vocabulary` build n_dw and apply document-frequency
   and size filters.
"""
from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from engine.corpus.languages import (  # noqa: F401 - re-exported: text.X is the public name
    STEMMER_LANGUAGES, STOPWORDS_DIR, available_stopword_languages, detect_language, detect_language_note,
    has_cjk, lemmatize_ru, load_stopwords, read_stopwords_file, segment_chinese, split_spans, stem, stemmer,
)
from engine.errors import InputError

_N_CODEPOINTS = 0x110000
_JOINERS = "-'\u2019\u2010\u2011"  # hyphens and apostrophes joining two word characters


# --------------------------------------------------------------------------- character tables

@functools.lru_cache(maxsize=1)
def char_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lookup tables over all Unicode code points (built once per process, ~0.5 s).

    Returns
    -------
    is_word : ndarray of shape (0x110000,), bool
        Letters, digits and combining marks (``str.isalnum`` or category M*).
    is_alpha : ndarray of shape (0x110000,), bool
        Letters only (``str.isalpha``).
    lower : ndarray of shape (0x110000,), uint32
        First code point of ``chr(c).lower()``; typographic apostrophe ``’`` maps to ``'`` and
        Unicode hyphens to ``-``.
    is_joiner : ndarray of shape (0x110000,), bool
        Hyphens and apostrophes, which join two word characters into one token.
    """
    allchars = "".join(map(chr, range(_N_CODEPOINTS)))
    is_word = np.fromiter((c.isalnum() for c in allchars), dtype=bool, count=_N_CODEPOINTS)
    is_alpha = np.fromiter((c.isalpha() for c in allchars), dtype=bool, count=_N_CODEPOINTS)
    # combining marks (decomposed accents, Cyrillic breve...) belong to the word they modify
    marks = np.fromiter((unicodedata.category(c)[0] == "M" for c in allchars[:0x30000]),
                        dtype=bool, count=0x30000)
    is_word[:0x30000] |= marks
    lower = np.fromiter((ord(c.lower()[0]) for c in allchars), dtype=np.uint32, count=_N_CODEPOINTS)
    for ch in "\u2019\u02bc":
        lower[ord(ch)] = ord("'")
    for ch in "\u2010\u2011":
        lower[ord(ch)] = ord("-")
    is_joiner = np.zeros(_N_CODEPOINTS, dtype=bool)
    is_joiner[[ord(c) for c in _JOINERS]] = True
    return is_word, is_alpha, lower, is_joiner


# --------------------------------------------------------------------------- tokenization

_URL_RIGHT = re.compile(r"://[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]")
_WWW_RIGHT = re.compile(r"www\.[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]")
_SCHEME_LEFT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,15}$")
_EMAIL_LEFT_REVERSED = re.compile(r"[\w.+\-]{1,64}")
_EMAIL_RIGHT = re.compile(r"@[\w\-]+(?:\.[\w\-]+)+")


def url_email_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of URLs (``scheme://...``, ``www....``) and e-mail addresses in ``text``.

    Candidates are found with ``str.find`` on ``://``, ``www.`` and ``@`` and checked with
    anchored regular expressions around them, so the cost grows with the number of candidates,
    not with the length of the text.
    """
    spans: list[tuple[int, int]] = []
    i = text.find("://")
    while i != -1:
        left = _SCHEME_LEFT.search(text, max(0, i - 16), i)
        right = _URL_RIGHT.match(text, i)
        if left and right:
            spans.append((left.start(), right.end()))
            i = text.find("://", right.end())
        else:
            i = text.find("://", i + 3)
    i = text.find("www.")
    while i != -1:
        m = _WWW_RIGHT.match(text, i) if (i == 0 or not text[i - 1].isalnum()) else None
        if m:
            spans.append((i, m.end()))
            i = text.find("www.", m.end())
        else:
            i = text.find("www.", i + 4)
    i = text.find("@")
    while i != -1:
        left = _EMAIL_LEFT_REVERSED.match(text[max(0, i - 64):i][::-1])
        right = _EMAIL_RIGHT.match(text, i)
        if left and right and left.group().strip(".") and right.group()[-1].isalnum():
            spans.append((i - left.end(), right.end()))
            i = text.find("@", right.end())
        else:
            i = text.find("@", i + 1)
    return spans


@dataclass(frozen=True, eq=False)
class RawTokens:
    """Every token of a list of texts, as found by :func:`tokenize`.

    Attributes
    ----------
    doc : ndarray of shape (N,), int32
        Index of the text each token comes from (non-decreasing).
    start, end : ndarray of shape (N,), int32
        Character offsets into that text: ``texts[doc[i]][start[i]:end[i]]``.
    form : ndarray of shape (N,), int32
        Index into :attr:`forms`.
    forms : list of str
        Distinct lower-cased surface forms, in order of first appearance.
    n_docs : int
    """

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    form: np.ndarray
    forms: list
    n_docs: int

    @property
    def n_tokens(self) -> int:
        return len(self.form)


def tokenize(texts, keep_urls: bool = False) -> RawTokens:
    """Split texts into lower-cased word tokens with character offsets, vectorized.

    A token is a maximal run of letters, digits and combining marks; a hyphen or apostrophe
    between two such characters joins them (``по-разному``, ``don't``). With ``keep_urls``
    URLs and e-mail addresses are single tokens; otherwise they produce no token at all.
    Numbers are kept here; :class:`Normalizer` drops them unless asked not to.

    Parameters
    ----------
    texts : sequence of str (None counts as "")

    Returns
    -------
    RawTokens
    """
    texts = ["" if t is None or (isinstance(t, float) and t != t) else str(t) for t in texts]
    n_docs = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n_docs)
    # batches of about CHUNK_CHARS characters bound the temporary memory (4 bytes per character
    # for the code-point view, a few more for masks and Arrow strings)
    bounds = [0]
    acc = 0
    for d, n in enumerate(lengths.tolist()):
        acc += n + 1
        if acc >= CHUNK_CHARS:
            bounds.append(d + 1)
            acc = 0
    if bounds[-1] != n_docs:
        bounds.append(n_docs)
    docs, starts, ends, pieces = [], [], [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        doc, start, end, flat = _tokenize_batch(texts[lo:hi], lengths[lo:hi], keep_urls)
        docs.append(doc + lo)
        starts.append(start)
        ends.append(end)
        pieces.append(flat)
    if not pieces or sum(len(p) for p in pieces) == 0:
        empty = np.zeros(0, dtype=np.int32)
        return RawTokens(empty, empty, empty, empty, [], n_docs)
    enc = pa.chunked_array(pieces, type=pa.large_string()).combine_chunks().dictionary_encode()
    return segment_cjk(RawTokens(
        doc=np.concatenate(docs).astype(np.int32),
        start=np.concatenate(starts).astype(np.int32),
        end=np.concatenate(ends).astype(np.int32),
        form=enc.indices.to_numpy(zero_copy_only=False).astype(np.int32),
        forms=enc.dictionary.to_pylist(),
        n_docs=n_docs,
    ))


CHUNK_CHARS = 8_000_000


def _tokenize_batch(texts: list, lengths: np.ndarray, keep_urls: bool):
    """Tokens of one batch: (doc, start, end) arrays and the lower-cased token strings (Arrow)."""
    n_docs = len(texts)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=doc_start[1:])
    joined = "\n".join(texts)
    empty = np.zeros(0, dtype=np.int64)
    if not joined.strip():
        return empty, empty, empty, pa.array([], type=pa.large_string())
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    is_word, _, _, is_joiner = char_tables()
    mask = is_word[cp]
    if len(cp) > 2:
        j = is_joiner[cp[1:-1]] & mask[:-2] & mask[2:]
        mask[1:-1] |= j
    spans = url_email_spans(joined) if ("@" in joined or "://" in joined or "www." in joined) else []
    if spans:
        in_span = np.zeros(len(cp), dtype=bool)
        for a, b in spans:
            in_span[a:b] = True
        if keep_urls:
            mask |= in_span
            # a URL is one token: cut it off from word characters glued to its ends
            edges = np.flatnonzero(np.diff(in_span.astype(np.int8)))
            both = np.concatenate([edges, edges + 1])
            both = both[both < len(mask)]
            mask[both[~in_span[both]]] = False
        else:
            mask &= ~in_span
    d = np.diff(mask.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    del d
    kept = cp.copy()
    kept[~mask] = 32
    del mask
    # Arrow lower-cases and cuts the tokens in C++; lower-casing never creates whitespace, so
    # the i-th piece is the token at starts[i]:ends[i].
    arr = pa.array([kept.tobytes().decode("utf-32-le", "surrogatepass")], type=pa.large_string())
    del kept
    arr = pc.utf8_lower(arr)
    if "\u2019" in joined or "\u02bc" in joined:
        arr = pc.replace_substring_regex(arr, "[\u2019\u02bc]", "'")
    flat = pc.list_flatten(pc.ascii_split_whitespace(arr))
    flat = flat.filter(pc.greater(pc.binary_length(flat), 0))  # Arrow keeps "" at both ends
    if len(flat) != len(starts):  # cannot happen unless a word char lower-cases to whitespace
        raise AssertionError("tokenizer offsets and strings disagree")
    doc = np.searchsorted(doc_start, starts, side="right") - 1
    base = doc_start[doc]
    return doc, starts - base, ends - base, flat


# --------------------------------------------------------------------------- Chinese words

def segment_cjk(raw: RawTokens) -> RawTokens:
    """Cut tokens holding Chinese characters into words with jieba (the ``zh`` extra), keeping
    offsets; unchanged when there are none or jieba is not installed (then a run of Chinese
    characters stays one token, as before)."""
    if not any(has_cjk(f) for f in raw.forms) or importlib.util.find_spec("jieba") is None:
        return raw
    spans = segment_chinese(raw.forms)
    doc, start, end, piece = split_spans(raw.doc, raw.start, raw.end, raw.form, spans)
    n_forms = len(raw.forms)
    n_pieces = np.array([len(sp) for sp in spans], dtype=np.int64)
    rep_form = np.repeat(raw.form, np.maximum(n_pieces[raw.form], 1))
    key = np.where(piece < 0, rep_form, n_forms + piece)
    strings = list(raw.forms) + [f[a:b] for f, sp in zip(raw.forms, spans) for a, b in sp]
    used, inverse = np.unique(key, return_inverse=True)
    codes, uniques = pd.factorize(pd.Series([strings[k] for k in used.tolist()], dtype=object))
    return RawTokens(doc=doc.astype(np.int32), start=start.astype(np.int32), end=end.astype(np.int32),
                     form=np.asarray(codes, np.int32)[inverse].astype(np.int32), forms=list(uniques),
                     n_docs=raw.n_docs)


# --------------------------------------------------------------------------- normalization

@dataclass(frozen=True)
class Normalizer:
    """Maps distinct surface forms to vocabulary terms.

    A form is dropped when it has no letter (a number) and ``keep_numbers`` is False, when it is
    shorter than ``min_length`` characters, or when it (or its lemma/stem) is a stop word.
    URLs and e-mail addresses (kept by the tokenizer only on request) are never stemmed.

    Parameters
    ----------
    lang : str
        Resolved language code (``"en"``, ``"ru"``...).
    stopwords : frozenset of str
    lemmatize : bool
        Russian lemmatization with pymorphy3 (``lang == "ru"`` only).
    stem : bool
        Snowball stemming with PyStemmer.
    keep_numbers : bool
    min_length : int
    """

    lang: str
    stopwords: frozenset = frozenset()
    lemmatize: bool = False
    stem: bool = False
    keep_numbers: bool = False
    min_length: int = 2

    def __post_init__(self):
        if self.lemmatize and self.lang != "ru":
            raise InputError(f"lemmatization is available for Russian (--lang ru) only, not {self.lang!r}; "
                             "use --stem for Snowball stemming")
        if self.stem:
            stemmer(self.lang)  # fail early on an unknown language

    def terms(self, forms: list[str]) -> list:
        """For every form its term (str) or None when the form is dropped."""
        sw = self.stopwords
        keep_idx = []
        for i, w in enumerate(forms):
            if len(w) < self.min_length or w in sw:
                continue
            if not self.keep_numbers and not any(c.isalpha() for c in w):
                continue
            keep_idx.append(i)
        kept = [forms[i] for i in keep_idx]
        if self.lang == "en":  # English possessive: minister's -> minister
            kept = [w[:-2] if w.endswith("'s") and len(w) > 3 else w for w in kept]
        plain = [("://" not in w and "@" not in w and not w.startswith("www.")) for w in kept]
        if self.lemmatize or self.stem:
            idx = [k for k, p in enumerate(plain) if p]
            sub = [kept[k] for k in idx]
            if self.lemmatize:
                sub = lemmatize_ru(sub)
            if self.stem:
                sub = stem(sub, self.lang)
            for k, t in zip(idx, sub):
                kept[k] = t
        out: list = [None] * len(forms)
        for i, t in zip(keep_idx, kept):
            if t and t not in sw:
                out[i] = t
        return out


# --------------------------------------------------------------------------- counts and filters

def count_matrix(doc: np.ndarray, term: np.ndarray, n_docs: int, n_terms: int,
                 weight: np.ndarray | None = None) -> sp.csr_matrix:
    """n_dw from token occurrences: ``n_dw[d, w] = Σ_i [doc_i = d][term_i = w] · weight_i``.

    Returns
    -------
    csr_matrix of shape (n_docs, n_terms), float32 data, int32 indices, sorted, no duplicates.
    """
    data = np.ones(len(doc), dtype=np.float32) if weight is None else np.asarray(weight, np.float32)
    m = sp.coo_matrix((data, (np.asarray(doc, np.int64), np.asarray(term, np.int64))),
                      shape=(n_docs, n_terms)).tocsr()
    m.sum_duplicates()
    m.sort_indices()
    m.indices = m.indices.astype(np.int32)
    m.data = m.data.astype(np.float32)
    return m


def document_frequency(n_dw: sp.csr_matrix) -> np.ndarray:
    """ndarray of shape (W,), int64: number of documents with ``n_dw[d, w] > 0``."""
    return np.bincount(n_dw.indices, minlength=n_dw.shape[1]).astype(np.int64)


def resolve_df_bound(value, n_docs: int, what: str) -> float:
    """An absolute document count from ``value``: int ≥ 0 = count, float in (0, 1] = fraction."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, not {value!r}")
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value > 1 and value.is_integer()):
        if value < 0:
            raise InputError(f"{what} must be ≥ 0, got {value}")
        return float(value)
    if isinstance(value, float):
        if not 0 < value <= 1:
            raise InputError(f"{what} as a fraction must be in (0, 1], got {value}")
        return value * n_docs
    raise InputError(f"{what} must be an integer count or a fraction in (0, 1], got {value!r}")


def filter_vocabulary(df: np.ndarray, tf: np.ndarray, n_docs: int, min_df=None, max_df=None,
                      max_vocab: int | None = None) -> np.ndarray:
    """Boolean mask of shape (W,) of the terms that pass the filters.

    ``min_df ≤ df_w ≤ max_df`` (absolute counts or fractions of ``n_docs``), then the
    ``max_vocab`` terms with the largest ``tf_w`` (ties broken by larger ``df_w``, then by id).
    """
    keep = df > 0
    lo = resolve_df_bound(min_df, n_docs, "min_df")
    hi = resolve_df_bound(max_df, n_docs, "max_df")
    if lo is not None:
        keep &= df >= lo - 1e-9
    if hi is not None:
        keep &= df <= hi + 1e-9
    if max_vocab is not None:
        if int(max_vocab) < 1:
            raise InputError(f"max_vocab must be ≥ 1, got {max_vocab}")
        if keep.sum() > max_vocab:
            idx = np.flatnonzero(keep)
            order = np.lexsort((idx, -df[idx], -tf[idx]))
            keep = np.zeros_like(keep)
            keep[idx[order[: int(max_vocab)]]] = True
    return keep
