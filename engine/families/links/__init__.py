"""Document links (relational ARTM): R(Θ) = τ Σ_{d,c} n_dc Σ_t θ_td θ_tc from an edge list.

Public API (the app and the CLI import only these names): :class:`LinksOptions`,
:func:`links_config`, edge lists (:func:`read_edges`, :func:`edges_from_frame`,
:func:`links_from_arrays`) and the linked documents' topic agreement.
"""
from engine.families.links.family import FAMILY, LinksEStep, LinksOptions, links_config, links_from_arrays
from engine.families.links.model import agreement, edges_from_frame, random_agreement, read_edges

__all__ = [
    "FAMILY", "LinksOptions", "LinksEStep", "links_config", "links_from_arrays", "read_edges",
    "edges_from_frame", "agreement", "random_agreement",
]
