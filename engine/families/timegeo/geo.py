"""GeoSmoothing: the seed's geospatial regularizer over a location modality g with a user-given
similarity S_gg' (a CSV of location pairs and weights):

    R(Φ) = −τ/2 Σ_{g,g'} S_gg' Σ_t n_t² (φ_gt/n_g − φ_g't/n_g')²,

i.e. similar places get similar p(t|g) = n_t φ_gt / n_g (n_g: the place's count in the corpus,
n_t: the topic's mass of the previous pass). With S symmetric (each CSV row a, b, s counts as
S_ab = S_ba = s; the factor 2 of the derivative is absorbed into τ):

    r_gt = φ_gt ∂R/∂φ_gt = −τ φ_gt (n_t²/n_g) Σ_g' S_gg' (φ_gt/n_g − φ_g't/n_g').
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.em.regularizers import Param, Regularizer, register_regularizer, topic_mask
from engine.errors import ConfigError, InputError
from engine.families.tables import store_user_file

__all__ = ["GeoSmoothing", "read_similarity", "similarity_from_bytes", "store_similarity"]


def read_similarity(path, tokens: pd.Series, source_col="a", target_col="b", weight_col="weight") -> sp.csr_matrix:
    """S (K, K) symmetric CSR over the K ``tokens`` (location names) from a CSV of pairs; rows
    naming unknown places are dropped; InputError when the file or its columns are missing, a
    weight is not a number ≥ 0, or no row names two known places."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"similarity file {path} does not exist")
    return similarity_from_bytes(path.read_bytes(), str(path), tokens, source_col, target_col, weight_col)


def similarity_from_bytes(data: bytes, name: str, tokens: pd.Series, source_col="a", target_col="b",
                          weight_col="weight") -> sp.csr_matrix:
    """:func:`read_similarity` of a file's content ``data`` (``name`` in the messages)."""
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                            compression="gzip" if name.endswith(".gz") else None)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{name}: cannot be read as CSV ({str(e).splitlines()[0][:200]})") from None
    missing = [c for c in (source_col, target_col) if c not in frame.columns]
    if missing:
        raise InputError(f"{name}: no column(s) {', '.join(missing)}; the columns are {', '.join(frame.columns)} "
                         f"(expected: {source_col}, {target_col}[, {weight_col}])")
    w = np.ones(len(frame))
    if weight_col in frame.columns:
        w = pd.to_numeric(frame[weight_col], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            raise InputError(f"{name}: {weight_col!r} in row {int(np.flatnonzero(bad)[0]) + 2} is not a number ≥ 0")
    pos = pd.Series(np.arange(len(tokens)), index=pd.Index(tokens.astype(str)))
    a, b = frame[source_col].map(pos), frame[target_col].map(pos)
    ok = a.notna() & b.notna() & (a != b)
    if not ok.any():
        raise InputError(f"{name}: no row names two different places of the location modality "
                         f"(e.g. {', '.join(tokens.astype(str)[:3])})")
    a, b, w = a[ok].to_numpy(np.int64), b[ok].to_numpy(np.int64), w[ok.to_numpy()]
    K = len(tokens)
    s = sp.coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(K, K)).tocsr()
    s.sum_duplicates()
    return s


def store_similarity(workspace, data: bytes, name: str, tokens: pd.Series) -> tuple[Path, dict]:
    """Check an uploaded similarity CSV against the place ``tokens`` (InputError naming the file
    and what to fix; nothing is written then), then keep it in ``<workspace>/similarities/``
    (content addressed). Returns (path, {pairs: rows used, places: places named})."""
    S = similarity_from_bytes(data, name, tokens)
    path = store_user_file(workspace, "similarities", data, name)
    return path, {"pairs": int(sp.triu(S, k=1).nnz), "places": int((S.getnnz(axis=1) > 0).sum())}


@register_regularizer
@dataclass(frozen=True)
class GeoSmoothing(Regularizer):
    """Similar places (pairs in ``similarity``, a CSV a, b[, weight]) get similar p(t|g) over
    the tokens of ``modality`` (see the module docstring)."""

    modality: str = "@place"
    similarity: str = "similarity.csv"
    topics: object = "all"

    kind: ClassVar[str] = "GeoSmoothing"
    DEFAULT_TAU: ClassVar[float] = 0.001
    NEEDS_RUN_DATA: ClassVar[bool] = True  # a similarity file and a place modality: tested in test_family_timegeo
    PARAMS: ClassVar[tuple] = (
        Param("modality", "modality", "@place", "Modality whose tokens are places"),
        Param("similarity", "str", "similarity.csv", "CSV of place pairs a, b[, weight] (the similarity S)"),
        Param("topics", "topics", "all", "Topics the term acts on"),
    )

    def phi_term(self, phi, n_wt, ctx):
        r = np.zeros(phi.shape, np.float64)
        self.add_phi_term(phi, n_wt, ctx, r)
        return r

    def check(self, ctx) -> None:
        """Also reads the similarity file, so a bad file fails before training starts."""
        super().check(ctx)
        self._similarity(ctx)

    def _similarity(self, ctx):
        """(place token ids, S, n_g), read once per trainer."""
        if self.modality not in ctx.modalities:
            raise ConfigError(f"{self.name}.modality: the corpus has no modality {self.modality!r}")
        key = ("GeoSmoothing", self.modality, self.similarity)
        if key not in ctx.cache:
            ids = np.flatnonzero(ctx.corpus.token_modality == ctx.corpus.modalities.index(self.modality))
            S = read_similarity(self.similarity, ctx.corpus.vocab["token"].iloc[ids])
            n_g = np.maximum(ctx.corpus.vocab["tf"].to_numpy(np.float64)[ids], 1e-12)
            ctx.cache[key] = (ids, S, n_g)
        return ctx.cache[key]

    def add_phi_term(self, phi, n_wt, ctx, out):
        ids, S, n_g = self._similarity(ctx)
        if ctx.n_t is None:
            return
        n_t = np.asarray(ctx.n_t, np.float64)
        p = phi[ids].astype(np.float64)
        a = p / n_g[:, None]                                   # φ_gt / n_g
        diff = np.asarray(S.sum(axis=1)).ravel()[:, None] * a - S @ a   # Σ_g' S_gg' (a_g − a_g')
        r = -ctx.tau * p * (n_t ** 2)[None, :] / n_g[:, None] * diff
        out[ids] += r * topic_mask(ctx, self.topics)[None, :]
