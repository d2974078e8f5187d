"""An old-layout workspace (tests/fixtures/legacy_workspace, written by the engine before the run
manifest held everything: see tests/fixtures/make_legacy_workspace.py) is migrated on first use:
the side files <ws>/context/<id>.json and <ws>/seeds/<id>.json move into the run manifests."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import engine.families.context as C
from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.seeds import workflow as S
from engine.store.runs import delete_run, list_runs, load_run, read_run_manifest
from engine.store.workspace import Workspace

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_workspace"
CONTEXT_RUN = "20261205-180812-d6006b"
SEEDS_RUN = "20261205-180853-2aa3ee"


@pytest.fixture
def old_ws(tmp_path, kernels_ready):
    root = tmp_path / "ws"
    shutil.copytree(FIXTURE, root)
    assert (root / "context" / f"{CONTEXT_RUN}.json").exists()
    assert (root / "seeds" / f"{SEEDS_RUN}.json").exists()
    return Workspace(root)


def test_side_files_move_into_the_manifests_once(old_ws):
    runs = {m["run_id"]: m for m in list_runs(old_ws)}
    assert set(runs) == {CONTEXT_RUN, SEEDS_RUN}
    assert not (old_ws.root / "context").exists() and not (old_ws.root / "seeds").exists()
    ctx = runs[CONTEXT_RUN]["config"]
    assert ctx["family"] == "context"
    opts = C.load_options(old_ws, CONTEXT_RUN)
    assert (opts.mode, opts.window(1), opts.beta(1), opts.context_passes) == ("context", 4.0, 0.4, 2)
    cfg = ModelConfig.from_dict(ctx)
    smooth = [r for r in cfg.regularizers if r.acts_on_estep]
    assert len(smooth) == 1 and smooth[0].kind == "SequenceSmoothing"
    assert smooth[0].tau(1) == 0.3 and smooth[0].window == 3
    assert runs[SEEDS_RUN]["config"]["family"] == "seeds"
    setup = S.load_setup(old_ws, SEEDS_RUN)
    assert setup.labels == {"topic_0": "first", "topic_1": "second"}
    assert setup.group_topics == {"first": ["topic_0"], "second": ["topic_1"]}
    # a second read changes nothing
    assert read_run_manifest(old_ws, CONTEXT_RUN)["config"] == ctx


def test_migrated_runs_train_segment_and_delete(old_ws):
    corpus = old_ws.load_corpus("planted")
    run = load_run(old_ws, CONTEXT_RUN)
    cfg = ModelConfig.from_dict(run.config)
    tr = Trainer.from_state(corpus, cfg.with_changes(iterations=4), {
        "phi": run.model.phi, "theta": run.model.theta.T, "n_t": run.model.n_t,
        "iteration": run.iteration})
    rep = tr.step()
    assert rep.tau["SequenceSmoothing"] == pytest.approx(0.3) and np.isfinite(rep.scores["perplexity"])
    segs = C.segment(run.model, corpus, 0, options=C.load_options(old_ws, CONTEXT_RUN),
                     estep=C.estep_terms(run.config))
    assert segs and segs[-1]["token_end"] == len(corpus.sequences.of(0)[0])
    delete_run(old_ws, CONTEXT_RUN)
    delete_run(old_ws, SEEDS_RUN)
    assert list_runs(old_ws) == []
