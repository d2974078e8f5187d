"""Batch files: the Arrow IPC format, the earlier Parquet one, the upgrade, the fast E-step path."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
import scipy.sparse as sp

from engine.corpus.batch_writer import upgrade_batches, write_batches
from engine.corpus.batches import BATCH_FORMAT, BatchedCorpus, batch_format, read_batch, write_batch
from engine.em.config import ModelConfig
from engine.em.estep import transposed
from engine.em.trainer import Trainer
from engine.errors import WorkspaceError
from engine.families.batched import pipeline
from engine.families.batched._kernels import csc_of
from engine.families.batched.family import batched_config


def _random_csr(rng, D=300, W=500, density=0.03):
    m = sp.random(D, W, density=density, random_state=rng, format="csr", dtype=np.float32)
    m.data = np.ceil(m.data * 5).astype(np.float32)
    m.sort_indices()
    return m


def _to_parquet_corpus(path):
    """Rewrite a batched corpus as the earlier format (Parquet batches, no batch_format key)."""
    man = json.loads((path / "manifest.json").read_text())
    for b in man["batches"]:
        old = path / "batches" / b["file"]
        b["file"] = b["file"].replace(".arrow", ".parquet")
        write_batch(read_batch(old, man["vocabulary"]), path / "batches" / b["file"])
        old.unlink()
    del man["batch_format"]
    (path / "manifest.json").write_text(json.dumps(man))


def test_csc_of_equals_the_scipy_transposition():
    rng = np.random.default_rng(0)
    m = _random_csr(rng)
    m.indptr = m.indptr.astype(np.int64)
    got = csc_of(m.indptr, m.indices, m.shape[1])
    want = transposed(m)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("suffix", [".arrow", ".parquet"])
def test_both_batch_formats_read_back_the_same_csr(tmp_path, suffix):
    m = _random_csr(np.random.default_rng(1))
    path = tmp_path / f"b{suffix}"
    write_batch(m, path)
    assert path.read_bytes()[:4] == (b"ARRO" if suffix == ".arrow" else b"PAR1")
    for src in (path, io.BytesIO(path.read_bytes())):  # a path, or an open file (fsspec on Dask workers)
        back = read_batch(src, m.shape[1])
        assert back.indptr.dtype == np.int64 and back.indices.dtype == np.int32 and back.data.dtype == np.float32
        assert (back != m).nnz == 0
    with pytest.raises(WorkspaceError, match="outside the vocabulary"):
        read_batch(path, m.shape[1] - 10)


def test_a_damaged_batch_file_is_one_clear_error(tmp_path):
    path = tmp_path / "b.arrow"
    write_batch(_random_csr(np.random.default_rng(2)), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(WorkspaceError, match="cannot read batch"):
        read_batch(path, 500)


def test_negative_counts_are_refused_before_the_estep(tmp_path):
    m = _random_csr(np.random.default_rng(3))
    m.data[5] = -1.0
    path = tmp_path / "b.arrow"
    write_batch(m, path)

    class B:
        index, doc0, n_dw = 0, 0, read_batch(path, m.shape[1])

    with pytest.raises(WorkspaceError, match="negative or non-finite"):
        pipeline.prepare(B, m.shape[1])


def test_an_earlier_parquet_corpus_trains_the_same_and_upgrades_in_place(tmp_path, make_corpus):
    c = make_corpus(n_topics=3, words_per_topic=8, n_docs=200, doc_len=25, noise=5, seed=4)
    new = write_batches(c, tmp_path / "new", batch_docs=30)
    assert batch_format(new.manifest) == BATCH_FORMAT == "arrow"
    old_path = tmp_path / "old"
    write_batches(c, old_path, batch_docs=30)
    _to_parquet_corpus(old_path)
    old = BatchedCorpus(old_path)
    assert batch_format(old.manifest) == "parquet" and old.fingerprint() == new.fingerprint()
    cfg = batched_config(ModelConfig(n_topics=3, iterations=3, seed=1, threads=2))
    a, b = Trainer(new, cfg), Trainer(old, cfg)
    a.fit(3)
    b.fit(3)
    np.testing.assert_array_equal(a.model.phi, b.model.phi)
    up = upgrade_batches(old_path)
    assert batch_format(up.manifest) == "arrow" and up.fingerprint() == new.fingerprint()
    assert sorted(p.suffix for p in (old_path / "batches").iterdir()) == [".arrow"] * up.n_batches
    assert (up.to_corpus().n_dw != c.n_dw).nnz == 0
    assert upgrade_batches(old_path).path == up.path  # already current: nothing rewritten
