"""app.figures.seeds: figure factories checked through to_dict(), and the highlight HTML."""
from __future__ import annotations

import numpy as np
import pandas as pd

from app.figures import seeds as SF


def arr(v):
    if isinstance(v, dict) and "bdata" in v:
        import base64

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        return a.reshape([int(x) for x in str(shape).split(",")]) if shape else a
    return np.asarray(list(v))


def _drift():
    rows = []
    for it in (1, 2, 3):
        rows += [(it, "topic_0", "tax", [9, 3, 1][it - 1], "economy"),
                 (it, "topic_0", "budget", [4, 5, 6][it - 1], "economy"),
                 (it, "topic_1", "hospital", [20, 2, 2][it - 1], "health")]
    return pd.DataFrame(rows, columns=["iteration", "topic", "term", "rank", "group"])


def test_seed_drift_lines_best_first_log_reversed():
    fig = SF.seed_drift(_drift()).to_dict()
    names = [t["name"] for t in fig["data"]]
    assert names == ["tax · economy", "hospital · health", "budget · economy"]  # by last rank
    assert arr(fig["data"][0]["y"]).tolist() == [9, 3, 1]
    y = fig["layout"]["yaxis"]
    assert y["type"] == "log" and y["range"][0] > y["range"][1]  # best rank at the top
    assert list(y["tickvals"])[:3] == [1, 2, 5] and max(y["tickvals"]) <= 20 * 1.5
    one = SF.seed_drift(_drift(), group="health").to_dict()
    assert [t["name"] for t in one["data"]] == ["hospital · health"]
    assert len(SF.seed_drift(_drift(), max_lines=1).to_dict()["data"]) == 1
    empty = SF.seed_drift(pd.DataFrame()).to_dict()
    assert not empty["data"] and "No seed ranks" in empty["layout"]["annotations"][0]["text"]


def test_group_coverage_bars_in_percent():
    cov = pd.DataFrame({"group": ["economy", "health", "(all)"], "documents": [10, 4, 14],
                        "covered": [5, 4, 9], "share": [0.5, 1.0, 9 / 14]})
    fig = SF.group_coverage(cov).to_dict()
    bar = fig["data"][0]
    assert list(bar["y"]) == ["(all)", "health", "economy"]
    assert np.allclose(arr(bar["x"]), [100 * 9 / 14, 100, 50])
    assert list(bar["text"]) == ["9/14", "4/4", "5/10"]
    assert fig["layout"]["xaxis"]["range"] == [0, 100]


def test_capture_matrix_shares_per_group():
    cap = pd.DataFrame({"group": ["g", "g", "g", "h"], "term": ["a", "a", "b", "c"],
                        "topic": ["topic_0", "topic_1", "topic_0", "topic_1"],
                        "label": ["G", "topic_1", "G", "topic_1"], "seeded": [True, False, True, False],
                        "own": [True, False, True, False], "p_w_t": [0.1] * 4,
                        "p_t_w": [0.6, 0.4, 1.0, 1.0], "rank": [1, 2, 1, 1]})
    fig = SF.capture_matrix(cap).to_dict()
    hm = fig["data"][0]
    z = arr(hm["z"]).reshape(2, 2)
    assert list(hm["y"]) == ["g", "h"]
    xs = list(hm["x"])
    # group g has 2 words: topic G holds (0.6 + 1.0) / 2, topic_1 holds 0.4 / 2
    assert np.isclose(z[0, xs.index("G")], 0.8) and np.isclose(z[0, xs.index("topic_1")], 0.2)
    assert np.isclose(z[1, xs.index("topic_1")], 1.0)


def test_topic_relevance_colours_seeded_topics():
    rel = pd.DataFrame({"topic": ["topic_0", "topic_5"], "label": ["economy", "topic_5"], "seeded": [True, False],
                        "relevance": [0.3, 0.05], "top_words": ["tax, budget", "rail"]})
    bar = SF.topic_relevance(rel).to_dict()["data"][0]
    assert list(bar["y"]) == ["topic_5", "economy (topic_0)"]
    assert bar["marker"]["color"][1] != bar["marker"]["color"][0]
    assert "annotations" in SF.topic_relevance(rel.iloc[:0]).to_dict()["layout"]


def test_marked_html_escapes_and_marks():
    out = SF.marked_html([("<b>", None), ("japan", "seed"), (" & ", None), ("trade", "topic"), ("\nend", None)])
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert out.count("<mark") == 2 and SF.SEED_MARK in out and SF.TOPIC_MARK in out
    assert "&amp;" in out and "<br>" in out
    short = SF.marked_html([("x" * 50, None), ("seed", "seed")], max_chars=10)
    assert short.endswith("…</div>") and "<mark" not in short


def test_group_precision_bars_stack_to_100_and_colour_by_threshold():
    best = pd.DataFrame({"group": ["a", "b", "c"], "mentions": [40, 8, 0], "k_auto": [40, 8, 0],
                         "hits": [30, 2, 0], "precision": [0.75, 0.25, 0.0]})
    fig = SF.group_precision(best).to_dict()
    hit, rest = fig["data"]
    assert list(hit["y"]) == ["b", "a"]  # c has no mentions: left out
    assert np.allclose(arr(hit["x"]), [25, 75]) and np.allclose(arr(rest["x"]), [75, 25])
    assert hit["marker"]["color"][1] != hit["marker"]["color"][0]  # ≥ 0.5 vs below
    assert fig["layout"]["barmode"] == "stack"
    assert "No group" in SF.group_precision(best.iloc[2:]).to_dict()["layout"]["annotations"][0]["text"]
