"""The E-step strategy of the ``batched`` family: EM over a corpus stored as batches on disk,
offline passes or online EM (BigARTM ``fit_online``).

The one :class:`engine.em.trainer.Trainer` runs it like any family's E-step. One pass streams
the batches of a :class:`~engine.corpus.batches.BatchedCorpus` (the next one read and its
transposed structure built by a background thread while the current one computes) and runs, per
batch b, the same two E-step kernels as the in-memory trainer (:mod:`.pipeline`):

    θ_d  for d ∈ b  (``estep_chunk``; θ from disk when Θ is kept, else from 1/T),
    n_wt += φ_wt Σ_{d∈b} (n_dw / p(w|d)) θ_td   for the tokens w of b  (``nwt_add``),

in corpus-wide token ids, so a batch costs O(nnz_b·T + W) and memory holds Φ, n_wt and one or two
batches. The trainer then runs its regularized M-step on the n_wt returned. (:func:`estep_batch`
is the same E-step over a batch's own vocabulary W_b, returning n̂_wt^b (W_b, T): what a Dask
worker sends back.)

- **Offline** (``OnlineOptions`` None): n_wt = Σ_b n̂_wt^b, then the regularized M-step once per
  pass. With Θ kept, the result equals :class:`engine.em.trainer.Trainer` on the same corpus to
  float tolerance (only the summation order of n_wt differs).
- **Online**: after every ``update_every`` batches (and after the last batch of a pass), with
  i = 1, 2, … the number of this update counted across passes (BigARTM 0.9.2's ``update_count``),
  ρ_i = (τ₀ + i)^(−κ),  n_wt ← (1 − ρ_i) n_wt + ρ_i Σ_{last batches} n̂_wt^b,  Φ ← M-step(n_wt).
  n_wt starts as the initial Φ. BigARTM's defaults: τ₀ = 1024, κ = 0.7, update_every = 1.
  The intermediate M-steps take the Φ regularizers with the Φ of the pass's start; the blended
  n_wt (carried to the next pass and saved in checkpoints) goes back to the trainer.

Θ storage (``theta``): ``"disk"`` keeps Θ (D, T) for the next pass in a float32 ``.npy`` file
(two files used in turn, so the Θ of the last pass never changes under a reader and a repeated
pass reads the same input; batches read and write their rows with plain file I/O, and the model
gets the file memory-mapped read-only, so Θ never stays resident in RAM); ``reuse_theta`` then starts each document from its previous
θ. ``"none"`` keeps no Θ between passes: every pass starts θ from 1/T (BigARTM's default); the
pass still writes its Θ to the memory-mapped file (never read back) so that the run can be saved
and viewed with Θ. Either way Θ costs disk (2 · D · T · 4 bytes), not RAM.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from engine.em.arrays import as_csr
from engine.em.estep import transposed
from engine.em.family import EStep
from engine.errors import ConfigError
from engine.families.batched import pipeline

THETA_MODES = ("disk", "none")


@dataclass(frozen=True)
class OnlineOptions:
    """Online EM schedule: Φ updated every ``update_every`` batches with ρ_i = (τ₀ + i)^(−κ)."""

    update_every: int = 1
    tau0: float = 1024.0
    kappa: float = 0.7

    def __post_init__(self):
        if int(self.update_every) < 1:
            raise ConfigError(f"online update_every must be ≥ 1 batch, got {self.update_every}")
        if not 0.5 < float(self.kappa) <= 1.0:
            raise ConfigError(f"online kappa must be in (0.5, 1], got {self.kappa}")
        if float(self.tau0) < 0:
            raise ConfigError(f"online tau0 must be ≥ 0, got {self.tau0}")

    def rho(self, i: int) -> float:
        """ρ of the update after ``i`` earlier ones: (τ₀ + i + 1)^(−κ), as BigARTM's fit_online."""
        return float((self.tau0 + i + 1) ** (-self.kappa))

    def to_dict(self) -> dict:
        return {"update_every": int(self.update_every), "tau0": float(self.tau0), "kappa": float(self.kappa)}

    @classmethod
    def from_dict(cls, d: dict | None) -> "OnlineOptions | None":
        if d is None:
            return None
        if not isinstance(d, dict) or set(d) - {"update_every", "tau0", "kappa"}:
            raise ConfigError(f"options.online must be {{update_every, tau0, kappa}}, got {d!r}")
        return cls(**d)


