"""One module per model family (issue 13), each with the same three functions:

- ``form(corpus, key, workspace) -> dict | None``: the family's options as widgets (None: not applicable),
- ``config(base_config, options) -> ModelConfig``: the family's run config from the form's options,
- ``render(run, corpus, workspace, key)``: the family's view of a trained run.

The page ``app_pages/families.py`` dispatches on the family recorded beside the run
(:func:`view_of`); "timegeo" runs are plain ARTM runs with TimeSmoothing / GeoSmoothing.
"""
from __future__ import annotations

from app.family_views import author, hypergraph, links, multilingual, regression, timegeo

FAMILIES = {"regression": regression, "author": author, "links": links, "hypergraph": hypergraph,
            "multilingual": multilingual, "timegeo": timegeo}
TITLES = {"regression": "Regression on Θ (supervised)", "author": "Author–topic (three-matrix)",
          "links": "Document links (relational)",
          "hypergraph": "Sentences / transactions (hypergraph)",
          "multilingual": "Multilingual (a modality per language)",
          "timegeo": "Time and place (@time, GeoSmoothing)"}


def view_of(run) -> str | None:
    """The family view of ``run`` (None: a plain topic model)."""
    family = (run.config or {}).get("family") if run is not None else None
    if family in FAMILIES:
        return family
    return "timegeo" if run is not None and timegeo.applies(run) else None
