"""Issue 14: a batched trainer's checkpoint state refers to a frozen Θ file (no D × T copy in
RAM), and a closed batched trainer can step again."""
from __future__ import annotations

import gc

import numpy as np

from engine.corpus.batch_writer import write_batches
from engine.em.config import ModelConfig
from engine.families.batched.family import batched_config
from engine.em.trainer import Trainer
from engine.store import checkpoints as ckpt


def _batched(make_corpus, tmp_path, **kw):
    c = make_corpus(n_topics=4, words_per_topic=8, n_docs=200, doc_len=30, noise=6, seed=3)
    bc = write_batches(c, tmp_path / "b", batch_docs=40)
    cfg = ModelConfig(n_topics=4, iterations=10, seed=2, inner_passes=2, reuse_theta=True, **kw)
    return bc, batched_config(cfg, theta="disk")


def test_checkpoint_state_holds_a_frozen_theta_file_not_a_copy_in_ram(make_corpus, tmp_path):
    bc, cfg = _batched(make_corpus, tmp_path)
    tr = Trainer(bc, cfg)
    tr.fit(2)
    want = np.array(tr.model.theta.T)  # (D, T) in RAM, for comparing
    state = tr.get_state()
    theta = state["theta"]
    assert isinstance(theta, np.memmap) and not theta.flags.writeable  # on disk, read-only
    frozen = list(tr.estep.theta_dir.glob("frozen-*.npy"))
    assert len(frozen) == 1
    tr.fit(2)  # both Θ files are rewritten; the frozen copy is not
    assert not np.array_equal(np.asarray(tr.theta_buffer), want)
    np.testing.assert_array_equal(np.asarray(theta), want)
    ckpt.write_checkpoint(tmp_path / "run", 2, state)
    back, _ = ckpt.read_checkpoint(tmp_path / "run", 2)
    np.testing.assert_array_equal(back["theta"], want)
    del state, theta, back
    gc.collect()
    assert not frozen[0].exists()  # unlinked with the last reference
    tr.close()


def test_a_closed_batched_trainer_steps_again_exactly(make_corpus, tmp_path):
    bc, cfg = _batched(make_corpus, tmp_path)
    a, b = Trainer(bc, cfg), Trainer(bc, cfg)
    a.fit(2)
    b.fit(2)
    b.close()
    a.fit(3)
    b.fit(3)  # after close: Θ files still there, the next passes continue from them
    np.testing.assert_array_equal(a.model.phi, b.model.phi)
    np.testing.assert_array_equal(np.asarray(a.model.theta), np.asarray(b.model.theta))
    folder = b.estep.theta_dir
    assert folder.exists()
    a.close()
    del a, b
    gc.collect()
    assert not folder.exists()  # the temporary Θ folder goes with its trainer
