"""Analysis of a fitted model for the views: topic distances and map, trends over time, run
matching and a standalone HTML report.

Pure functions over arrays and DataFrames; nothing here draws or imports a UI toolkit. Names
follow the ARTM papers: Φ is (W, T) with φ_wt = p(w|t), Θ is (T, D) with θ_td = p(t|d), n_d is
the length of document d.
"""
from __future__ import annotations

import html as _html
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

_EPS = 1e-12

# --------------------------------------------------------------------------------------------
# Distances between topics


def topic_distributions(phi: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Columns of Φ restricted to the tokens in ``mask`` and renormalized to sum to 1.

    Parameters
    ----------
    phi : ndarray of shape (W, T)
    mask : ndarray of shape (W,), bool, optional
        Tokens to keep (typically one modality). All tokens when omitted.

    Returns
    -------
    ndarray of shape (W', T), float64; a dead topic (all-zero column) stays all zero.
    """
    p = np.asarray(phi, dtype=np.float64)
    if mask is not None:
        p = p[np.asarray(mask, dtype=bool)]
    s = p.sum(axis=0, keepdims=True)
    return np.divide(p, s, out=np.zeros_like(p), where=s > 0)


def js_distance_matrix(p: np.ndarray, q: np.ndarray | None = None) -> np.ndarray:
    """Jensen–Shannon distances between the columns of ``p`` and those of ``q``.

    JS(a, b) = ½ KL(a‖m) + ½ KL(b‖m), m = ½(a + b), in bits (so 0 ≤ JS ≤ 1); the distance is
    √JS, a metric. A zero column is treated as the uniform distribution, so it never yields NaN.

    Parameters
    ----------
    p : ndarray of shape (W, T)
        Column-stochastic.
    q : ndarray of shape (W, S), optional
        Column-stochastic; ``p`` itself when omitted.

    Returns
    -------
    ndarray of shape (T, S), float64, entries in [0, 1]; the diagonal is 0 when ``q`` is omitted.
    """
    p = _fill_dead(np.asarray(p, dtype=np.float64))
    same = q is None
    q = p if same else _fill_dead(np.asarray(q, dtype=np.float64))
    T, S = p.shape[1], q.shape[1]
    out = np.empty((T, S))
    plogp = _xlogx(p).sum(axis=0)
    qlogq = _xlogx(q).sum(axis=0)
    for t in range(T):
        m = 0.5 * (p[:, [t]] + q)  # (W, S)
        # KL(a||m) = Σ a log a − Σ a log m
        logm = np.log2(np.where(m > 0, m, 1.0))
        kl_p = plogp[t] - (p[:, [t]] * logm).sum(axis=0)
        kl_q = qlogq - (q * logm).sum(axis=0)
        out[t] = 0.5 * (kl_p + kl_q)
    out = np.sqrt(np.clip(out, 0.0, 1.0))
    if same:
        out = 0.5 * (out + out.T)
        np.fill_diagonal(out, 0.0)
    return out


def _xlogx(a: np.ndarray) -> np.ndarray:
    return np.where(a > 0, a * np.log2(np.where(a > 0, a, 1.0)), 0.0)


def _fill_dead(p: np.ndarray) -> np.ndarray:
    dead = p.sum(axis=0) <= 0
    if dead.any() and p.shape[0]:
        p = p.copy()
        p[:, dead] = 1.0 / p.shape[0]
    return p


def topic_similarity(phi: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Topic similarity 1 − JS distance between the topics' token distributions.

    Returns
    -------
    ndarray of shape (T, T), entries in [0, 1], ones on the diagonal.
    """
    return 1.0 - js_distance_matrix(topic_distributions(phi, mask))


def classical_mds(dist: np.ndarray, k: int = 2) -> np.ndarray:
    """Classical (Torgerson) multidimensional scaling, pyLDAvis's ``js_PCoA``.

    B = −½ J D² J with J = I − 11ᵀ/n; the coordinates are the top-k eigenvectors of B scaled by
    √λ (negative eigenvalues clipped to 0). Signs are fixed so the largest |coordinate| of each
    axis is positive, which makes the layout deterministic.

    Parameters
    ----------
    dist : ndarray of shape (n, n), symmetric, zero diagonal
    k : int

    Returns
    -------
    ndarray of shape (n, k)
    """
    d = np.asarray(dist, dtype=np.float64)
    n = d.shape[0]
    if n == 0:
        return np.zeros((0, k))
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d**2) @ j
    vals, vecs = np.linalg.eigh(0.5 * (b + b.T))
    order = np.argsort(vals)[::-1][:k]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0.0, None))
    for a in range(coords.shape[1]):
        i = np.argmax(np.abs(coords[:, a]))
        if coords[i, a] < 0:
            coords[:, a] *= -1
    if coords.shape[1] < k:
        coords = np.hstack([coords, np.zeros((n, k - coords.shape[1]))])
    return coords


