"""Comparing runs: align two Φ on a common vocabulary and match their topics one-to-one
(Hungarian method on Jensen–Shannon distances)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from engine.analysis.topic_map import js_distance_matrix, topic_distributions

def align_phi(phi: np.ndarray, vocab: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """Rows of ``phi`` rearranged to the token order of ``reference`` (zeros for missing tokens).

    Both vocabularies are DataFrames with ``token`` and ``modality``; tokens are matched by
    (modality, token), so two runs on differently filtered corpora can still be compared.
    """
    key = vocab["modality"].astype(str) + "\x00" + vocab["token"].astype(str)
    ref = reference["modality"].astype(str) + "\x00" + reference["token"].astype(str)
    pos = pd.Series(np.arange(len(key)), index=key.to_numpy())
    pos = pos[~pos.index.duplicated()]
    rows = pos.reindex(ref.to_numpy()).to_numpy()
    out = np.zeros((len(ref), phi.shape[1]), dtype=np.float64)
    ok = ~np.isnan(rows)
    out[ok] = phi[rows[ok].astype(np.int64)]
    return out


def match_topics(phi_a: np.ndarray, phi_b: np.ndarray, names_a: Sequence[str] | None = None,
                 names_b: Sequence[str] | None = None, mask: np.ndarray | None = None) -> pd.DataFrame:
    """One-to-one matching of the topics of two models minimising total JS distance.

    Solves the assignment problem on the (T_a, T_b) Jensen–Shannon distance matrix with the
    Hungarian method (``scipy.optimize.linear_sum_assignment``); with T_a ≠ T_b the extra
    topics stay unmatched. Φ rows must describe the same tokens (see :func:`align_phi`).

    Returns
    -------
    DataFrame[topic_a, topic_b, distance, similarity] sorted by distance; ``attrs["distance"]``
    holds the full (T_a, T_b) matrix.
    """
    pa = topic_distributions(phi_a, mask)
    pb = topic_distributions(phi_b, mask)
    dist = js_distance_matrix(pa, pb)
    rows, cols = linear_sum_assignment(dist)
    na = list(names_a) if names_a is not None else [f"topic_{t}" for t in range(pa.shape[1])]
    nb = list(names_b) if names_b is not None else [f"topic_{t}" for t in range(pb.shape[1])]
    out = pd.DataFrame({
        "topic_a": [na[i] for i in rows],
        "topic_b": [nb[j] for j in cols],
        "distance": dist[rows, cols],
    })
    out["similarity"] = 1.0 - out["distance"]
    out = out.sort_values("distance", kind="stable").reset_index(drop=True)
    out.attrs["distance"] = dist
    return out


