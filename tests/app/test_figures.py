"""Figure factories, checked through fig.to_dict() (no browser)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app import figures as F
from engine import analysis as an


def arr(v):
    """A to_dict() array as a NumPy array (Plotly ≥ 6 encodes NumPy data as base64 "bdata")."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if shape:
            a = a.reshape([int(x) for x in str(shape).split(",")])
        return a
    v = list(v)
    return np.asarray(v, dtype=object if v and isinstance(v[0], str) else None)


def _scores(n=5):
    rows = []
    for i in range(1, n + 1):
        rows += [(i, "perplexity", "@default_class", 1000 / i), (i, "sparsity_phi", "@default_class", 0.1 * i),
                 (i, "perplexity", "@party", 50 / i), (i, "coherence", "@default_class", 0.01 * i)]
    return pd.DataFrame(rows, columns=["iteration", "score", "modality", "value"])


def _tau(n=5):
    return pd.DataFrame([(i, "sparse", -0.1 * i) for i in range(1, n + 1)], columns=["iteration", "regularizer", "tau"])


def test_score_curves_has_tau_on_secondary_axis_and_marker():
    d = F.score_curves(_scores(), _tau(), current=3, total=10).to_dict()
    names = [t["name"] for t in d["data"]]
    assert "perplexity" in names and "τ sparse" in names
    tau_traces = [t for t in d["data"] if t["name"] == "τ sparse"]
    assert len(tau_traces) == 3  # one per panel
    assert all(t["yaxis"] != "y" for t in tau_traces)
    assert arr(tau_traces[0]["customdata"]).tolist() == pytest.approx([-0.1, -0.2, -0.3, -0.4, -0.5])
    assert arr(tau_traces[0]["y"]).tolist() == pytest.approx([-0.2, -0.4, -0.6, -0.8, -1.0])
    layout = d["layout"]
    overlays = [k for k, v in layout.items() if k.startswith("yaxis") and v.get("overlaying")]
    assert overlays, "τ needs a secondary y axis"
    assert any(s.get("type") == "line" and s.get("x0") == 3 for s in layout["shapes"])
    assert layout["yaxis"]["type"] == "log"
    assert layout["xaxis"]["range"] == [0.5, 10.5]


def test_score_keys_name_modalities():
    keys = F.score_keys(_scores(1)).tolist()
    assert keys == ["perplexity", "sparsity_phi", "perplexity@party", "coherence"]


def test_score_curves_empty_explains():
    d = F.score_curves(pd.DataFrame(columns=["iteration", "score", "value"])).to_dict()
    assert "No scores yet" in d["layout"]["annotations"][0]["text"]


def test_tau_trajectories():
    d = F.tau_trajectories({"a": [0, 0.5, 1.0], "b": [-1, -1, -1]}, current=2).to_dict()
    assert [t["name"] for t in d["data"]] == ["a", "b"]
    assert arr(d["data"][0]["y"]).tolist() == [0, 0.5, 1.0] and arr(d["data"][0]["x"]).tolist() == [1, 2, 3]


def test_intertopic_map_sizes_follow_mass_and_background_marked():
    rng = np.random.default_rng(0)
    phi = rng.random((40, 4))
    phi /= phi.sum(0)
    df = an.intertopic_map(phi, np.array([1.0, 4.0, 2.0, 1.0]), ["a", "b", "c", "bg"],
                           background=np.array([0, 0, 0, 1], bool))
    d = F.intertopic_map(df, selected="b").to_dict()
    m = d["data"][0]["marker"]
    sizes = arr(m["size"])
    assert sizes[1] == sizes.max()
    assert m["color"][3] == F._style.BACKGROUND_TOPIC
    assert m["line"]["width"][1] == 3


def test_similarity_heatmap_blanks_diagonal():
    sim = np.array([[1, 0.2], [0.2, 1.0]])
    d = F.similarity_heatmap(sim, ["a", "b"], background=[False, True]).to_dict()
    z = arr(d["data"][0]["z"]).astype(float)
    assert np.isnan(z[0, 0]) and z[0, 1] == 0.2
    assert arr(d["data"][0]["y"]).tolist() == ["a", "b ◦"]