def intertopic_map(phi: np.ndarray, n_t: np.ndarray, topic_names: Sequence[str],
                   background: np.ndarray | None = None, labels: Sequence[str] | None = None,
                   mask: np.ndarray | None = None) -> pd.DataFrame:
    """Topics placed in 2-D by classical MDS of their Jensen–Shannon distances.

    Parameters
    ----------
    phi : ndarray of shape (W, T)
    n_t : ndarray of shape (T,)
        Topic mass n_t = Σ_w n_wt; its share Σ-normalized is the marker size.
    topic_names : T names
    background : ndarray of shape (T,), bool, optional
    labels : T display labels, optional (defaults to names)
    mask : ndarray of shape (W,), bool, optional — tokens to compare on (one modality)

    Returns
    -------
    DataFrame with columns topic, label, x, y, mass (share of n_t, sums to 1), background.
    """
    T = phi.shape[1]
    dist = js_distance_matrix(topic_distributions(phi, mask))
    xy = classical_mds(dist, 2)
    n_t = np.clip(np.asarray(n_t, dtype=np.float64), 0, None)
    total = n_t.sum()
    mass = n_t / total if total > 0 else np.full(T, 1.0 / max(T, 1))
    return pd.DataFrame({
        "topic": list(topic_names),
        "label": list(labels) if labels is not None else list(topic_names),
        "x": xy[:, 0],
        "y": xy[:, 1],
        "mass": mass,
        "background": np.zeros(T, bool) if background is None else np.asarray(background, bool),
    })


# --------------------------------------------------------------------------------------------
# Trends over time

_FREQ_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def choose_frequency(dates: pd.Series, max_bins: int = 60) -> str:
    """Bin width for a date range: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.

    The finest of day/week/month/quarter/year that gives at most ``max_bins`` bins.
    """
    d = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if d.empty:
        return "Y"
    span = (d.max() - d.min()).days + 1
    for freq, days in (("D", 1), ("W", 7), ("M", 30.44), ("Q", 91.3), ("Y", 365.25)):
        if span / days <= max_bins:
            return freq
    return "Y"


def period_of(dates: pd.Series, freq: str) -> pd.Series:
    """Start timestamp of the ``freq`` bin of each date (NaT stays NaT)."""
    d = pd.to_datetime(pd.Series(dates), errors="coerce")
    if freq not in _FREQ_NAMES:
        raise ValueError(f"frequency must be one of {', '.join(_FREQ_NAMES)}, got {freq!r}")
    if freq == "D":
        return d.dt.floor("D")
    return d.dt.to_period(freq).dt.start_time


