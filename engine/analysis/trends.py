"""Topic prevalence over time: bins that fit the span (day … decade, or n-year bins), the
n_d-weighted share of each topic per bin, empty periods kept as gaps, optional smoothing, and
growth rates. Θ is (T, D) with θ_td = p(t|d); n_d is the length of document d."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

_FREQ_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "10Y": "decade"}
_YEARS = re.compile(r"^(\d+)Y$")
#: Candidate bins from finest to coarsest, with their length in days.
_LADDER = (("D", 1), ("W", 7), ("M", 30.44), ("Q", 91.3), ("Y", 365.25),
           ("10Y", 3652.5), ("25Y", 25 * 365.25), ("50Y", 50 * 365.25), ("100Y", 36525.0))


def freq_name(freq: str) -> str:
    """``"decade"`` for ``"10Y"``, ``"5 years"`` for ``"5Y"``, ``"month"`` for ``"M"``…"""
    if freq in _FREQ_NAMES:
        return _FREQ_NAMES[freq]
    m = _YEARS.match(freq or "")
    return f"{m.group(1)} years" if m else str(freq)


def _years(freq: str) -> int | None:
    m = _YEARS.match(freq)
    return int(m.group(1)) if m and freq != "Y" else None


def choose_frequency(dates: pd.Series, max_bins: int = 60) -> str:
    """The finest bin of day/week/month/quarter/year/decade/25/50/100 years that gives
    at most ``max_bins`` bins over the span of ``dates`` (two centuries → decades)."""
    d = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if d.empty:
        return "Y"
    span = (d.max() - d.min()).days + 1
    for freq, days in _LADDER:
        if span / days <= max_bins:
            return freq
    return "100Y"


def check_frequency(freq: str) -> str:
    """``freq`` if valid (``D W M Q Y`` or ``<n>Y`` with n ≥ 1), else ValueError naming it."""
    if freq in _FREQ_NAMES or (_YEARS.match(freq or "") and int(freq[:-1]) >= 1):
        return freq
    raise ValueError(f"bins must be one of D, W, M, Q, Y, or <n>Y for n-year bins (10Y = decade), got {freq!r}")


def period_of(dates: pd.Series, freq: str) -> pd.Series:
    """Start timestamp of the ``freq`` bin of each date (NaT stays NaT); n-year bins start at
    years divisible by n (decades at 1990, 2000, …)."""
    d = pd.to_datetime(pd.Series(dates), errors="coerce")
    check_frequency(freq)
    n = _years(freq)
    if n:
        years = (d.dt.year // n) * n
        return pd.to_datetime(years.astype("Int64").astype(str).where(years.notna()) + "-01-01", errors="coerce")
    if freq == "D":
        return d.dt.floor("D")
    return d.dt.to_period(freq).dt.start_time


def all_periods(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """Every bin start from ``first`` to ``last`` (both bin starts), empty bins included."""
    n = _years(freq)
    if n:
        return pd.DatetimeIndex([pd.Timestamp(year=y, month=1, day=1) for y in range(first.year, last.year + 1, n)])
    if freq == "D":
        return pd.date_range(first, last, freq="D")
    return pd.period_range(first, last, freq=freq).start_time


def document_groups(documents: pd.DataFrame, by: str | None, n_dw=None, vocab: pd.DataFrame | None = None,
                    ) -> pd.Series | None:
    """One group label per document: a metadata column, or the most frequent token of a modality.

    Parameters
    ----------
    documents : DataFrame of D rows
    by : a column of ``documents``, or a modality name starting with ``@`` (then ``n_dw`` and
        ``vocab`` are required). None means no grouping.
    n_dw : csr_matrix of shape (D, W), or an iterable of CSR row blocks (D_b, W) in document order
        (a corpus stored as batches: one batch in memory at a time), optional
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
        blocks = [n_dw] if sp.issparse(n_dw) else n_dw
        tokens = vocab["token"].to_numpy()[cols]
        labels = np.concatenate([_top_token(b, cols, tokens) for b in blocks] or [np.empty(0, object)])
        if len(labels) != len(documents):
            raise ValueError(f"n_dw has {len(labels)} documents, the table {len(documents)}")
        return pd.Series(labels, index=documents.index, dtype=object)
    if by not in documents.columns:
        raise ValueError(f"no column {by!r} in the documents")
    values = documents[by]
    if values.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        values = values.map(lambda v: v[0] if isinstance(v, (list, tuple, np.ndarray)) and len(v) else None)
    return values.astype(object).where(values.notna(), "(none)").astype(str)


