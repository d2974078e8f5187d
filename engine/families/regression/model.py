"""Regression on Θ (supervised ARTM): the maths as pure functions over arrays.

The regularizer (the seed's list of regularizers, "регрессия"):

    R(Θ, v) = −τ Σ_{d∈L} (ỹ_d − Σ_t v_t θ_td)²,    ỹ_d = (y_d − ȳ) / s_y

over the labelled documents L (y standardized, so τ does not depend on y's units). Its Θ term
for the E-step is r_td = θ_td ∂R/∂θ_td = 2τ θ_td v_t (ỹ_d − v·θ_d), evaluated at the previous
pass's Θ; v is refitted after every pass (the M-step for v) by ridge regression,
v = (Θ_L Θ_Lᵀ + λ|L| I)⁻¹ Θ_L ỹ. There is no intercept: Σ_t θ_td = 1 absorbs it, so
ȳ + s_y v_t is "the y of a document entirely about topic t" (what the view ranks).
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from engine.errors import InputError

#: ridge λ relative to the number of labelled documents (keeps v finite when a topic is unused)
RIDGE = 1e-3


def targets(documents: pd.DataFrame, column: str, positive=None, unlabeled: str | None = None,
            missing: str = "error", source: str = "corpus") -> tuple[np.ndarray, np.ndarray]:
    """y (D,) float64 and the mask (D,) bool of documents whose y supervises the model.

    ``positive``: list of values of a categorical ``column`` that make y = 1 (a value ending in
    ``*`` is a prefix), all others 0. ``unlabeled``: ``"col=value"`` — documents with that
    value are not used for fitting (their y is predicted, e.g. a test split). ``missing``:
    ``"error"`` (default: empty or NaN y raises, naming the column) or ``"unlabeled"``.
    """
    if column not in documents.columns:
        cols = [c for c in documents.columns if c not in ("text",)]
        raise InputError(f"{source}: no column {column!r} for y; the columns are {', '.join(map(str, cols))}")
    raw = documents[column]
    if positive:
        pats = [str(p) for p in positive]
        s = raw.astype("string")
        isna = s.isna().to_numpy()
        hit = np.zeros(len(s), bool)
        for p in pats:
            hit |= (s.str.startswith(p[:-1]) if p.endswith("*") else s == p).fillna(False).to_numpy(bool)
        if not hit.any():
            raise InputError(f"{source}: no document has {column} in {pats}; "
                             f"values are e.g. {', '.join(map(str, s.dropna().unique()[:5]))}")
        y = hit.astype(np.float64)
        y[isna] = np.nan
    else:
        y = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64)
        bad = np.isnan(y) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
        if bad.any():
            ex = raw[bad].astype(str).iloc[0]
            raise InputError(f"{source}: column {column!r} has {int(bad.sum())} non-numeric values "
                             f"(e.g. {ex!r}); give positive values (--positive) for a binary y")
        if np.isinf(y).any():
            raise InputError(f"{source}: column {column!r} has infinite values")
    mask = ~np.isnan(y)
    if unlabeled:
        if "=" not in unlabeled:
            raise InputError(f"unlabeled must be COLUMN=VALUE, got {unlabeled!r}")
        col, val = unlabeled.split("=", 1)
        if col not in documents.columns:
            raise InputError(f"{source}: no column {col!r} (from unlabeled={unlabeled!r})")
        mask &= (documents[col].astype(str) != val).to_numpy()
    elif (~mask).any() and missing == "error":
        ids = documents["id"].astype(str).to_numpy()[~mask][:3] if "id" in documents else []
        raise InputError(f"{source}: column {column!r} has {int((~mask).sum())} missing (NaN/empty) "
                         f"values (documents {', '.join(ids)} …); fill them, or train with "
                         "missing='unlabeled' (--missing unlabeled) to leave them unsupervised")
    if mask.sum() < 2:
        raise InputError(f"{source}: column {column!r} gives fewer than 2 labelled documents")
    if np.nanstd(y[mask]) == 0:
        raise InputError(f"{source}: column {column!r} is constant on the labelled documents")
    return y, mask


def standardize(y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(ỹ with 0 outside ``mask``, mean, sd) of the labelled y."""
    mean, sd = float(np.mean(y[mask])), float(np.std(y[mask]))
    z = np.where(mask, (np.nan_to_num(y) - mean) / sd, 0.0)
    return z, mean, sd


def fit_v(theta_dt: np.ndarray, z: np.ndarray, mask: np.ndarray,
          ridge: float = RIDGE) -> tuple[np.ndarray, np.ndarray]:
    """Ridge fit of ỹ on θ over the labelled documents: (v (T,), standard errors (T,)).

    ``theta_dt`` (D, T). Standard errors: σ̂² diag(A⁻¹ XᵀX A⁻¹), A = XᵀX + λ|L| I.
    """
    X = np.asarray(theta_dt, np.float64)[mask]
    yl = z[mask]
    n, T = X.shape
    G = X.T @ X
    A = G + ridge * n * np.eye(T)
    v = np.linalg.solve(A, X.T @ yl)
    resid = yl - X @ v
    sigma2 = float(resid @ resid) / max(n - T, 1)
    Ainv = np.linalg.inv(A)
    se = np.sqrt(np.maximum(np.diag(Ainv @ G @ Ainv) * sigma2, 0.0))
    return v, se


def theta_term(theta_dt: np.ndarray, z: np.ndarray, mask: np.ndarray, v: np.ndarray,
               tau: float) -> np.ndarray:
    """r_td = 2τ θ_td v_t (ỹ_d − v·θ_d) for labelled d, 0 elsewhere: (D, T) float32."""
    th = np.asarray(theta_dt, np.float64)
    resid = np.where(mask, z - th @ v, 0.0)
    return (2.0 * tau * th * v[None, :] * resid[:, None]).astype(np.float32)


def predict_from_theta(theta_dt: np.ndarray, v: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """ŷ_d = ȳ + s_y Σ_t v_t θ_td (an empty document gets ȳ)."""
    return mean + sd * (np.asarray(theta_dt, np.float64) @ v)


def r2(y: np.ndarray, yhat: np.ndarray) -> float:
    """Coefficient of determination 1 − SS_res / SS_tot."""
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - yhat) ** 2).sum()) / ss if ss > 0 else float("nan")


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of a binary y (Mann–Whitney U with average ranks for ties)."""
    pos = y > 0.5
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def is_binary(y: np.ndarray, mask: np.ndarray) -> bool:
    return bool(np.isin(y[mask], (0.0, 1.0)).all())


def topic_effects(topic_names, v, se, mean: float, sd: float) -> pd.DataFrame:
    """One row per topic, sorted by effect: topic, effect (ȳ + s_y v_t), low/high (±1.96 se)."""
    eff = mean + sd * np.asarray(v)
    half = 1.96 * sd * np.asarray(se)
    df = pd.DataFrame({"topic": list(topic_names), "effect": eff, "low": eff - half,
                       "high": eff + half, "v": np.asarray(v), "se": np.asarray(se)})
    return df.sort_values("effect", ascending=False, ignore_index=True)