def document_groups(documents: pd.DataFrame, by: str | None, n_dw=None, vocab: pd.DataFrame | None = None,
                    ) -> pd.Series | None:
    """One group label per document: a metadata column, or the most frequent token of a modality.

    Parameters
    ----------
    documents : DataFrame of D rows
    by : str or None
        A column of ``documents``, or a modality name starting with ``@`` (then ``n_dw`` and
        ``vocab`` are required). None means no grouping.
    n_dw : csr_matrix of shape (D, W), optional
    vocab : DataFrame of W rows with ``token`` and ``modality``, optional

    Returns
    -------
    Series of D str (``"(none)"`` where a document has no value), or None.
    """
    if not by:
        return None
    if by.startswith("@"):
        if n_dw is None or vocab is None:
            raise ValueError("grouping by a modality needs n_dw and vocab")
        cols = np.flatnonzero((vocab["modality"] == by).to_numpy())
        if cols.size == 0:
            raise ValueError(f"no modality {by!r}")
        sub = n_dw[:, cols].toarray()
        has = sub.sum(axis=1) > 0
        tokens = vocab["token"].to_numpy()[cols][sub.argmax(axis=1)]
        return pd.Series(np.where(has, tokens, "(none)"), index=documents.index, dtype=object)
    if by not in documents.columns:
        raise ValueError(f"no column {by!r} in the documents")
    values = documents[by]
    if values.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        values = values.map(lambda v: v[0] if isinstance(v, (list, tuple, np.ndarray)) and len(v) else None)
    return values.astype(object).where(values.notna(), "(none)").astype(str)


def topic_trends(theta: np.ndarray, n_d: np.ndarray, dates: pd.Series, freq: str | None = None,
                 topic_names: Sequence[str] | None = None, groups: pd.Series | None = None,
                 ) -> pd.DataFrame:
    """n_d-weighted topic prevalence per time bin (and per group).

    share_t(b) = Σ_{d∈b} n_d θ_td / Σ_{d∈b} n_d, i.e. the fraction of the tokens written in bin
    b that the model assigns to topic t. Documents without a date are left out.

    Parameters
    ----------
    theta : ndarray of shape (T, D)
    n_d : ndarray of shape (D,)
        Document lengths (token counts).
    dates : Series of D dates
    freq : ``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"`` or None (chosen by :func:`choose_frequency`)
    topic_names : T names, optional
    groups : Series of D group labels, optional

    Returns
    -------
    Long DataFrame with columns period (Timestamp), group (str, ``"all"`` when ungrouped),
    topic, share (in [0, 1]), weight (Σ n_d θ_td, tokens of the topic), tokens (Σ n_d of the
    bin), documents (count); sorted by group, period, topic. ``df.attrs["freq"]`` is the bin.
    """
    theta = np.asarray(theta, dtype=np.float64)
    T, D = theta.shape
    names = list(topic_names) if topic_names is not None else [f"topic_{t}" for t in range(T)]
    freq = freq or choose_frequency(dates)
    period = period_of(pd.Series(np.asarray(dates)), freq).to_numpy()
    ok = ~pd.isna(period)
    n_d = np.asarray(n_d, dtype=np.float64)
    grp = np.full(D, "all", dtype=object) if groups is None else np.asarray(groups, dtype=object)
    frame = pd.DataFrame(theta.T[ok] * n_d[ok, None], columns=names)
    frame["__period"] = period[ok]
    frame["__group"] = grp[ok]
    frame["__tokens"] = n_d[ok]
    frame["__docs"] = 1
    agg = frame.groupby(["__group", "__period"], sort=True).sum()
    tokens = agg.pop("__tokens")
    docs = agg.pop("__docs")
    long = agg.stack().rename("weight").reset_index()
    long.columns = ["group", "period", "topic", "weight"]
    idx = pd.MultiIndex.from_frame(long[["group", "period"]])
    long["tokens"] = tokens.reindex(idx).to_numpy()
    long["documents"] = docs.reindex(idx).to_numpy()
    long["share"] = np.divide(long["weight"], long["tokens"], out=np.zeros(len(long)),
                              where=long["tokens"].to_numpy() > 0)
    long["group"] = long["group"].astype(str)
    long = long[["period", "group", "topic", "share", "weight", "tokens", "documents"]]
    long.attrs["freq"] = freq
    return long.reset_index(drop=True)


