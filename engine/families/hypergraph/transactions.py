"""Transactions in and out: a table (one row per edge) or BigARTM's transaction Vowpal Wabbit
file → a corpus (documents, vertices by modality, n_dw = Σ_x n_dx m_v) plus its edges, stored
side by side in the workspace.

Table: a CSV/TSV/Parquet with a document (or user) id column, one column per vertex modality
(the column name is the modality; an empty cell leaves that modality out of the edge), an
optional count column n_dx and an optional type column k.

BigARTM VW (``collection_parser.cc``, ParseVowpalWabbit): ``title tok tok:w |class tok … ||
|class tok … ||type tok …``. ``|name`` switches the modality, ``||`` closes the current
transaction (its tokens are one edge), ``||name`` switches the transaction type (tokens not yet
closed become one-vertex edges of the old type), tokens left at the end of the line become
one-vertex edges. An edge's count is the sum of its tokens' weights (BigARTM: Σ weight × class
weight, class weights 1 here); every vertex enters the product once (m_v = 1 unless a token is
repeated inside the transaction).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from engine.corpus.corpus import Corpus
from engine.errors import InputError, WorkspaceError
from engine.families.hypergraph.edges import Edges, edges_from_long
from engine.store.locks import entry_lock
from engine.store.workspace import now_iso, validate_name

__all__ = ["DEFAULT_TYPE", "FILE", "table_transactions", "vw_transactions", "corpus_of", "import_transactions",
           "transactions_path", "read_transactions"]

#: BigARTM's DefaultTransactionTypeName
DEFAULT_TYPE = "@default_transaction"
DEFAULT_CLASS = "@default_class"
#: the transactions file inside a corpus folder
FILE = "transactions.parquet"
_COLUMNS = ["doc", "edge", "type", "count", "token", "modality", "mult"]


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"transactions file {path} does not exist")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep)
    except (OSError, ValueError, pa.ArrowException, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read as a table ({str(e).splitlines()[0][:200]})") from None


def table_transactions(path, doc: str = "doc", vertices: list[str] | None = None, count: str | None = None,
                       type_column: str | None = None) -> pd.DataFrame:
    """The long transactions table (columns doc, edge, type, count, token, modality, mult) of a
    table file with one row per edge (see the module docstring)."""
    path = Path(path)
    frame = _read_frame(path)
    cols = [str(c) for c in frame.columns]
    named = [c for c in [doc, count, type_column] + list(vertices or []) if c]
    missing = [c for c in named if c not in cols]
    if missing:
        raise InputError(f"{path}: no column(s) {', '.join(map(repr, missing))}; the columns are {', '.join(cols)}")
    verts = list(vertices) if vertices else [c for c in cols if c not in (doc, count, type_column)]
    if not verts:
        raise InputError(f"{path}: no vertex columns (besides the id column {doc!r}); name them with --vertices")
    if frame.empty:
        raise InputError(f"{path}: has no rows (no transactions)")
    ids = frame[doc].astype(str).str.strip()
    if (ids == "").any():
        raise InputError(f"{path}: row {int(np.flatnonzero(ids == '')[0]) + 2} has an empty {doc!r} "
                         "(every transaction needs its document/user id)")
    n = np.ones(len(frame))
    if count:
        n = pd.to_numeric(frame[count], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(n) | (n < 0)
        if bad.any():
            raise InputError(f"{path}: column {count!r} row {int(np.flatnonzero(bad)[0]) + 2} is "
                             f"{frame[count].iloc[int(np.flatnonzero(bad)[0])]!r}, not a count ≥ 0")
    types = frame[type_column].astype(str).to_numpy() if type_column else np.full(len(frame), DEFAULT_TYPE, object)
    parts = []
    for c in verts:
        val = frame[c].astype(str).str.strip().to_numpy()
        has = (val != "") & (val != "nan") & (val != "None")
        rows = np.flatnonzero(has)
        parts.append(pd.DataFrame({"doc": ids.to_numpy()[rows], "edge": rows, "type": types[rows], "count": n[rows],
                                   "token": val[rows], "modality": c, "mult": 1.0}))
    out = pd.concat(parts, ignore_index=True)
    if out.empty:
        raise InputError(f"{path}: every vertex cell is empty (columns {', '.join(verts)})")
    out = out.sort_values(["edge"], kind="stable").reset_index(drop=True)
    return out[_COLUMNS]


def vw_transactions(path) -> pd.DataFrame:
    """The long transactions table of a BigARTM transaction VW file (InputError names the line)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"transactions file {path} does not exist")
    rows: list[tuple] = []
    edge = 0

    def record(doc, toks, kind):
        nonlocal edge
        merged: dict = {}
        for tok, mod, w in toks:
            m, s = merged.get((tok, mod), (0, 0.0))
            merged[(tok, mod)] = (m + 1, s + w)
        total = sum(w for _, _, w in toks)
        for (tok, mod), (m, _) in merged.items():
            rows.append((doc, edge, kind, total, tok, mod, float(m)))
        edge += 1

    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) < 2:
                    raise InputError(f"{path}: line {lineno} has too few entries: {line.strip()[:80]!r}")
                doc, kind, mod, toks = parts[0], DEFAULT_TYPE, DEFAULT_CLASS, []
                for el in parts[1:]:
                    if el.startswith("||"):
                        if el == "||":
                            if toks:
                                record(doc, toks, kind)
                        else:
                            for t in toks:
                                record(doc, [t], kind)
                            kind = el[2:]
                        toks, mod = [], DEFAULT_CLASS
                    elif el.startswith("|"):
                        mod = el[1:] or DEFAULT_CLASS
                    else:
                        tok, w = el, 1.0
                        if ":" in el:
                            i = el.rfind(":")
                            if i in (0, len(el) - 1):
                                raise InputError(f"{path}: line {lineno}: an entry cannot start or end with ':' ({el!r})")
                            tok = el[:i]
                            try:
                                w = float(el[i + 1:])
                            except ValueError:
                                raise InputError(f"{path}: line {lineno}: {el!r} has no number after ':'") from None
                            if not np.isfinite(w) or w < 0:
                                raise InputError(f"{path}: line {lineno}: weight of {tok!r} must be ≥ 0, got {w}")
                        toks.append((tok, mod, w))
                for t in toks:
                    record(doc, [t], kind)
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    if not rows:
        raise InputError(f"{path}: has no transactions")
    return pd.DataFrame(rows, columns=_COLUMNS)


