"""Hypergraph (transaction) ARTM and its special case, the sentence model (issue 13, family 2).

Public API (the app and the CLI import only these names): :class:`HypergraphOptions`,
:func:`hypergraph_config`, :func:`edges_of`, the reading tables (:mod:`.reading`) and
transaction corpora (:mod:`.transactions`).
"""
from engine.families.hypergraph.edges import Edges
from engine.families.hypergraph.family import FAMILY, HyperEStep, HypergraphOptions, edges_of, hypergraph_config
from engine.families.hypergraph.reading import edge_table, edge_topics, sentence_table
from engine.families.hypergraph.transactions import DEFAULT_TYPE, import_transactions, read_transactions
from engine.families.hypergraph.transactions import table_transactions, transactions_path, vw_transactions

__all__ = ["Edges", "FAMILY", "HypergraphOptions", "HyperEStep", "hypergraph_config", "edges_of", "edge_table",
           "edge_topics", "sentence_table", "DEFAULT_TYPE", "import_transactions", "read_transactions",
           "table_transactions", "transactions_path", "vw_transactions"]
