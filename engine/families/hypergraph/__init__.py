"""Hypergraph (transaction) ARTM and its special case, the sentence model (issue 13, family 2)."""
