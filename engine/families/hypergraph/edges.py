"""Edges of a hypergraph corpus: which vertices (tokens) each edge of each document joins.

An :class:`Edges` is CSR twice over: documents own edge ranges ``doc_ptr[d]:doc_ptr[d+1]``
and edges own vertex ranges ``edge_ptr[x]:edge_ptr[x+1]`` of ``vertex`` (token ids, rows of
the corpus vocabulary) with multiplicities ``mult`` (the exponent m_v in Π φ_vt^{m_v}). Each
edge has a count n_dx, a type k (``types[etype[x]]``) and, for edges cut from a text, the
character span ``[start, end)`` it covers (−1 otherwise).

Builders: :func:`sentence_edges` (every sentence of every document; other modalities' tokens
as one-vertex edges of type ``@modality``) and :func:`edges_from_long` (a long table, one row
per vertex, as stored by the transaction import).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.errors import InputError

__all__ = ["Edges", "SENTENCE", "sentence_spans", "sentence_edges", "edges_from_long", "edges_to_long"]

#: the type of sentence edges
SENTENCE = "sentence"
#: a sentence ends after . ! ? … (optionally followed by closing quotes/brackets) and white
#: space, or at a line break
_SENT_END = re.compile(r"[.!?…]+[\"'»”)\]]*\s+|\s*\n\s*")


@dataclass(frozen=True, eq=False)
class Edges:
    """Edges of every document (see the module docstring). Shapes: doc_ptr (D+1,) int64,
    edge_ptr (E+1,) int64, vertex (N,) int32, mult (N,) float32, count (E,) float32,
    etype (E,) int32, start/end (E,) int32."""

    doc_ptr: np.ndarray
    edge_ptr: np.ndarray
    vertex: np.ndarray
    mult: np.ndarray
    count: np.ndarray
    etype: np.ndarray
    types: tuple
    start: np.ndarray
    end: np.ndarray

    @property
    def n_edges(self) -> int:
        return len(self.count)

    @property
    def edge_doc(self) -> np.ndarray:
        """(E,) int32: the document of every edge."""
        return np.repeat(np.arange(len(self.doc_ptr) - 1, dtype=np.int32), np.diff(self.doc_ptr))

    @property
    def vertex_edge(self) -> np.ndarray:
        """(N,) int64: the edge of every vertex entry."""
        return np.repeat(np.arange(self.n_edges, dtype=np.int64), np.diff(self.edge_ptr))

    def of(self, d: int) -> range:
        return range(int(self.doc_ptr[d]), int(self.doc_ptr[d + 1]))

    def bag(self, n_docs: int, n_tokens: int) -> sp.csr_matrix:
        """n_dw implied by the edges: Σ_x n_dx m_v per (document, vertex)."""
        rows = self.edge_doc[self.vertex_edge]
        vals = self.count[self.vertex_edge] * self.mult
        return sp.csr_matrix((vals.astype(np.float64), (rows, self.vertex)), shape=(n_docs, n_tokens))


#: a "." after one of these (or after a single letter: initials, "U.S.") does not end a sentence
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gov gen lt col sgt capt st jr sr inc co corp ltd vs fig vol pp jan feb "
    "mar apr jun jul aug sep sept oct nov dec mt ft approx dept univ est".split()
    + "г гг т тт см рис стр им ул д др проф акад".split())
_WORD_BEFORE = re.compile(r"(\w+)$")


def _abbreviation(text: str, at: int, terminator: str) -> bool:
    if not terminator.startswith(".") or terminator.startswith(".."):
        return False
    m = _WORD_BEFORE.search(text, max(0, at - 40), at)  # the word just before, not the whole prefix
    if m is None:
        return False
    word = m.group(1)
    return len(word) == 1 and word.isalpha() or word.lower() in ABBREVIATIONS


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[(start, end)] character spans of the sentences of ``text``: a sentence ends at . ! ? …
    followed by white space, or at a line break; a "." after an abbreviation (``Sen.``,
    ``Dr.``, ``т.``) or a single letter (initials, ``U.S.``) does not end one."""
    spans, a = [], 0
    for m in _SENT_END.finditer(text):
        if "\n" not in m.group() and _abbreviation(text, m.start(), m.group()):
            continue
        if m.start() > a:
            spans.append((a, m.start() + len(m.group().rstrip())))
        a = m.end()
    if a < len(text) and text[a:].strip():
        spans.append((a, len(text)))
    return spans


