"""Class precision: documents' labels predicted from Θ."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from engine.em.model import ScoreContext
from engine.em.scores.base import Score, _pick_modality, _register, modality_key


@_register
@dataclass
class ClassPrecision(Score):
    """Class precision for a label modality (BigARTM ``ClassPrecisionScore``): the share of
    labelled documents whose predicted class :math:`\\arg\\max_c p(c|d)`,
    :math:`p(c|d) = \\sum_t \\phi_{ct}\\theta_{td}` over the tokens c of the label modality, is one
    of the document's own label tokens (n_dc > 0). Documents without a label token are not
    counted. Key ``class_precision@<modality>``; absent when the corpus has no such modality.
    """

    kind: ClassVar[str] = "ClassPrecision"
    IN_MEMORY_ONLY: ClassVar[bool] = True
    modality: str = "@labels"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        if self.modality not in model.modalities:
            return {}
        _, mask = _pick_modality(model, self.modality)
        cols = np.flatnonzero(mask)
        if len(cols) == 0:
            return {}
        labels = sp.csr_matrix(ctx.corpus.n_dw)[:, cols]
        has = np.diff(labels.indptr) > 0
        if not has.any():
            return {}
        docs = np.flatnonzero(has)
        p_cd = np.einsum("ct,td->cd", np.asarray(model.phi[cols], dtype=np.float64),
                         np.asarray(model.theta[:, docs], dtype=np.float64), optimize=False)
        pred = np.argmax(p_cd, axis=0)
        own = labels[docs]
        hit = np.asarray(own[np.arange(len(docs)), pred]).ravel() > 0
        hit &= p_cd.max(axis=0) > 0
        return {modality_key("class_precision", self.modality, model.modalities): float(hit.mean())}
