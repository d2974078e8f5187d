"""engine.analysis: distances, MDS, trends, matching, report."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import jensenshannon

from engine import analysis as an


def _phi(rng, W=30, T=5):
    p = rng.random((W, T)) ** 4
    return p / p.sum(axis=0)


def test_js_matches_scipy_and_is_symmetric():
    rng = np.random.default_rng(0)
    phi = _phi(rng)
    d = an.js_distance_matrix(phi)
    ref = np.array([[jensenshannon(phi[:, i], phi[:, j], base=2) for j in range(5)] for i in range(5)])
    np.testing.assert_allclose(d, ref, atol=1e-9)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)


def test_js_dead_topic_is_finite():
    rng = np.random.default_rng(1)
    phi = _phi(rng)
    phi[:, 2] = 0
    d = an.js_distance_matrix(an.topic_distributions(phi))
    assert np.isfinite(d).all() and (d >= 0).all() and (d <= 1).all()


def test_classical_mds_recovers_planar_distances():
    rng = np.random.default_rng(2)
    pts = rng.normal(size=(7, 2))
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    xy = an.classical_mds(dist, 2)
    back = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.testing.assert_allclose(back, dist, atol=1e-8)


def test_intertopic_map_mass_and_columns():
    rng = np.random.default_rng(3)
    phi = _phi(rng)
    df = an.intertopic_map(phi, np.array([1, 2, 3, 4, 0.0]), [f"t{i}" for i in range(5)],
                           background=np.array([0, 0, 0, 0, 1], bool))
    assert list(df.columns) == ["topic", "label", "x", "y", "mass", "background"]
    assert df["mass"].sum() == pytest.approx(1.0)
    assert df["background"].tolist() == [False] * 4 + [True]


def test_similarity_diagonal_one():
    rng = np.random.default_rng(4)
    s = an.topic_similarity(_phi(rng))
    np.testing.assert_allclose(np.diag(s), 1.0)
    assert (s <= 1).all() and (s >= 0).all()


def test_choose_frequency():
    assert an.choose_frequency(pd.to_datetime(["2020-01-01", "2020-01-20"])) == "D"
    assert an.choose_frequency(pd.to_datetime(["2020-01-01", "2020-09-01"])) == "W"
    assert an.choose_frequency(pd.to_datetime(["2020-01-01", "2021-06-01"])) == "M"
    assert an.choose_frequency(pd.to_datetime(["2010-01-01", "2020-06-01"])) == "Q"
    assert an.choose_frequency(pd.to_datetime(["1990-01-01", "2020-06-01"])) == "Y"
    assert an.choose_frequency(pd.to_datetime(["1900-01-01", "2020-06-01"])) == "10Y"
    assert an.choose_frequency(pd.to_datetime(["1803-01-01", "2020-06-01"])) == "10Y"  # two centuries: decades


def test_topic_trends_weighted_share():
    theta = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    n_d = np.array([10.0, 30.0, 20.0])
    dates = pd.Series(pd.to_datetime(["2020-01-05", "2020-01-20", "2021-03-01"]))
    tr = an.topic_trends(theta, n_d, dates, freq="Y", topic_names=["a", "b"])
    y2020 = tr[tr["period"] == pd.Timestamp("2020-01-01")].set_index("topic")["share"]
    assert y2020["a"] == pytest.approx(10 / 40) and y2020["b"] == pytest.approx(30 / 40)
    sums = tr.groupby("period")["share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert tr.attrs["freq"] == "Y"


def test_topic_trends_groups_and_growth():
    D = 40
    dates = pd.Series(pd.date_range("2000-01-01", periods=D, freq="MS"))
    rising = np.linspace(0.1, 0.9, D)
    theta = np.vstack([rising, 1 - rising])
    groups = pd.Series(["x", "y"] * (D // 2))
    tr = an.topic_trends(theta, np.ones(D), dates, freq="Y", topic_names=["up", "down"], groups=groups)
    assert set(tr["group"]) == {"x", "y"}
    g = an.growth_rates(tr)
    assert g.iloc[0]["topic"] == "up" and g.iloc[0]["slope"] > 0
    assert an.fastest_growing(tr, k=1) == ["up"]


def test_document_groups_by_modality_and_column():
    docs = pd.DataFrame({"id": ["a", "b", "c"], "party": ["L", None, "C"]})
    vocab = pd.DataFrame({"token": ["w", "lab", "con"], "modality": ["@default_class", "@party", "@party"]})
    n_dw = sp.csr_matrix(np.array([[3, 1, 0], [2, 0, 0], [1, 0, 2]], dtype=np.float32))
    g = an.document_groups(docs, "@party", n_dw, vocab)
    assert g.tolist() == ["lab", "(none)", "con"]
    assert an.document_groups(docs, "party").tolist() == ["L", "(none)", "C"]
    assert an.document_groups(docs, None) is None
    with pytest.raises(ValueError):
        an.document_groups(docs, "nope")


def test_document_groups_by_modality_in_blocks_equal_the_whole_matrix():
    """A corpus stored as batches gives its rows block by block: the labels equal those of the whole
    matrix, and equal a dense argmax (first token on ties; "(none)" for rows without the modality,
    explicit zeros included)."""
    rng = np.random.default_rng(3)
    D, W = 40, 12
    dense = rng.poisson(0.5, size=(D, W)).astype(np.float32)
    dense[5, 6:] = 0
    dense[7, 6:] = [2, 2, 0, 0, 0, 0]  # a tie: the first token wins
    dense[9, 6:] = 0
    r, c = np.nonzero(dense)
    m = sp.csr_matrix((np.r_[dense[r, c], 0.0], (np.r_[r, 9], np.r_[c, 8])), shape=(D, W))  # row 9: an explicit 0
    m.sort_indices()
    assert m[9].nnz > 0 and m.has_sorted_indices
    vocab = pd.DataFrame({"token": [f"t{i}" for i in range(W)], "modality": ["@default_class"] * 6 + ["@party"] * 6})
    docs = pd.DataFrame({"id": [str(i) for i in range(D)]})
    whole = an.document_groups(docs, "@party", m, vocab)
    blocks = an.document_groups(docs, "@party", (m[a:a + 7] for a in range(0, D, 7)), vocab)
    sub = dense[:, 6:]
    want = np.where(sub.sum(1) > 0, np.array([f"t{6 + j}" for j in sub.argmax(1)], object), "(none)")
    assert whole.tolist() == blocks.tolist() == want.tolist()
    assert whole[7] == "t6" and whole[5] == "(none)" and whole[9] == want[9]
    with pytest.raises(ValueError, match="documents"):
        an.document_groups(docs, "@party", [m[:10]], vocab)


def test_match_topics_recovers_permutation():
    rng = np.random.default_rng(5)
    phi = _phi(rng, W=50, T=6)
    perm = np.array([3, 0, 5, 1, 4, 2])
    m = an.match_topics(phi, phi[:, perm], names_a=list("abcdef"), names_b=list("ABCDEF"))
    pairs = dict(zip(m["topic_a"], m["topic_b"]))
    for j, i in enumerate(perm):
        assert pairs["abcdef"[i]] == "ABCDEF"[j]
    assert np.allclose(m["distance"], 0, atol=1e-6)


def test_align_phi_by_token():
    v1 = pd.DataFrame({"token": ["a", "b", "c"], "modality": ["@d"] * 3})
    v2 = pd.DataFrame({"token": ["c", "x", "a"], "modality": ["@d"] * 3})
    phi = np.arange(6, dtype=float).reshape(3, 2)
    out = an.align_phi(phi, v1, v2)
    np.testing.assert_array_equal(out, [[4, 5], [0, 0], [0, 1]])


def test_decade_bins_keep_empty_decades_as_gaps_and_drop_background():
    dates = pd.Series(pd.to_datetime(["1851-03-01", "1858-01-01", "1893-05-01", "1899-12-31"]))
    theta = np.array([[0.8, 0.6, 0.2, 0.1], [0.1, 0.2, 0.7, 0.8], [0.1, 0.2, 0.1, 0.1]])
    tr = an.topic_trends(theta, np.ones(4), dates, freq="10Y", topic_names=["old", "new", "bg"],
                         background=[False, False, True])
    assert set(tr["topic"]) == {"old", "new"}  # background excluded from the table itself
    periods = sorted(tr["period"].unique())
    assert [p.year for p in periods] == [1850, 1860, 1870, 1880, 1890]
    gap = tr[tr["period"] == pd.Timestamp("1870-01-01")]
    assert gap["share"].isna().all() and (gap["tokens"] == 0).all()  # a line breaks here
    y1850 = tr[tr["period"] == pd.Timestamp("1850-01-01")].set_index("topic")["share"]
    assert y1850["old"] == pytest.approx(0.7)
    g = an.growth_rates(tr)
    assert list(g["topic"]) == ["new", "old"] and np.isfinite(g["slope"]).all()
    assert an.freq_name("10Y") == "decade" and an.freq_name("25Y") == "25 years"
    with pytest.raises(ValueError, match="n-year"):
        an.topic_trends(theta, np.ones(4), dates, freq="fortnight")


def test_smoothing_averages_neighbours_but_keeps_gaps():
    dates = pd.Series(pd.to_datetime([f"{y}-06-01" for y in (2000, 2001, 2002, 2004)]))
    theta = np.array([[0.0, 0.6, 0.0, 0.3], [1.0, 0.4, 1.0, 0.7]])
    raw = an.topic_trends(theta, np.ones(4), dates, freq="Y", topic_names=["a", "b"])
    sm = an.topic_trends(theta, np.ones(4), dates, freq="Y", topic_names=["a", "b"], smooth=3)
    a_raw = raw[raw["topic"] == "a"].set_index("period")["share"]
    a_sm = sm[sm["topic"] == "a"].set_index("period")["share"]
    assert a_sm[pd.Timestamp("2001-01-01")] == pytest.approx(0.2)  # mean of 0, 0.6, 0
    assert np.isnan(a_sm[pd.Timestamp("2003-01-01")]) and np.isnan(a_raw[pd.Timestamp("2003-01-01")])
    assert sm.attrs["smooth"] == 3


def test_html_report_is_standalone():
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    page = an.html_report("My <report>", [("Chart", fig), ("Table", pd.DataFrame({"a": [1]})), ("Note", "x<y")])
    assert page.startswith("<!DOCTYPE html>") and "My &lt;report&gt;" in page
    assert "x&lt;y" in page and "<table" in page
    assert page.count("plotly.js v") <= 2 and "Plotly.newPlot" in page