def sentence_edges(corpus, min_tokens: int = 1) -> Edges:
    """Every sentence of every document as an edge of type ``sentence`` (count 1; a word met k
    times in it has m_v = k), sentences with fewer than ``min_tokens`` in-vocabulary tokens
    dropped; tokens of the other modalities (from n_dw) as one-vertex edges of type
    ``@modality`` with count n_dw. Needs token sequences (a text import)."""
    name = corpus.name or "(unsaved)"
    if corpus.sequences is None:
        raise InputError(f"corpus {name!r} has no text (it was imported as bag of words); "
                         "the sentence model needs text: import it from CSV/JSONL/plain text")
    seq = corpus.sequences
    texts = corpus.documents["text"].astype(str).tolist()
    keys, spans_all = [], []  # per position: global sentence number; per sentence: (doc, start, end)
    for d, text in enumerate(texts):
        _, s0, _ = seq.of(d)
        if not len(s0):
            continue
        spans = sentence_spans(text) or [(0, len(text))]
        ends = np.array([b for _, b in spans], np.int64)
        sid = np.minimum(np.searchsorted(ends, s0, side="right"), len(spans) - 1)
        keys.append(sid + len(spans_all))
        spans_all.extend((d, a, b) for a, b in spans)
    if not keys:
        raise InputError(f"corpus {name!r} has no in-vocabulary tokens")
    key = np.concatenate(keys)
    order = np.lexsort((seq.token, key))  # by sentence, then token
    k, t = key[order], seq.token[order]
    new = np.r_[True, (k[1:] != k[:-1]) | (t[1:] != t[:-1])]
    at = np.flatnonzero(new)
    vk, vt = k[at], t[at]
    vm = np.diff(np.r_[at, len(k)])
    sent, first = np.unique(vk, return_index=True)
    length = np.add.reduceat(vm, first)
    keep = length >= max(1, int(min_tokens))
    if not keep.any():
        raise InputError(f"corpus {name!r}: no sentence has {min_tokens} or more in-vocabulary tokens")
    keep_v = np.repeat(keep, np.diff(np.r_[first, len(vk)]))
    vk, vt, vm, sent = vk[keep_v], vt[keep_v], vm[keep_v], sent[keep]
    sp_arr = np.asarray(spans_all, np.int64)[sent]
    n_v = np.bincount(np.searchsorted(sent, vk), minlength=len(sent))
    s_doc = sp_arr[:, 0]
    # tokens of the other modalities: one-vertex edges, after the document's sentences
    other = (corpus.vocab["modality"] != DEFAULT_MODALITY).to_numpy()
    mods = sorted(set(corpus.vocab["modality"][other]))
    types = (SENTENCE,) + tuple(mods)
    coo = corpus.n_dw.tocoo()
    sel = other[coo.col]
    o_doc, o_tok, o_cnt = coo.row[sel].astype(np.int64), coo.col[sel].astype(np.int32), coo.data[sel]
    code = {m: i + 1 for i, m in enumerate(mods)}
    o_type = np.array([code[m] for m in corpus.vocab["modality"].to_numpy()[o_tok]], np.int32) if len(o_tok) \
        else np.zeros(0, np.int32)
    e_doc = np.r_[s_doc, o_doc]
    e_order = np.argsort(e_doc, kind="stable")
    n_per = np.r_[n_v, np.ones(len(o_tok), np.int64)][e_order]
    starts = np.r_[0, np.cumsum(np.r_[n_v, np.ones(len(o_tok), np.int64)])[:-1]]
    verts_src = np.r_[vt, o_tok].astype(np.int32)
    mult_src = np.r_[vm, np.ones(len(o_tok))].astype(np.float32)
    new_ptr = np.r_[0, np.cumsum(n_per)]
    idx = np.arange(new_ptr[-1]) - np.repeat(new_ptr[:-1] - starts[e_order], n_per)
    return Edges(doc_ptr=np.searchsorted(e_doc[e_order], np.arange(corpus.n_docs + 1)).astype(np.int64),
                 edge_ptr=new_ptr.astype(np.int64), vertex=verts_src[idx],
                 mult=mult_src[idx], count=np.r_[np.ones(len(sent)), o_cnt].astype(np.float32)[e_order],
                 etype=np.r_[np.zeros(len(sent), np.int32), o_type][e_order], types=types,
                 start=np.r_[sp_arr[:, 1], np.full(len(o_tok), -1)].astype(np.int32)[e_order],
                 end=np.r_[sp_arr[:, 2], np.full(len(o_tok), -1)].astype(np.int32)[e_order])


