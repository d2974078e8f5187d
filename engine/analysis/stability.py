"""Topic stability across random starts, and where a curve bends.

Starts r = 1..R of the same configuration give Φ^(r) (W, T). Two starts are matched one-to-one
by the Hungarian method on the Jensen–Shannon distance between their topics
(:func:`engine.analysis.views.match_topics`). A topic t of a reference start **reappears** in
start r when its match lies within ``threshold`` (JS distance, base 2, in [0, 1]); its
**stability** is the share of the other starts in which it reappears, and the run's stability
is the mean over its topics (averaged over every start taken as reference).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from engine.analysis.views import js_distance_matrix, topic_distributions
from engine.errors import InputError

#: JS distance under which a matched topic counts as the same topic
THRESHOLD = 0.5
#: share of the other starts a stable topic must reappear in
STABLE_SHARE = 0.5


def _dists(phis: Sequence[np.ndarray], mask) -> list[np.ndarray]:
    if len(phis) < 2:
        raise InputError("stability needs at least two random starts of the same configuration")
    shapes = {np.shape(p) for p in phis}
    if len(shapes) != 1:
        raise InputError(f"stability: every start must have the same Φ shape, got {sorted(shapes)}")
    return [topic_distributions(p, mask) for p in phis]


def matched_distances(p_ref: np.ndarray, p_other: np.ndarray) -> np.ndarray:
    """For every column of ``p_ref`` the JS distance to its Hungarian match in ``p_other``."""
    d = js_distance_matrix(p_ref, p_other)
    rows, cols = linear_sum_assignment(d)
    out = np.ones(p_ref.shape[1])
    out[rows] = d[rows, cols]
    return out


def topic_stability(phis: Sequence[np.ndarray], reference: int = 0,
                    topic_names: Sequence[str] | None = None, threshold: float = THRESHOLD,
                    mask: np.ndarray | None = None, stable_share: float = STABLE_SHARE) -> pd.DataFrame:
    """Per-topic stability of start ``reference`` against all the others.

    Returns DataFrame[topic, stability (share of other starts where it reappears), mean_distance
    (mean matched JS distance), worst_distance, stable (stability ≥ ``stable_share``)], in the
    reference's topic order. Dead topics get stability 0.
    """
    ps = _dists(phis, mask)
    if not 0 <= reference < len(ps):
        raise InputError(f"reference start {reference} is out of range (0..{len(ps) - 1})")
    ref = ps[reference]
    d = np.array([matched_distances(ref, p) for i, p in enumerate(ps) if i != reference])  # (R-1, T)
    dead = ref.sum(axis=0) <= 0
    d[:, dead] = 1.0
    T = ref.shape[1]
    names = list(topic_names) if topic_names is not None else [f"topic_{t}" for t in range(T)]
    share = (d <= threshold).mean(axis=0)
    return pd.DataFrame({"topic": names, "stability": share, "mean_distance": d.mean(axis=0),
                         "worst_distance": d.max(axis=0), "stable": share >= stable_share})


def stability_score(phis: Sequence[np.ndarray], threshold: float = THRESHOLD,
                    mask: np.ndarray | None = None) -> dict[str, float]:
    """``stability``: mean topic stability over every start as reference; ``matched_distance``:
    mean matched JS distance over all ordered pairs; ``stable_topics``: mean count of topics
    reappearing in at least half the other starts."""
    ps = _dists(phis, mask)
    R = len(ps)
    d = np.full((R, R, ps[0].shape[1]), np.nan)
    for i in range(R):
        for j in range(i + 1, R):
            d[i, j] = matched_distances(ps[i], ps[j])
            d[j, i] = matched_distances(ps[j], ps[i])
    per_ref = []
    stable = []
    for i in range(R):
        others = np.array([d[i, j] for j in range(R) if j != i])
        others[:, ps[i].sum(axis=0) <= 0] = 1.0
        share = (others <= threshold).mean(axis=0)
        per_ref.append(share.mean())
        stable.append(float((share >= STABLE_SHARE).sum()))
    off = ~np.eye(R, dtype=bool)
    return {"stability": float(np.mean(per_ref)), "matched_distance": float(np.nanmean(d[off])),
            "stable_topics": float(np.mean(stable))}


def knee(x: Sequence[float], y: Sequence[float], log_x: bool = True) -> float | None:
    """Where the curve y(x) bends most (Kneedle): x and y scaled to [0, 1] (x on a log scale by
    default), the point farthest from the chord between the first and last points. None with
    fewer than 3 finite points or a flat curve."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y) & ((x > 0) if log_x else True)
    x, y = x[ok], y[ok]
    if len(x) < 3:
        return None
    order = np.argsort(x)
    x, y = x[order], y[order]
    xs = np.log(x) if log_x else x
    xs = (xs - xs[0]) / (xs[-1] - xs[0]) if xs[-1] > xs[0] else xs * 0
    span = y.max() - y.min()
    if span <= 0:
        return None
    ys = (y - y.min()) / span
    chord = ys[0] + (ys[-1] - ys[0]) * xs
    gap = np.abs(ys - chord)
    i = int(np.argmax(gap[1:-1])) + 1
    return float(x[i]) if gap[i] > 1e-9 else None
