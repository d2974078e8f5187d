"""Interoperability with the neighbours: BigARTM, pyLDAvis, gensim.

- :mod:`.phi_table` reads Φ tables written by BigARTM (``get_phi()``) or by the engine, for
  ``train --init``;
- :mod:`.exports` writes a run for pyLDAvis, BigARTM (``attach_model``) and gensim
  (``LdaModel``), for ``export --format pyldavis|bigartm|gensim``;
- :mod:`.names` maps BigARTM's regularizer and parameter names to the engine's.
"""
from engine.interop.phi_table import check_init, modality_name, read_phi_table

__all__ = ["check_init", "modality_name", "read_phi_table"]
