"""Engine test fixtures: a planted-topic corpus builder and a session-wide kernel warm-up."""
from __future__ import annotations

import pytest

from planted import planted_corpus


@pytest.fixture(scope="session")
def kernels_ready():
    """Compile (or load from numba's cache) every kernel once per session."""
    from engine import warmup

    return warmup()


@pytest.fixture
def planted(kernels_ready):
    return planted_corpus()


@pytest.fixture
def make_corpus(kernels_ready):
    """The :func:`planted_corpus` builder (call it with options)."""
    return planted_corpus
