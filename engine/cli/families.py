"""The model-family command groups (issue 13), each in its own module."""
from __future__ import annotations

from engine.cli import author, links, multilingual, regression, sentences, timegeo, transactions

_GROUPS = (regression, author, links, transactions, sentences, multilingual, timegeo)


def register(sub, common) -> None:
    for g in _GROUPS:
        g.register(sub, common)
