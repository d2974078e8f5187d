"""BigARTM's names for the engine's regularizers and parameters.

A ``--reg`` string or a config may use BigARTM's class and keyword names; they are mapped here
to the engine's before the regularizer is built. ``class_ids`` values and VW namespaces become
modality names with :func:`engine.interop.modality_name` (``labels`` → ``@labels``).
"""
from __future__ import annotations

from engine.interop.phi_table import modality_name

#: BigARTM class name (without the ``Regularizer`` suffix, lower case) -> engine kind.
REGULARIZER_ALIASES = {
    "smoothsparsephi": "SmoothSparsePhi",
    "smoothsparsetheta": "SmoothSparseTheta",
    "decorrelatorphi": "Decorrelator",
    "topicselectiontheta": "TopicSelection",
    "smoothtimeintopicsphi": "TimeSmoothing",
    "improvecoherencephi": "ImproveCoherence",
}

#: BigARTM keyword -> engine parameter.
PARAMETER_ALIASES = {"topic_names": "topics", "class_ids": "modalities", "class_id": "modality"}


def canonical_kind(kind: str) -> str:
    """The engine's regularizer kind for ``kind`` in BigARTM's spelling (unchanged otherwise):
    ``DecorrelatorPhiRegularizer`` → ``Decorrelator``."""
    k = kind.strip().lower()
    if k.endswith("regularizer"):
        k = k[: -len("regularizer")]
    return REGULARIZER_ALIASES.get(k, kind)


def canonical_args(kind: str, args: dict) -> dict:
    """``args`` with BigARTM's keywords renamed; ``class_ids`` values become modality names,
    and ``class_ids`` of a one-modality regularizer becomes its ``modality``."""
    out = {}
    for key, value in args.items():
        name = PARAMETER_ALIASES.get(key, key)
        if value is None:  # "all modalities" / unset: nothing to translate
            pass
        elif name == "modalities":
            values = value if isinstance(value, (list, tuple)) else [value]
            value = [modality_name(v) for v in values]
            if kind in ("TimeSmoothing", "ImproveCoherence"):
                name, value = "modality", value[0]
        elif name == "modality":
            value = modality_name(value)
        out[name] = value
    return out


def help_text() -> str:
    """One line per alias, for ``--help``."""
    pairs = {}
    for alias, kind in REGULARIZER_ALIASES.items():
        pairs.setdefault(kind, alias)
    names = {"smoothsparsephi": "SmoothSparsePhiRegularizer", "smoothsparsetheta": "SmoothSparseThetaRegularizer",
             "decorrelatorphi": "DecorrelatorPhiRegularizer", "topicselectiontheta": "TopicSelectionThetaRegularizer",
             "smoothtimeintopicsphi": "SmoothTimeInTopicsPhiRegularizer",
             "improvecoherencephi": "ImproveCoherencePhiRegularizer"}
    regs = ", ".join(f"{names[a]}={k}" for a, k in REGULARIZER_ALIASES.items())
    return (f"BigARTM names are accepted: {regs}; parameters topic_names=topics, class_ids=modalities "
            "(a VW namespace 'labels' is the modality @labels)")