@dataclass(frozen=True, eq=False)
class PreparedBatch:
    """A batch over its own vocabulary: ``words`` (W_b,) corpus token ids; ``n_dw`` (D_b, W_b)
    CSR with local ids; ``csc`` = :func:`engine.em.trainer.transposed` of it."""

    index: int
    doc0: int
    words: np.ndarray
    n_dw: object
    csc: tuple


def prepare_batch(batch, n_tokens: int) -> PreparedBatch:
    """Local vocabulary, local CSR and its transposed structure (run in the prefetch thread)."""
    m = batch.n_dw
    words = np.flatnonzero(np.bincount(m.indices, minlength=n_tokens)).astype(np.int64)
    lut = np.zeros(n_tokens, np.int32)
    lut[words] = np.arange(len(words), dtype=np.int32)
    local = as_csr(sp.csr_matrix((m.data, lut[m.indices], m.indptr), shape=(m.shape[0], len(words))))
    return PreparedBatch(index=batch.index, doc0=batch.doc0, words=words, n_dw=local, csc=transposed(local))


def estep_batch(pb: PreparedBatch, phi, tok_weight, tok_mod, n_mod: int, theta_in, reset: bool,
                inner_passes: int, add, mult, add_doc, threads: int = 1, pool=None):
    """The E-step of one prepared batch with Φ fixed, over the batch's own vocabulary (Dask workers).

    Parameters
    ----------
    phi : ndarray (W, T) float32; tok_weight (W,) float32; tok_mod (W,) int32 — corpus-wide
    theta_in : ndarray (D_b, T) float32 (ignored when ``reset``)
    add, mult : ndarray (T,) float32; add_doc : ndarray (D_b or 0, T) float32 — Θ terms

    Returns
    -------
    n_wt_b : ndarray (W_b, T) float32, rows ``pb.words``
    theta : ndarray (D_b, T) float32
    loglik, n_tok : ndarray (M,) float64
    """
    m = pb.n_dw
    sb = pipeline.StreamBatch(index=pb.index, doc0=pb.doc0, indptr=m.indptr, indices=m.indices, data=m.data,
                              csc=pb.csc)
    n_wt = np.zeros((len(pb.words), phi.shape[1]), np.float32)  # 0 + n̂_wt^b: the batch's rows exactly
    theta, loglik, n_tok = pipeline.estep_add(
        sb, np.ascontiguousarray(phi[pb.words]), np.ascontiguousarray(tok_weight[pb.words]),
        np.ascontiguousarray(tok_mod[pb.words]), n_mod, theta_in, reset, inner_passes, add, mult, add_doc,
        n_wt, threads, pool)
    return n_wt, theta, loglik, n_tok


def theta_summary(theta: np.ndarray) -> np.ndarray:
    """[documents with Σ_t θ_td = 0, Σ θ] of a batch's Θ (D_b, T) as float64 (2,)."""
    doc = theta.sum(axis=1, dtype=np.float64)
    return np.array([float((~(doc > 0)).sum()), float(doc.sum())])


