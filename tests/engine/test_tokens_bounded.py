"""Batched tokenizing (engine/corpus/tokens.py) gives exactly what one-shot tokenizing gives."""
from __future__ import annotations

import numpy as np
import pytest

from engine.corpus import text as T
from engine.corpus.tokens import tokenize_bounded

TEXTS = ["Cats chase mice. Dogs chase cats!", "", None, float("nan"), "Москва и мыши, cats again",
         "don't stop—по-разному 42 cats", "x" * 50, "mice mice mice dogs"] * 7


@pytest.mark.parametrize("batch", [1, 10, 60, 10_000])
def test_batches_equal_one_shot(batch):
    a = T.tokenize(TEXTS)
    b = tokenize_bounded(TEXTS, batch_chars=batch)
    assert b.n_docs == a.n_docs and b.forms == a.forms
    for f in ("doc", "start", "end", "form"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        assert getattr(b, f).dtype == np.int32


def test_nothing_to_tokenize():
    r = tokenize_bounded(["", None, "  "])
    assert r.n_tokens == 0 and r.n_docs == 3 and r.forms == []
