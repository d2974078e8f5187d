"""One module per model family (issue 13), each with the same three functions:

- ``form(corpus, key) -> dict | None``: the family's options as widgets (None: not applicable),
- ``config(base_config, options) -> ModelConfig``: the family's run config from the form's options,
- ``render(run, corpus, workspace, key)``: the family's view of a trained run.

The page ``app_pages/families.py`` dispatches on the family recorded beside the run.
"""
from __future__ import annotations

from app.family_views import author, hypergraph, links, multilingual, regression

FAMILIES = {"regression": regression, "author": author, "links": links, "hypergraph": hypergraph,
            "multilingual": multilingual}
TITLES = {"regression": "Regression on Θ (supervised)", "author": "Author–topic (three-matrix)",
          "links": "Document links (relational)",
          "hypergraph": "Sentences / transactions (hypergraph)",
          "multilingual": "Multilingual (a modality per language)"}
