"""The trainer's declared extension points: run data for regularizers (``Trainer(run_data=...)``,
``Trainer.provide``, read as ``ctx.run_data``) and ``Trainer.close`` closing the E-step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.em.regularizers import REGULARIZERS, Regularizer, register_regularizer
from engine.em.trainer import Trainer


@dataclass(frozen=True)
class _PullToward(Regularizer):
    """r_wt = τ · target_wt with the target (W, T) taken from the run data "test.target"."""

    kind: ClassVar[str] = "TestPullToward"
    target: ClassVar[str] = "phi"
    NEEDS_RUN_DATA: ClassVar[bool] = True

    def phi_term(self, phi, n_wt, ctx):
        return ctx.tau * np.asarray(ctx.run_data["test.target"], np.float64)


@pytest.fixture
def pull_registered():
    register_regularizer(_PullToward)
    yield _PullToward
    REGULARIZERS.pop(_PullToward.kind, None)


def test_run_data_reaches_regularizers_and_is_read_only(planted, pull_registered):
    corpus = planted
    W, T = corpus.n_tokens, 3
    target = np.zeros((W, T))
    target[np.arange(T), np.arange(T)] = 1.0  # token k pulled into topic k
    config = ModelConfig(n_topics=T, iterations=3, seed=1, regularizers=(pull_registered(name="pull", tau=1e6),))

    tr = Trainer(corpus, config, run_data={"test.target": target})
    tr.fit()
    top = tr.phi[:T].argmax(axis=1)
    assert list(top) == list(range(T))  # the term read the data given at construction
    with pytest.raises(TypeError):
        tr.run_data["test.target"] = None  # a view: only provide() changes it

    moved = np.zeros((W, T))
    moved[np.arange(T), [1, 2, 0]] = 1.0
    tr.provide("test.target", moved)
    tr.step(config.with_changes(iterations=4))
    assert list(tr.phi[:T].argmax(axis=1)) == [1, 2, 0]  # from the next pass on
    tr.close()

    bare = Trainer(corpus, config)
    with pytest.raises(KeyError):
        bare.step()  # no run data given: the regularizer's own lookup fails, nothing else reads it
    assert bare.iteration == 0


def test_close_releases_the_estep(planted):
    corpus = planted
    tr = Trainer(corpus, ModelConfig(n_topics=3, iterations=2, seed=1))
    closed = []
    tr.estep.close = lambda: closed.append(True)
    tr.step()
    tr.close()
    assert closed == [True]
    tr.step()  # a closed trainer still steps (worker threads restart)
    assert tr.iteration == 2
    tr.close()
