"""Shared fixtures."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARTM_SHARED") or REPO.parent / "shared")  # ARTM_SHARED: from a worktree
CORPORA = SHARED / "corpora"


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Streamlit's script runner (AppTest, runpy of a page) puts the page script into
    ``sys.modules["__main__"]`` and leaves it there. Child processes started by spawn or
    forkserver re-import ``__main__`` from its file, so a later test's children would run a
    Streamlit page and die. Every test gets the ``__main__`` it started with back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


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