def corpus_of(long: pd.DataFrame, source: str) -> Corpus:
    """The corpus of a long transactions table: documents in order of first appearance (empty
    text), the vertices as tokens of their modalities, n_dw = Σ_x n_dx m_v."""
    ids, doc = np.unique(long["doc"].astype(str).to_numpy(), return_inverse=True)
    first = pd.Series(np.arange(len(long))).groupby(doc).min().to_numpy()
    rank = np.empty(len(ids), np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(ids))
    key = pd.MultiIndex.from_arrays([long["token"].astype(str), long["modality"].astype(str)])
    codes, uniq = pd.factorize(key, sort=True)
    n_dw = sp.csr_matrix((long["count"].to_numpy(np.float64) * long["mult"].to_numpy(np.float64),
                          (rank[doc], codes)), shape=(len(ids), len(uniq)))
    n_dw.sum_duplicates()
    n_dw.sort_indices()
    n_dw = sp.csr_matrix((n_dw.data.astype(np.float32), n_dw.indices.astype(np.int32), n_dw.indptr.astype(np.int64)),
                         shape=n_dw.shape)
    if n_dw.nnz == 0:
        raise InputError(f"{source}: every transaction has count 0")
    tokens = [u[0] for u in uniq]
    mods = [u[1] for u in uniq]
    vocab = pd.DataFrame({"token": pd.Series(tokens, dtype=object), "modality": pd.Series(mods, dtype=object),
                          "tf": np.asarray(n_dw.sum(axis=0)).ravel().astype(np.float64),
                          "df": np.diff(n_dw.tocsc().indptr).astype(np.int64)})
    docs = pd.DataFrame({"id": pd.Series(ids[np.argsort(rank)], dtype=object).astype(str),
                         "text": pd.Series([""] * len(ids), dtype=object).astype(str)})
    manifest = {"source": {"format": "transactions", "path": source}, "preprocessing": None, "columns": None,
                "transactions": {"edges": int(long["edge"].nunique()), "types": sorted(set(long["type"].astype(str)))}}
    return Corpus(name="", documents=docs, vocab=vocab, n_dw=n_dw, sequences=None, manifest=manifest)


def transactions_path(workspace, name: str) -> Path:
    """Where the transactions of corpus ``name`` live."""
    return workspace.corpus_path(name) / FILE


def import_transactions(workspace, long: pd.DataFrame, name: str, source: str, replace: bool = False) -> dict:
    """Store the corpus of ``long`` as ``name`` and its transactions beside it. A failure
    writing the transactions removes the new corpus again (nothing half-saved). Returns the
    summary: name, documents, vertices per modality, edges, types."""
    validate_name(name, "corpus name")
    corpus = corpus_of(long, source)
    edges_from_long(long, corpus, source)  # every row maps onto the corpus (checked before writing)
    with entry_lock(workspace.corpus_path(name), f"corpus {name!r}"):
        if workspace.has_corpus(name) and not replace:
            raise WorkspaceError(f"a corpus named {name!r} already exists in {workspace.root} "
                                 "(use --replace to overwrite it)")
        workspace.save_corpus(corpus, name, replace=replace, extra_manifest={"created_at": now_iso()})
        target = transactions_path(workspace, name)
        tmp = target.with_name(f".tmp-{FILE}")
        try:
            pq.write_table(pa.Table.from_pandas(long[_COLUMNS].astype({"doc": str, "token": str, "modality": str,
                                                                       "type": str}), preserve_index=False),
                           tmp, compression="zstd")
            os.replace(tmp, target)
        except BaseException:
            workspace.delete_corpus(name)
            raise
    return {"name": name, "documents": corpus.n_docs,
            "vertices": {m: int((corpus.vocab["modality"] == m).sum()) for m in corpus.modalities},
            "edges": int(long["edge"].nunique()), "types": sorted(set(long["type"].astype(str)))}


def read_transactions(path, corpus) -> Edges:
    """The edges stored at ``path`` mapped onto ``corpus`` (InputError when missing/mismatched)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no transactions file {path}: corpus {corpus.name!r} was not imported with "
                         "'transactions import' (or the import was interrupted: import it again with --replace)")
    try:
        long = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as e:
        raise InputError(f"{path} is damaged ({str(e).splitlines()[0][:200]}); import the transactions again") from None
    return edges_from_long(long, corpus, str(path))
