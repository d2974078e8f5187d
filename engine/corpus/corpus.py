"""The in-memory corpus: documents table, vocabulary with modalities, n_dw and token sequences.

Shapes and names follow the ARTM papers: D documents, W tokens (over all modalities), n_dw the
count of token w in document d.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

DEFAULT_MODALITY = "@default_class"


@dataclass(frozen=True, eq=False)
class TokenSequences:
    """Tokens of every document in reading order (default modality, in-vocabulary tokens only).

    Document ``d`` owns positions ``ptr[d]:ptr[d+1]``; for each position ``token`` is the token
    id (a row of the vocabulary) and ``start``/``end`` are character offsets into the document's
    original ``text`` (``text[start:end]`` is the surface form that produced the token).

    Attributes
    ----------
    ptr : ndarray of shape (D + 1,), int64
    token : ndarray of shape (N,), int32
    start, end : ndarray of shape (N,), int32
    """

    ptr: np.ndarray
    token: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def of(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(token ids, start offsets, end offsets) of document ``d``."""
        a, b = int(self.ptr[d]), int(self.ptr[d + 1])
        return self.token[a:b], self.start[a:b], self.end[a:b]

    @property
    def n_positions(self) -> int:
        return int(self.ptr[-1])


@dataclass(frozen=True, eq=False)
class Corpus:
    """A corpus ready for topic modelling.

    Attributes
    ----------
    name : str
        Name in the workspace ("" for a corpus that was never stored).
    documents : DataFrame of D rows
        Columns: ``id`` (str, unique), ``text`` (str, may be empty for bag-of-words inputs),
        ``date`` (datetime64, optional: NaT where unknown) and any metadata columns kept from the
        source (label, author, ...). Row ``d`` is document ``d`` of ``n_dw``.
    vocab : DataFrame of W rows
        Columns: ``token`` (str), ``modality`` (str, ``@default_class`` for words), ``tf``
        (float64, total count), ``df`` (int64, documents containing it). Row ``w`` is token id
        ``w``; the same string in two modalities is two tokens.
    n_dw : csr_matrix of shape (D, W), float32 data, int32 indices, sorted indices
        Counts; a row may be empty (a document left empty after filtering is dropped at import,
        but inference may see empty rows).
    sequences : TokenSequences or None
        Present for text inputs, absent for bag-of-words inputs (VW, UCI).
    manifest : dict
        What ``manifest.json`` says (source, options, counts...).
    """

    name: str
    documents: pd.DataFrame
    vocab: pd.DataFrame
    n_dw: sp.csr_matrix
    sequences: TokenSequences | None = None
    manifest: dict = field(default_factory=dict)

    @property
    def n_docs(self) -> int:
        return self.n_dw.shape[0]

    @property
    def n_tokens(self) -> int:
        """W, the vocabulary size over all modalities."""
        return self.n_dw.shape[1]

    @property
    def modalities(self) -> list[str]:
        """Modality names, ``@default_class`` first if present, then in order of appearance."""
        names = list(pd.unique(self.vocab["modality"]))
        if DEFAULT_MODALITY in names:
            names.remove(DEFAULT_MODALITY)
            names.insert(0, DEFAULT_MODALITY)
        return names

    @property
    def token_modality(self) -> np.ndarray:
        """ndarray of shape (W,), int32: index into :attr:`modalities` for every token."""
        codes = {m: i for i, m in enumerate(self.modalities)}
        return self.vocab["modality"].map(codes).to_numpy(np.int32)

    @property
    def has_dates(self) -> bool:
        return "date" in self.documents.columns and bool(self.documents["date"].notna().any())

    def modality_mask(self, modality: str) -> np.ndarray:
        """ndarray of shape (W,), bool: tokens of ``modality``."""
        return (self.vocab["modality"] == modality).to_numpy()

    def token_ids(self, tokens, modality: str = DEFAULT_MODALITY) -> np.ndarray:
        """Ids of ``tokens`` in ``modality``; -1 for a token not in the vocabulary."""
        sub = self.vocab[self.vocab["modality"] == modality]
        lookup = pd.Series(sub.index.to_numpy(), index=sub["token"].to_numpy())
        lookup = lookup[~lookup.index.duplicated()]
        return lookup.reindex(list(tokens)).fillna(-1).to_numpy(np.int64)

    def fingerprint(self) -> str:
        """A short, stable hash of n_dw and the vocabulary (for run manifests)."""
        h = hashlib.sha256()
        m = self.n_dw
        for arr in (m.indptr, m.indices, m.data):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update("\x00".join(self.vocab["modality"] + "\x01" + self.vocab["token"]).encode())
        return h.hexdigest()[:16]
