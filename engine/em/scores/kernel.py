"""Topic kernels: size, purity, contrast (formula in :func:`engine.em.topics.kernel_stats`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.model import ScoreContext
from engine.em._kernels import scores as KS
from engine.em.scores.base import PerModalityScore, _register, _rows, modality_key


@_register
@dataclass
class TopicKernel(PerModalityScore):
    """Topic kernels (BigARTM ``TopicKernelScore``) of one modality.

    The kernel of topic t is :math:`W_t = \\{w : p(t|w) > \\delta\\}` with
    :math:`p(t|w) = \\phi_{wt} n_t / \\sum_s \\phi_{ws} n_s` (n_t from ``ctx.n_wt`` within the
    modality, all topics in the denominator) and δ = ``threshold`` (0.25). Then

    * size :math:`|W_t|`,
    * purity :math:`\\sum_{w\\in W_t} \\phi_{wt}` (the probability mass of the kernel),
    * contrast :math:`\\frac{1}{|W_t|}\\sum_{w\\in W_t} p(t|w)`.

    Reported as averages over the live subject topics: ``kernel_size``, ``kernel_purity``
    (an empty kernel counts 0) and ``kernel_contrast`` (averaged over non-empty kernels).
    Non-default modalities get ``@<modality>`` suffixes.
    """

    kind: ClassVar[str] = "TopicKernel"
    threshold: float = 0.25
    modality: str | None = None
    topics: Any = "subject"

    def measure(self, ctx: ScoreContext, m, mask, idx) -> dict[str, float]:
        model = ctx.model
        if not mask.any():
            return {}
        st = ctx.stats
        if st is not None and st.threshold == self.threshold:  # summed in the pass's shared sums
            code = model.modalities.index(m)
            size, purity, csum = st.kernel_size[code], st.kernel_purity[code], st.kernel_contrast_sum[code]
        else:
            phi = np.ascontiguousarray(model.phi, np.float32)
            n_t = _rows(np.asarray(ctx.n_wt), mask).sum(axis=0, dtype=np.float64)
            T = phi.shape[1]
            size, purity, csum = np.zeros(T, np.int64), np.zeros(T), np.zeros(T)
            if np.any(n_t > 0):  # kernel_stats(no_mass="zero") in one pass over the rows, no W × T temporaries
                KS.kernel_sums(phi, np.flatnonzero(mask).astype(np.int64), n_t, float(self.threshold),
                               size, purity, csum)
        contrast = np.divide(csum, size, out=np.zeros(len(size)), where=size > 0)
        size, purity, contrast = size[idx], purity[idx], contrast[idx]
        nonempty = size > 0
        contrast = contrast[nonempty]
        key = lambda n: modality_key(n, m, model.modalities)  # noqa: E731
        return {key("kernel_size"): float(size.mean()),
                key("kernel_purity"): float(purity.mean()),
                key("kernel_contrast"): float(contrast.mean()) if nonempty.any() else 0.0}
