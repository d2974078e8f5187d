"""Exceptions raised by the engine.

Every message names the problem and, where there is one, what to do about it. The CLI prints
``str(error)`` on one line and exits non-zero; the app shows it with ``st.error`` and no
traceback.
"""


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class InputError(EngineError, ValueError):
    """A user-supplied file or value cannot be used (bad format, encoding, column, filter...)."""


class ConfigError(EngineError, ValueError):
    """A model, regularizer, trajectory or score setting is invalid; the message names the field."""


class WorkspaceError(EngineError):
    """A workspace operation failed: unknown or clashing name, unreadable manifest."""