def documents_per_period(dates: pd.Series, freq: str | None = None) -> pd.DataFrame:
    """Number of documents in each time bin: DataFrame[period, documents]; attrs["freq"]."""
    freq = freq or choose_frequency(dates)
    p = period_of(pd.Series(np.asarray(dates)), freq).dropna()
    out = p.value_counts().sort_index().rename_axis("period").rename("documents").reset_index()
    out.attrs["freq"] = freq
    return out


def growth_rates(trends: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of each topic's share over time (per group), fastest first.

    The slope is in share per bin (share units: fraction of tokens), fitted over bin index
    0, 1, 2, … of the bins that have documents, each weighted by the bin's token count.

    Returns
    -------
    DataFrame[group, topic, slope, first, last] sorted by slope descending.
    """
    rows = []
    for (g, topic), sub in trends.groupby(["group", "topic"], sort=False):
        sub = sub.sort_values("period")
        y = sub["share"].to_numpy(np.float64)
        w = sub["tokens"].to_numpy(np.float64)
        x = np.arange(len(y), dtype=np.float64)
        if len(y) < 2 or w.sum() <= 0:
            slope = 0.0
        else:
            xm = np.average(x, weights=w)
            ym = np.average(y, weights=w)
            var = np.sum(w * (x - xm) ** 2)
            slope = float(np.sum(w * (x - xm) * (y - ym)) / var) if var > 0 else 0.0
        rows.append((g, topic, slope, float(y[0]) if len(y) else 0.0, float(y[-1]) if len(y) else 0.0))
    out = pd.DataFrame(rows, columns=["group", "topic", "slope", "first", "last"])
    return out.sort_values("slope", ascending=False, kind="stable").reset_index(drop=True)


def fastest_growing(trends: pd.DataFrame, k: int = 3) -> list[str]:
    """Names of the ``k`` topics with the largest positive slope over all groups combined."""
    if trends.empty:
        return []
    total = (trends.groupby(["period", "topic"], sort=True)[["weight", "tokens"]].sum().reset_index())
    total["share"] = np.divide(total["weight"], total["tokens"], out=np.zeros(len(total)),
                               where=total["tokens"].to_numpy() > 0)
    total["group"] = "all"
    g = growth_rates(total)
    return g[g["slope"] > 0]["topic"].head(k).tolist()


# --------------------------------------------------------------------------------------------
# Comparing runs


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


# --------------------------------------------------------------------------------------------
# Standalone HTML report


def html_report(title: str, sections: Iterable[tuple[str, object]], subtitle: str = "") -> str:
    """Assemble a self-contained HTML page from figures, tables and text.

    Parameters
    ----------
    title : str
    sections : iterable of (heading, content)
        ``content`` is a Plotly figure (anything with ``to_html``), a DataFrame (rendered as a
        table), or a str (escaped text, shown as a paragraph).
    subtitle : str

    Returns
    -------
    str
        One HTML document; plotly.js is embedded once, so the file opens offline.
    """
    parts: list[str] = []
    first_fig = True
    for heading, content in sections:
        parts.append(f"<section><h2>{_html.escape(str(heading))}</h2>")
        if hasattr(content, "to_html") and hasattr(content, "data") and hasattr(content, "layout"):
            parts.append(content.to_html(full_html=False, include_plotlyjs="inline" if first_fig else False))
            first_fig = False
        elif isinstance(content, pd.DataFrame):
            parts.append(content.to_html(index=False, border=0, classes="table", float_format=lambda v: f"{v:.4g}"))
        else:
            parts.append(f"<p>{_html.escape(str(content))}</p>")
        parts.append("</section>")
    style = (
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;"
        "color:#1f2430;padding:0 1rem}h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}"
        "section{margin:2rem 0}table.table{border-collapse:collapse;font-size:.9rem}"
        "table.table td,table.table th{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;text-align:left}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{_html.escape(title)}</title><style>{style}</style></head><body>"
        f"<h1>{_html.escape(title)}</h1><p class='sub'>{_html.escape(subtitle)}</p>"
        + "".join(parts)
        + "</body></html>"
    )
