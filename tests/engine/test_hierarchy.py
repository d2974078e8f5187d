"""Topic hierarchies (hARTM): planted trees recovered, Ψ maths, save/load, bad input, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine import ModelConfig, Workspace
from engine.cli import main as cli_main
from engine.errors import ConfigError, WorkspaceError
from engine.families.hierarchy import (
    HierarchyOptions, estimate_psi, export_hierarchy, hierarchy_term, level_configs,
    list_hierarchies, load_hierarchy, parent_of, save_hierarchy, set_level_labels, train_levels,
)
from engine.families.hierarchy.tables import children_table, psi_table, tree_table
from planted import planted_corpus
from planted_hierarchy import planted_hierarchy

BASE = ModelConfig(iterations=40, seed=3, threads=1, scores={"coherence": 0, "topic_distance": 0})


def _owners(phi, blocks, size, offset=0):
    """For every learned topic, the planted block whose words carry most of its mass."""
    mass = np.array([phi[offset + b * size: offset + (b + 1) * size].sum(0) for b in range(blocks)])
    return mass.argmax(0)


@pytest.fixture(scope="module")
def planted():
    corpus, truth = planted_hierarchy(n_parents=3, children=3)
    h = train_levels(corpus, level_configs([3, 9], BASE), HierarchyOptions(tau=1.0))
    return corpus, truth, h


def test_planted_tree_is_recovered(planted):
    corpus, truth, h = planted
    phi0, phi1 = h.levels[0].model.phi, h.levels[1].model.phi
    parent_block = _owners(phi0, 3, 4, offset=9 * 8)    # learned parent → planted parent (shared words)
    child_block = _owners(phi1, 9, 8)                   # learned child → planted child
    assert sorted(parent_block) == [0, 1, 2]
    assert len(set(child_block)) == 9
    par = parent_of(h.levels[1].psi)
    assert all(parent_block[par[s]] == truth[child_block[s]] for s in range(9))
    q = h.quality[0]
    assert q["children_per_parent_min"] == q["children_per_parent_max"] == 3
    assert q["orphan_children"] == 0 and q["duplicate_children"] == 0 and q["childless_parents"] == 0
    assert q["parent_child_coherence"] > 0.95


def test_psi_columns_are_distributions(planted):
    _, _, h = planted
    psi = h.levels[1].psi
    assert psi.shape == (9, 3)
    np.testing.assert_allclose(psi.sum(axis=0), 1.0, atol=1e-5)
    assert (psi >= 0).all()


def test_psi_recovers_planted_mixture():
    rng = np.random.default_rng(0)
    phi = rng.dirichlet(np.full(40, 0.1), size=6).T                 # (W, S)
    psi_true = np.zeros((6, 2))
    psi_true[:3, 0] = [0.5, 0.3, 0.2]
    psi_true[3:, 1] = [0.6, 0.2, 0.2]
    counts = 1000 * phi @ psi_true                                   # parent n_wt
    psi = estimate_psi(phi, counts, passes=300)
    np.testing.assert_allclose(psi, psi_true, atol=0.02)
    one = estimate_psi(phi, counts, passes=50, one_parent=True)
    assert ((one > 0).sum(axis=1) <= 1).all()
    np.testing.assert_array_equal(parent_of(one)[:3], 0)
    # the Φ term is the pseudo-documents' n_ws: it sums to τ Σ n_wt
    term = hierarchy_term(phi, counts, psi, tau=2.0)
    assert term.sum() == pytest.approx(2.0 * counts.sum(), rel=1e-6)


def test_psi_sparsing_gives_fewer_parents():
    rng = np.random.default_rng(1)
    phi = rng.dirichlet(np.full(60, 0.2), size=8).T
    mix = rng.dirichlet(np.full(8, 1.0), size=3).T                   # every child in every parent
    counts = 500 * phi @ mix
    plain = estimate_psi(phi, counts, passes=50)
    sparse = estimate_psi(phi, counts, passes=50, sparsing=0.5)
    assert (sparse > 1e-6).sum() < (plain > 1e-6).sum()


def test_one_parent_mode_gives_a_tree():
    corpus, _ = planted_hierarchy(n_parents=2, children=2, n_docs=120)
    h = train_levels(corpus, level_configs([2, 4], BASE.with_changes(iterations=15)),
                     HierarchyOptions(one_parent=True))
    psi = h.levels[1].psi
    assert ((psi > 0).sum(axis=1) <= 1).all()
    assert h.edges(1)["strongest"].all()


def test_save_load_exact_and_labels(planted, tmp_path):
    _, _, h = planted
    ws = Workspace(tmp_path)
    save_hierarchy(ws, h)
    back = load_hierarchy(ws, h.hierarchy_id)
    for a, b in zip(h.levels, back.levels):
        np.testing.assert_array_equal(a.model.phi, b.model.phi)
        np.testing.assert_array_equal(a.model.theta, b.model.theta)
        np.testing.assert_array_equal(a.model.n_t, b.model.n_t)
        assert a.config.to_dict() == b.config.to_dict()
    np.testing.assert_array_equal(h.levels[1].psi, back.levels[1].psi)
    assert back.quality == h.quality and back.options == h.options
    cfg = back.levels[1].config            # the link is an ordinary regularizer of the level's run config
    assert cfg.family == "hierarchy" and cfg.options == {"level": 1}
    assert [r.kind for r in cfg.regularizers] == ["HierarchyLink"]
    assert back.scores.equals(h.scores)
    set_level_labels(ws, h.hierarchy_id, 1, {"topic_2": "sport"})
    again = load_hierarchy(ws, h.hierarchy_id)
    assert again.levels[1].model.labels == {"topic_2": "sport"}
    assert "sport" in set(tree_table(again)["label"])
    with pytest.raises(WorkspaceError, match="no topic"):
        set_level_labels(ws, h.hierarchy_id, 0, {"nope": "x"})
    files = export_hierarchy(again, tmp_path / "out")
    assert {p.name for p in files} >= {"level0_phi.csv", "level1_psi.csv", "level1_theta.csv"}
    assert [m["hierarchy_id"] for m in list_hierarchies(ws)] == [h.hierarchy_id]


def test_view_tables(planted):
    _, _, h = planted
    tree = tree_table(h)
    assert len(tree) == 12 and (tree.loc[tree.level == 1, "parent"] != "").all()
    np.testing.assert_allclose(tree.groupby("level")["mass"].sum(), 1.0)
    kids = children_table(h, 0, 0)
    assert len(kids) == 3 and kids["psi"].is_monotonic_decreasing
    assert len(psi_table(h, 1)) == 27


@pytest.mark.parametrize("levels, match", [([5, 3], "fewer than its parent"),
                                           ([], "at least one level")])
def test_bad_levels(levels, match, tmp_path):
    corpus, _ = planted_hierarchy(n_docs=60)
    with pytest.raises(ConfigError, match=match):
        train_levels(corpus, level_configs(levels, BASE))


@pytest.mark.parametrize("tau", [-1.0, float("nan"), float("inf"), 1e9])
def test_bad_tau(tau):
    with pytest.raises(ConfigError, match="tau"):
        HierarchyOptions(tau=tau).validate()


def test_huge_tau_stays_finite():
    corpus, _ = planted_hierarchy(n_parents=2, children=2, n_docs=80)
    h = train_levels(corpus, level_configs([2, 4], BASE.with_changes(iterations=5)),
                     HierarchyOptions(tau=1e6))
    phi = h.levels[1].model.phi
    assert np.isfinite(phi).all() and np.isfinite(h.levels[1].psi).all()


def test_level_on_another_corpus_is_refused(planted):
    _, _, h = planted
    other = planted_corpus(n_topics=3)
    with pytest.raises(ConfigError, match="same corpus"):
        train_levels(other, [BASE.with_changes(n_topics=12)], parent=h)


def _cli(ws, *args):
    return cli_main(["hierarchy", "--workspace", str(ws), *args])


def test_cli_trains_prints_lines_and_saves(tmp_path, capsys):
    ws = Workspace(tmp_path)
    corpus, _ = planted_hierarchy(n_parents=2, children=2, n_docs=80)
    ws.save_corpus(corpus, "tree")
    assert _cli(tmp_path, "--corpus", "tree", "--levels", "2,4", "--iterations", "3",
                "--threads", "1") == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["level"], x["iteration"]) for x in lines if "iteration" in x] == \
        [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
    assert lines[-1]["levels"] == [2, 4]
    assert load_hierarchy(ws, lines[-1]["hierarchy_id"]).levels[1].psi.shape == (4, 2)
    # extending with a level that has fewer topics: a clear message, nothing new on disk
    assert cli_main(["hierarchy", "--workspace", str(tmp_path), "--corpus", "tree", "--levels", "3",
                     "--extend", lines[-1]["hierarchy_id"]]) == 2
    assert "fewer than its parent" in capsys.readouterr().err


def test_cli_bad_input_saves_nothing(tmp_path, capsys):
    ws = Workspace(tmp_path)
    corpus, _ = planted_hierarchy(n_parents=2, children=2, n_docs=80)
    ws.save_corpus(corpus, "tree")
    for extra, msg in ((["--levels", "8,4"], "fewer than its parent"),
                       (["--levels", "2,4", "--tau", "-3"], "tau"),
                       (["--levels", "two"], "--levels")):
        assert _cli(tmp_path, "--corpus", "tree", *extra) == 2
        assert msg in capsys.readouterr().err
    assert list_hierarchies(ws) == []
    assert not (tmp_path / "hierarchies").exists() or not any((tmp_path / "hierarchies").iterdir())


def test_hierarchy_link_regularizer_contract():
    """HierarchyLink as a Φ regularizer: τ = 0 adds nothing, add_phi_term = phi_term, the term
    is the pseudo-documents' n_ws (sums to τ Σ n_wt), JSON round trip, no parent → clear error."""
    from engine.em.regularizers import RegContext, regularizer_from_dict
    from engine.families.hierarchy import HierarchyLink
    from engine.families.hierarchy.regularizers import forget_parent, register_parent

    rng = np.random.default_rng(0)
    corpus, _ = planted_hierarchy(n_docs=60)
    W, S = corpus.n_tokens, 6
    phi = rng.random((W, S)).astype(np.float32)
    phi /= phi.sum(0)
    counts = rng.random((W, 2)) * 5
    register_parent("contract-parent", lambda: counts)
    register_parent("contract-short", lambda: counts[:5])
    reg = HierarchyLink(tau=2.0, psi_passes=5, parent="contract-parent")
    ctx = lambda tau, cache: RegContext(corpus=corpus, topic_names=[f"topic_{i}" for i in range(S)],  # noqa: E731
                                        background=np.zeros(S, bool), modalities=corpus.modalities,
                                        token_modality=corpus.token_modality, tau=tau, cache=cache)
    cache = {}
    r = reg.phi_term(phi, None, ctx(2.0, cache))
    assert np.isfinite(r).all() and r.sum() == pytest.approx(2.0 * counts.sum(), rel=1e-5)
    out = np.zeros((W, S))
    reg.add_phi_term(phi, None, ctx(2.0, cache), out)
    np.testing.assert_allclose(out, r)
    assert not reg.phi_term(phi, None, ctx(0.0, cache)).any()
    assert regularizer_from_dict(json.loads(json.dumps(reg.to_dict()))) == reg
    with pytest.raises(ConfigError, match="needs its parent level"):
        HierarchyLink(tau=1.0).phi_term(phi, None, ctx(1.0, {}))
    with pytest.raises(ConfigError, match="not loaded in this process"):
        HierarchyLink(tau=1.0, parent="nobody").check(ctx(1.0, {}))
    with pytest.raises(ConfigError, match="parent's corpus"):
        HierarchyLink(tau=1.0, parent="contract-short").phi_term(phi, None, ctx(1.0, {}))
    forget_parent("contract-parent")
    forget_parent("contract-short")
