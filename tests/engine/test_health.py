"""Model health (issue 16): no-mass models fail, partial collapse is reported, no perplexity for a
zeroed modality; the memory estimate refuses what would not fit."""
from __future__ import annotations

import numpy as np
import pytest

from engine.em.health import DEAD, EMPTY, ZEROED, NoMassError, check_report, model_health, warnings_of
from engine.em.model import IterationReport, TopicModel
from engine.errors import ConfigError
from engine.store.budget import check_training_memory, estimate_training_memory


def _model(phi, theta, token_modality=(0, 0, 1), modalities=("@default_class", "@labels")):
    phi = np.asarray(phi, np.float32)
    return TopicModel(phi=phi, theta=np.asarray(theta, np.float32), topic_names=[f"t{i}" for i in range(phi.shape[1])],
                      background=np.zeros(phi.shape[1], bool), modalities=list(modalities),
                      token_modality=np.asarray(token_modality, np.int32), n_t=phi.sum(axis=0))


def _report(**scores):
    return IterationReport(iteration=3, seconds=0.1, tau={}, scores=scores)


def test_healthy_model_gets_zero_counts_and_keeps_its_perplexities():
    m = _model([[0.5, 0.2], [0.3, 0.3], [0.2, 0.5]], [[0.5, 1.0], [0.5, 0.0]])
    r = check_report(_report(perplexity=10.0, **{"perplexity@labels": 3.0}), m)
    assert r.scores[DEAD] == 0 and r.scores[ZEROED] == 0 and r.scores[EMPTY] == 0
    assert r.scores["perplexity"] == 10.0 and r.scores["perplexity@labels"] == 3.0
    assert warnings_of(r.scores) == []


def test_partial_collapse_is_counted_named_and_its_perplexity_dropped():
    m = _model([[0.5, 0.0], [0.5, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]])
    h = model_health(m)
    assert h.dead_topics == ("t1",) and h.zeroed_modalities == ("@labels",) and h.empty_documents == 1
    r = check_report(_report(perplexity=2.0, **{"perplexity@labels": 1.0, "perplexity@default_class": 2.0}), m)
    assert "perplexity@labels" not in r.scores and "perplexity" not in r.scores
    assert r.scores["perplexity@default_class"] == 2.0
    w = warnings_of(r.scores, 2)
    assert w == ["1 of 2 topics are dead (no token has mass in them)",
                 "1 modality is zeroed (no mass; its perplexity is not reported)", "1 documents have no topic mass"]


@pytest.mark.parametrize("phi,theta", [
    (np.zeros((3, 2)), np.ones((2, 2))),
    (np.ones((3, 2)), np.zeros((2, 2))),
    (np.full((3, 2), np.nan), np.ones((2, 2))),
])
def test_no_mass_fails(phi, theta):
    with pytest.raises(NoMassError, match=r"no mass after pass 3"):
        check_report(_report(perplexity=122.0), _model(phi, theta))


def test_memory_estimate_refuses_what_does_not_fit():
    est = estimate_training_memory(n_docs=18_846, n_tokens=60_000, nnz=1_500_000, n_topics=5000, threads=2,
                                   available=4 << 30)
    assert est.phi == 60_000 * 5000 * 32 and est.theta == 18_846 * 5000 * 20 and not est.fits
    assert "of 4.0 GiB available" in est.describe()

    class C:  # a corpus and config of that size
        n_docs, n_tokens = 18_846, 60_000
        n_dw = type("M", (), {"nnz": 1_500_000})()

    class Cfg:
        total_topics, threads = 5000, 2

    import engine.store.budget as budget

    real = budget.available_memory
    budget.available_memory = lambda: 4 << 30
    try:
        with pytest.raises(ConfigError, match=r"training 5000 topics on 18,846 documents × 60,000 tokens needs about "
                                              r"[\d.]+ GiB .* of 4\.0 GiB available"):
            check_training_memory(C, Cfg)
        Cfg.total_topics = 20
        assert check_training_memory(C, Cfg).fits
    finally:
        budget.available_memory = real


def test_too_many_topics_for_the_corpus_is_warned_before_training(tmp_path, capsys):
    from engine.cli import main
    from engine.em.health import size_warnings

    assert size_warnings(1000, 5000, 20) == []
    assert [w.split(":")[0] for w in size_warnings(10, 5000, 20)] == ["20 topics for 10 documents"]
    assert "fewer than 5 terms per topic" in " ".join(size_warnings(1000, 50, 20))
    src = tmp_path / "tiny.jsonl"
    src.write_text("".join('{"text": "apple banana cherry date %d"}\n' % i for i in range(4)), encoding="utf-8")
    ws = str(tmp_path / "ws")
    assert main(["import", str(src), "--name", "tiny", "--workspace", ws, "--min-df", "1", "--lang", "en"]) == 0
    capsys.readouterr()
    assert main(["train", "--corpus", "tiny", "--topics", "6", "--iterations", "2", "--workspace", ws]) == 0
    err = capsys.readouterr().err
    assert "warning: 6 topics for 4 documents" in err and "terms per topic" in err
    assert main(["train", "--corpus", "tiny", "--topics", "1", "--iterations", "2", "--workspace", ws]) == 0
    assert "warning:" not in capsys.readouterr().err