def _top_token(n_dw, cols: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Per row of the CSR block ``n_dw``, the token among columns ``cols`` with the largest count
    (the first on ties), or "(none)"; sparse: O(nnz) memory, never a dense rows × cols array."""
    sub = sp.csr_matrix(n_dw)[:, cols]
    has = np.diff(sub.indptr) > 0
    has[has] = np.asarray(sub.max(axis=1).toarray()).ravel()[has] > 0
    best = np.asarray(sub.argmax(axis=1)).ravel()
    return np.where(has, tokens[best], "(none)").astype(object)


def topic_trends(theta: np.ndarray, n_d: np.ndarray, dates: pd.Series, freq: str | None = None,
                 topic_names: Sequence[str] | None = None, groups: pd.Series | None = None,
                 background: Sequence[bool] | np.ndarray | None = None, smooth: int = 1,
                 ) -> pd.DataFrame:
    """n_d-weighted topic prevalence per time bin (and per group).

    share_t(b) = Σ_{d∈b} n_d θ_td / Σ_{d∈b} n_d, i.e. the fraction of the tokens written in bin
    b that the model assigns to topic t. Documents without a date are left out. Bins with no
    document between the first and the last are kept with ``share`` NaN (``tokens`` 0), so a
    line drawn from the table breaks there instead of bridging the gap.

    Parameters
    ----------
    theta : ndarray of shape (T, D)
    n_d : ndarray of shape (D,) — document lengths (token counts)
    dates : Series of D dates
    freq : ``"D" "W" "M" "Q" "Y"``, ``"<n>Y"`` (``"10Y"`` = decade) or None (:func:`choose_frequency`)
    topic_names : T names, optional
    groups : Series of D group labels, optional
    background : T bools, optional — those topics are left out of the table
    smooth : int ≥ 1
        Centred moving average of the share over this many consecutive bins (1 = none); empty
        bins stay NaN and are not averaged in.

    Returns
    -------
    Long DataFrame with columns period (Timestamp), group (``"all"`` when ungrouped), topic,
    share (in [0, 1] or NaN), weight (Σ n_d θ_td), tokens (Σ n_d of the bin), documents; sorted
    by group, period, topic. ``df.attrs["freq"]`` is the bin, ``attrs["smooth"]`` the window.
    """
    theta = np.asarray(theta, dtype=np.float64)
    T, D = theta.shape
    names = list(topic_names) if topic_names is not None else [f"topic_{t}" for t in range(T)]
    keep = np.ones(T, bool) if background is None else ~np.asarray(background, bool)
    freq = check_frequency(freq or choose_frequency(dates))
    period = period_of(pd.Series(np.asarray(dates)), freq).to_numpy()
    ok = ~pd.isna(period)
    n_d = np.asarray(n_d, dtype=np.float64)
    grp = np.full(D, "all", dtype=object) if groups is None else np.asarray(groups, dtype=object)
    kept = [n for n, k in zip(names, keep) if k]
    frame = pd.DataFrame(theta[keep].T[ok] * n_d[ok, None], columns=kept)
    frame["__period"] = period[ok]
    frame["__group"] = grp[ok].astype(str)
    frame["__tokens"] = n_d[ok]
    frame["__docs"] = 1
    agg = frame.groupby(["__group", "__period"], sort=True).sum()
    if not agg.empty:
        bins = all_periods(agg.index.get_level_values(1).min(), agg.index.get_level_values(1).max(), freq)
        full = pd.MultiIndex.from_product([agg.index.get_level_values(0).unique(), bins])
        agg = agg.reindex(full, fill_value=0)
    tokens = agg.pop("__tokens")
    docs = agg.pop("__docs")
    long = agg.stack().rename("weight").reset_index()
    long.columns = ["group", "period", "topic", "weight"]
    idx = pd.MultiIndex.from_frame(long[["group", "period"]])
    long["tokens"] = tokens.reindex(idx).to_numpy()
    long["documents"] = docs.reindex(idx).to_numpy()
    long["share"] = np.where(long["tokens"].to_numpy() > 0,
                             long["weight"] / long["tokens"].where(long["tokens"] > 0, 1.0), np.nan)
    if smooth and int(smooth) > 1:
        long = long.sort_values(["group", "topic", "period"])
        sm = long.groupby(["group", "topic"], sort=False)["share"].transform(
            lambda s: s.rolling(int(smooth), center=True, min_periods=1).mean())
        long["share"] = sm.where(long["share"].notna())
        long = long.sort_values(["group", "period", "topic"], kind="stable")
    long = long[["period", "group", "topic", "share", "weight", "tokens", "documents"]]
    long.attrs["freq"] = freq
    long.attrs["smooth"] = int(smooth or 1)
    return long.reset_index(drop=True)


def documents_per_period(dates: pd.Series, freq: str | None = None) -> pd.DataFrame:
    """Number of documents in each time bin: DataFrame[period, documents]; attrs["freq"]."""
    freq = check_frequency(freq or choose_frequency(dates))
    p = period_of(pd.Series(np.asarray(dates)), freq).dropna()
    out = p.value_counts().sort_index().rename_axis("period").rename("documents").reset_index()
    out.attrs["freq"] = freq
    return out


def growth_rates(trends: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of each topic's share over time (per group), fastest first.

    The slope is in share per bin (fraction of tokens), fitted over the bin index 0, 1, 2, … of
    the bins between the first and the last, each weighted by its token count (empty bins weigh
    0). Topics missing from ``trends`` (e.g. background topics) are not ranked.

    Returns
    -------
    DataFrame[group, topic, slope, first, last] sorted by slope descending.
    """
    rows = []
    for (g, topic), sub in trends.groupby(["group", "topic"], sort=False):
        sub = sub.sort_values("period")
        x = np.arange(len(sub), dtype=np.float64)
        have = sub["tokens"].to_numpy(np.float64) > 0
        y = sub["share"].to_numpy(np.float64)[have]
        w = sub["tokens"].to_numpy(np.float64)[have]
        x = x[have]
        if len(y) < 2 or w.sum() <= 0:
            slope = 0.0
        else:
            xm, ym = np.average(x, weights=w), np.average(y, weights=w)
            var = np.sum(w * (x - xm) ** 2)
            slope = float(np.sum(w * (x - xm) * (y - ym)) / var) if var > 0 else 0.0
        rows.append((g, topic, slope, float(y[0]) if len(y) else 0.0, float(y[-1]) if len(y) else 0.0))
    out = pd.DataFrame(rows, columns=["group", "topic", "slope", "first", "last"])
    return out.sort_values("slope", ascending=False, kind="stable").reset_index(drop=True)


def fastest_growing(trends: pd.DataFrame, k: int = 3) -> list[str]:
    """Names of the ``k`` topics with the largest positive slope over all groups combined."""
    if trends.empty:
        return []
    total = trends.groupby(["period", "topic"], sort=True)[["weight", "tokens"]].sum().reset_index()
    total["share"] = np.where(total["tokens"] > 0, total["weight"] / total["tokens"].where(total["tokens"] > 0, 1.0),
                              np.nan)
    total["group"] = "all"
    g = growth_rates(total)
    return g[g["slope"] > 0]["topic"].head(k).tolist()