def test_top_tokens_bar_percent():
    df = pd.DataFrame({"token": ["x", "y"], "p": [0.5, 0.25], "p_corpus": [0.1, 0.1]})
    d = F.top_tokens_bar(df).to_dict()
    bar = d["data"][-1]
    assert arr(bar["y"]).tolist() == ["y", "x"] and arr(bar["x"]).tolist() == [25.0, 50.0]


def test_theta_bar_sorted_and_filtered():
    d = F.theta_bar(np.array([0.1, 0.7, 0.2, 0.0]), ["a", "b", "c", "d"], min_share=0.05).to_dict()
    assert arr(d["data"][0]["x"]).tolist() == ["b", "c", "a"]
    assert F.theta_bar(np.zeros(3), ["a", "b", "c"]).to_dict()["layout"]["annotations"]


def test_token_heatmap_shape_and_ticks():
    ptdw = np.array([[0.9, 0.1, 0.5], [0.1, 0.9, 0.5]])
    d = F.token_heatmap(ptdw, ["cat", "dog", "eel"], ["t0", "t1"], offset=10).to_dict()
    h = d["data"][0]
    assert arr(h["z"]).shape == (2, 3)
    assert arr(h["x"]).tolist() == [10, 11, 12]
    assert list(d["layout"]["xaxis"]["ticktext"]) == ["cat", "dog", "eel"]


def test_highlighted_text_escapes_and_covers_text():
    text = "a <b> cat & dog"
    starts, ends = [2, 6, 12], [5, 9, 15]
    out = F.highlighted_text(text, starts, ends, [0, 1, 0], [0.9, 0.6, 0.5], ["t0", "t1"])
    assert "&lt;b&gt;" in out and "&amp;" in out and "<b>" not in out
    assert out.count("<span") == 3 and "t1: 60%" in out
    win = F.highlighted_text(text, starts, ends, [0, 1, 0], [0.9, 0.6, 0.5], ["t0", "t1"], window=(1, 2))
    assert win.count("<span") == 1 and "…" in win


def test_topic_trends_area_and_growing_marker():
    D = 24
    dates = pd.Series(pd.date_range("2000-01-01", periods=D, freq="MS"))
    up = np.linspace(0.1, 0.9, D)
    tr = an.topic_trends(np.vstack([up, 1 - up]), np.ones(D), dates, freq="Q", topic_names=["up", "down"])
    d = F.topic_trends(tr, kind="area", growing=["up"], labels={"up": "Rising"}).to_dict()
    assert [t["name"] for t in d["data"]] == ["▲ Rising", "down"]
    assert all(t["stackgroup"] == "one" for t in d["data"])
    d2 = F.topic_trends(tr, kind="lines", topics=["down"]).to_dict()
    assert len(d2["data"]) == 1 and "stackgroup" not in d2["data"][0]
    with pytest.raises(ValueError):
        F.topic_trends(tr, kind="pie")


def test_topic_trends_split_by_group_gives_panels():
    D = 12
    dates = pd.Series(pd.date_range("2000-01-01", periods=D, freq="MS"))
    tr = an.topic_trends(np.full((2, D), 0.5), np.ones(D), dates, freq="Q", topic_names=["a", "b"],
                         groups=pd.Series(["x", "y"] * 6))
    d = F.topic_trends(tr).to_dict()
    assert {t["xaxis"] for t in d["data"]} == {"x", "x2"}
    assert [a["text"] for a in d["layout"]["annotations"]] == ["x", "y"]