class BatchedEStep(EStep):
    """E-step over the batches of a :class:`~engine.corpus.batches.BatchedCorpus` (see the module
    docstring). Options (``config.options`` of family ``batched``): ``theta`` ("disk" | "none"),
    ``online`` (None or :class:`OnlineOptions` as a dict), ``prefetch`` (batches read ahead),
    ``theta_dir`` (None: a temporary folder removed by :meth:`close`)."""

    def __init__(self, trainer):
        opts = trainer.config.options
        self.theta_mode = opts.get("theta", "disk")
        self.online = OnlineOptions.from_dict(opts.get("online"))
        self.prefetch = int(opts.get("prefetch", 1))
        D, T = trainer.corpus.n_docs, trainer.config.total_topics
        tdir = opts.get("theta_dir")
        self._own_dir = None
        if tdir is None:  # removed with this strategy (memory maps handed out stay readable)
            tdir = self._own_dir = tempfile.mkdtemp(prefix="artm-theta-")
            weakref.finalize(self, shutil.rmtree, tdir, True)
        Path(tdir).mkdir(parents=True, exist_ok=True)
        self.theta_dir = Path(tdir)
        self._paths = [self.theta_dir / f"theta{k}.npy" for k in (0, 1)]
        for path in self._paths:  # .npy files of D × T float32 (sparse on disk until written)
            header = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(D, T))
            del header  # unmapped: rows are written with plain file I/O
        self._offset = self._paths[0].stat().st_size - D * T * 4  # the .npy header
        self._row = T * 4
        self._files = [np.load(path, mmap_mode="r") for path in self._paths]
        self._n_wt: np.ndarray | None = None  # online: n_wt carried between passes
        self._updates = 0  # online: Φ updates so far (i in ρ_i)
        self._summary: tuple | None = None  # (documents, empty documents, Σ Θ) of the last pass
        #: (batches done, batches) of the pass in progress, for progress bars (read from any thread)
        self.progress: tuple[int, int] = (0, trainer.corpus.n_batches)

    def _buffers(self, src):
        """(Θ to read, index of the Θ file to write): the file not holding the previous pass."""
        return src, (1 if src is self._files[0] else 0)

    def _read_rows(self, src, d0: int, d1: int) -> np.ndarray:
        """θ of documents [d0, d1) of the previous pass: read from the file (no memory map stays
        resident), or sliced from an in-memory Θ (a restored checkpoint)."""
        k = next((i for i, f in enumerate(self._files) if src is f), None)
        if k is None:
            return np.ascontiguousarray(src[d0:d1], np.float32)
        with open(self._paths[k], "rb") as f:
            f.seek(self._offset + d0 * self._row)
            return np.fromfile(f, np.float32, (d1 - d0) * (self._row // 4)).reshape(d1 - d0, -1)

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        add, mult, add_doc = theta_terms
        reset = reset or self.theta_mode == "none"
        src, k = self._buffers(tr.theta_buffer)
        it = tr.iteration + 1
        taus = tr.taus(cfg, it)
        phi_regs = [(r, taus[r.name]) for r in cfg.regularizers
                    if r.enabled and taus[r.name] != 0.0 and r.acts_on_phi]
        with open(self._paths[k], "r+b") as dst:
            n_wt, loglik, n_tok = self.sweep(tr, cfg, tok_weight, reset, add, mult, add_doc, src, dst,
                                             phi_regs, tr._context(it))
        # Θ of the pass, mapped read-only: pages are read only when someone looks at them
        self._files[k] = np.load(self._paths[k], mmap_mode="r")
        return n_wt, self._files[k], loglik, n_tok

    def write_rows(self, dst, d0: int, theta: np.ndarray) -> None:
        """θ of documents d0.. into the open Θ file ``dst`` (plain writes, not a memory map)."""
        dst.seek(self._offset + d0 * self._row)
        dst.write(np.ascontiguousarray(theta, np.float32).tobytes())

    def sweep(self, tr, cfg, tok_weight, reset, add, mult, add_doc, src, dst, phi_regs, ctx):
        """E-steps of every batch (with online Φ updates): (n_wt, loglik, n_tok); Θ written to the
        open file ``dst`` (:meth:`write_rows`)."""
        M, (W, T) = len(tr.modalities), tr.phi.shape
        pool = tr.pool(cfg.threads) if cfg.threads > 1 else None
        phi, updates = tr.phi, self._updates
        if self.online is None:
            n_wt = acc = np.zeros((W, T), np.float32)
        else:
            n_wt = (tr.phi if self._n_wt is None else self._n_wt).astype(np.float32, copy=True)
            acc = np.zeros((W, T), np.float32)
        loglik, n_tok, since = np.zeros(M), np.zeros(M), 0
        summary = np.zeros(2)  # documents with no mass, Σ Θ (for the health check)
        n_batches = tr.corpus.n_batches
        self.progress = (0, n_batches)
        for done, sb in enumerate(tr.corpus.iter_batches(prefetch=self.prefetch, load=lambda b: pipeline.prepare(b, W)), 1):
            d0, d1 = sb.doc0, sb.doc0 + sb.n_docs
            th_in = None if reset else self._read_rows(src, d0, d1)
            ad = add_doc[d0:d1] if add_doc.shape[0] else add_doc
            theta, ll, nt = pipeline.estep_add(sb, phi, tok_weight, tr.token_modality, M, th_in, reset,
                                               cfg.inner_passes, add, mult, ad, acc, cfg.threads, pool)
            loglik += ll
            n_tok += nt
            summary += theta_summary(theta)
            self.write_rows(dst, d0, theta)
            self.progress = (done, n_batches)
            since += 1
            if self.online is not None and since == self.online.update_every:
                phi, updates, since = self._update(tr, n_wt, acc, updates, phi_regs, ctx), updates + 1, 0
        if self.online is not None:
            if since:
                self._update(tr, n_wt, acc, updates, phi_regs, ctx)
                updates += 1
            self._n_wt, self._updates = n_wt, updates
        self._summary = (tr.corpus.n_docs, int(summary[0]), float(summary[1]))
        return n_wt, loglik, n_tok

    def _update(self, tr, n_wt, acc, i, phi_regs, ctx):
        """n_wt ← (1 − ρ_i) n_wt + ρ_i acc in place, acc zeroed; returns the new Φ."""
        rho = self.online.rho(i)
        n_wt *= np.float32(1.0 - rho)
        n_wt += np.float32(rho) * acc
        acc.fill(0.0)
        return tr._mstep(n_wt, phi_regs, ctx)

    def theta_summary(self) -> tuple[int, int, float] | None:
        """(documents, empty documents, Σ Θ) of the last pass, summed batch by batch."""
        return self._summary

    def state(self) -> dict:
        if self.online is None:
            return {}
        return {"online_updates": self._updates, "online_n_wt": self._n_wt}

    def load_state(self, state: dict) -> None:
        self._updates = int(state.get("online_updates", 0))
        n_wt = state.get("online_n_wt")
        self._n_wt = None if n_wt is None else np.asarray(n_wt, np.float32)

    def frozen_theta(self, theta: np.ndarray) -> np.ndarray:
        """Θ of the last pass for a checkpoint without reading it into RAM: the Θ file is copied
        (by the kernel, :func:`shutil.copyfile`) to a file of its own and mapped read-only — the
        two Θ files alternate, so the pass after next would overwrite the original. The copy is
        unlinked when the returned array is garbage-collected (the mapping stays valid until then)."""
        k = next((i for i, f in enumerate(self._files) if theta is f), None)
        if k is None:  # Θ in RAM (restored from a checkpoint and not stepped yet)
            return np.array(theta, copy=True)
        path = self.theta_dir / f"frozen-{uuid.uuid4().hex}.npy"
        shutil.copyfile(self._paths[k], path)
        out = np.load(path, mmap_mode="r")
        weakref.finalize(out, _unlink, path)
        return out

    def close(self) -> None:
        """Nothing to release in RAM: Θ lives in its files, and the trainer may step again after
        close (the temporary Θ folder is removed when this strategy is garbage-collected)."""


def _unlink(path) -> None:
    """Remove a frozen Θ copy (already gone with its temporary folder: fine)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
