"""ARTM Studio engine: corpora, regularized EM, jobs and storage. No UI imports here.

This module is the facade the app and scripts use; see ``__all__``.
"""
__version__ = "0.1.0"

from .corpus import DEFAULT_MODALITY, Corpus, TokenSequences
from .errors import ConfigError, EngineError, InputError, WorkspaceError
from .storage import Workspace

__all__ = [
    "__version__",
    "DEFAULT_MODALITY",
    "Corpus",
    "TokenSequences",
    "Workspace",
    "EngineError",
    "InputError",
    "ConfigError",
    "WorkspaceError",
]
