"""One naming of topics everywhere: the user's label, else an automatic name from the topic's
two most probable words of the main modality (``"tax · budget"``).

Used by every page, figure, segment view, export and the report, so a topic is called the
same wherever it appears.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

__all__ = ["auto_names", "display_names", "topic_count_text"]


def auto_names(phi: np.ndarray, tokens: Sequence[str], rows: np.ndarray | None = None, k: int = 2) -> list[str]:
    """``k`` most probable tokens of each topic joined by `` · ``.

    Parameters
    ----------
    phi : ndarray of shape (W, T), φ_wt = p(w|t)
    tokens : W token strings
    rows : row indices of the modality to name topics by (default: all rows)
    k : words per name

    Returns
    -------
    T names; a topic with no positive φ_wt gets ``""``.
    """
    p = np.asarray(phi)
    tok = np.asarray(tokens, dtype=object)
    if rows is not None:
        p, tok = p[rows], tok[rows]
    out = []
    for t in range(p.shape[1]):
        col = p[:, t]
        if col.size == 0:
            out.append("")
            continue
        top = np.argpartition(-col, min(k, col.size) - 1)[:k] if col.size > k else np.arange(col.size)
        top = top[np.argsort(-col[top], kind="stable")]
        out.append(" · ".join(str(tok[i]) for i in top if col[i] > 0))
    return out


def display_names(topic_names: Sequence[str], labels: Mapping[str, str], auto: Sequence[str],
                  background: Sequence[bool] | None = None) -> list[str]:
    """The name to show for each topic: its label, else its automatic name, else its id.

    Background topics without a label are shown as ``"background: the · of"``; a topic whose
    Φ column is all zero (killed by sparsing) as ``"topic_3 (empty)"``. Duplicate
    names get the topic id appended so no two topics read the same.
    """
    bg = list(background) if background is not None else [False] * len(topic_names)
    names = []
    for name, a, b in zip(topic_names, auto, bg):
        label = (labels.get(name) or "").strip()
        names.append(label or (f"background: {a}" if b and a else a) or f"{name} (empty)")
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [f"{n} ({t})" if seen[n] > 1 else n for n, t in zip(names, topic_names)]


def topic_count_text(n_topics: int, n_background: int) -> str:
    """``"40 topics + 1 background"`` (never ``T=41``)."""
    s = f"{n_topics} topic{'s' if n_topics != 1 else ''}"
    return s + (f" + {n_background} background" if n_background else "")