def edges_from_long(frame: pd.DataFrame, corpus, source: str) -> Edges:
    """Edges from a long table with columns ``doc`` (document id), ``edge`` (edge number),
    ``type``, ``count``, ``token``, ``modality``, ``mult`` (one row per vertex, rows of one
    edge together). Every document and (token, modality) must be in ``corpus``; InputError
    names ``source`` and what to do otherwise."""
    need = ["doc", "edge", "type", "count", "token", "modality", "mult"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: not a transactions table (missing column(s) {', '.join(missing)})")
    if frame.empty:
        raise InputError(f"{source}: has no transactions")
    ids = corpus.documents["id"].astype(str)
    row_of = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    doc = frame["doc"].astype(str)
    unknown = ~doc.isin(row_of.index)
    if unknown.any():
        raise InputError(f"{source}: document id {doc[unknown].iloc[0]!r} is not in corpus {corpus.name!r} "
                         f"({int(unknown.sum())} rows); import the transactions and the corpus together")
    key = pd.MultiIndex.from_frame(corpus.vocab[["token", "modality"]].astype(str))
    tok = pd.MultiIndex.from_arrays([frame["token"].astype(str), frame["modality"].astype(str)])
    w = key.get_indexer(tok)
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise InputError(f"{source}: vertex {tok[i][0]!r} of modality {tok[i][1]!r} is not in the vocabulary of "
                         f"corpus {corpus.name!r}; import the transactions and the corpus together")
    d = row_of[doc].to_numpy()
    edge = frame["edge"].to_numpy(np.int64)
    order = np.lexsort((edge, d))
    d, edge, w = d[order], edge[order], w[order]
    first = np.r_[True, (edge[1:] != edge[:-1]) | (d[1:] != d[:-1])]
    pos = np.flatnonzero(first)
    types_col = frame["type"].astype(str).to_numpy()[order]
    types = tuple(sorted(set(types_col[pos])))
    code = {t: i for i, t in enumerate(types)}
    cnt = frame["count"].to_numpy(np.float64)[order]
    if not np.all(np.isfinite(cnt)) or (cnt < 0).any():
        raise InputError(f"{source}: counts must be finite and ≥ 0")
    doc_ptr = np.searchsorted(d[pos], np.arange(corpus.n_docs + 1)).astype(np.int64)
    E = len(pos)
    return Edges(doc_ptr=doc_ptr, edge_ptr=np.r_[pos, len(d)].astype(np.int64), vertex=w.astype(np.int32),
                 mult=frame["mult"].to_numpy(np.float32)[order], count=cnt[pos].astype(np.float32),
                 etype=np.array([code[t] for t in types_col[pos]], np.int32), types=types,
                 start=np.full(E, -1, np.int32), end=np.full(E, -1, np.int32))


def edges_to_long(edges: Edges, corpus) -> pd.DataFrame:
    """Inverse of :func:`edges_from_long` (one row per vertex)."""
    ve = edges.vertex_edge
    return pd.DataFrame({
        "doc": corpus.documents["id"].astype(str).to_numpy()[edges.edge_doc[ve]],
        "edge": ve, "type": np.asarray(edges.types, dtype=object)[edges.etype[ve]],
        "count": edges.count[ve], "token": corpus.vocab["token"].astype(str).to_numpy()[edges.vertex],
        "modality": corpus.vocab["modality"].astype(str).to_numpy()[edges.vertex], "mult": edges.mult})