def test_documents_per_period_and_vocab_preview():
    dp = an.documents_per_period(pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02", "2020-03-01"])), "M")
    d = F.documents_per_period(dp).to_dict()
    assert arr(d["data"][0]["y"]).tolist() == [2, 1]
    v = pd.DataFrame({"token": ["a", "b"], "modality": ["@d"] * 2, "tf": [3, 9], "df": [1, 2]})
    assert arr(F.vocabulary_preview(v).to_dict()["data"][0]["y"]).tolist() == ["a", "b"]


def test_compare_and_matching():
    d = F.compare_scores({"r1": _scores(), "r2": _scores(3)}).to_dict()
    assert {t["name"] for t in d["data"]} == {"r1", "r2"}
    pairs = pd.DataFrame({"topic_a": ["a", "b"], "topic_b": ["B", "A"]})
    m = F.matching_heatmap(np.array([[0.9, 0.1], [0.2, 0.8]]), ["a", "b"], ["A", "B"], pairs).to_dict()
    assert arr(m["data"][1]["x"]).tolist() == ["B", "A"]


def test_topic_colors_distinct_for_many_topics():
    import re

    c = F.topic_colors(120)
    assert len(c) == 120 and len(set(c)) == 120
    assert all(re.fullmatch(r"#[0-9a-f]{6}", x) for x in c), "hex colours take an alpha suffix in the text view"


def test_score_curves_thins_long_runs():
    n = 2000
    scores = pd.DataFrame({"iteration": np.arange(1, n + 1), "score": "perplexity", "value": np.linspace(100, 10, n)})
    tau = pd.DataFrame({"iteration": np.arange(1, n + 1), "regularizer": "r", "tau": np.ones(n)})
    d = F.score_curves(scores, tau, max_points=100).to_dict()
    x = arr(d["data"][0]["x"])
    assert len(x) <= 101 and x[-1] == n
    assert len(arr(d["data"][1]["x"])) == len(x)


def _crowded_map(T: int = 41, seed: int = 3):
    """An intertopic map of ``T`` topics (the last one background) with two-word labels."""
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.full(300, 0.05), size=T).T
    words = ["war", "navy", "tax", "trade", "school", "health", "police", "rail", "farm", "coal", "wages",
             "ireland", "india", "church", "army", "bank"]
    labels = [f"{words[i % 16]} · {words[(i * 7 + 3) % 16]}" for i in range(T - 1)] + ["background"]
    return an.intertopic_map(phi, rng.random(T) + 0.2, labels, background=np.array([0] * (T - 1) + [1], bool))


@pytest.mark.parametrize("T", [5, 41, 80])
def test_intertopic_map_labels_never_overlap_labels_or_other_circles(T):
    from app.figures.topics import label_box, px_per_unit

    df = _crowded_map(T)
    d = F.intertopic_map(df).to_dict()
    tr, lay = d["data"][0], d["layout"]
    xr, yr = lay["xaxis"]["range"], lay["yaxis"]["range"]
    assert lay["yaxis"]["scaleanchor"] == "x" and lay["xaxis"]["constrain"] == lay["yaxis"]["constrain"] == "domain"
    s = px_per_unit(xr, yr, height_px=lay["height"] - 50)
    x, y = (np.asarray(arr(tr["x"]), float) - xr[0]) * s, (np.asarray(arr(tr["y"]), float) - yr[0]) * s
    radius = np.asarray(arr(tr["marker"]["size"]), float) / 2
    shown = [i for i, t in enumerate(tr["text"]) if t]
    boxes = {i: label_box(x[i], y[i], radius[i], tr["text"][i], tr["textposition"][i]) for i in shown}

    def hit(a, b):
        return not (a[2] < b[0] or a[0] > b[2] or a[3] < b[1] or a[1] > b[3])

    for i in shown:
        assert not any(hit(boxes[i], boxes[j]) for j in shown if j != i)
        assert not any(hit(boxes[i], (x[j] - radius[j], y[j] - radius[j], x[j] + radius[j], y[j] + radius[j]))
                       for j in range(T) if j != i)
    assert len(shown) >= min(T, 12)  # crowded maps still name a good share of their topics
    notes = [a["text"] for a in lay.get("annotations", [])]
    if len(shown) < T:
        assert notes == [f"{len(shown)} of {T} labels shown (no room for the rest: hover a circle)"]
    else:
        assert notes == []
