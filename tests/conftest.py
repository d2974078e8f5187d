"""Shared fixtures."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"


@pytest.fixture
def workspace(tmp_path):
    from engine import Workspace

    return Workspace(tmp_path / "ws")


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """../shared/corpora; tests using it skip only outside CI when it is absent."""
    if not CORPORA.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CORPORA} is missing in CI")
        pytest.skip("../shared/corpora is not present")
    return CORPORA
