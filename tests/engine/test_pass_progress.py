"""Progress within a pass for a corpus stored as batches (E-step counter, job accessor, CLI bar)."""
from __future__ import annotations

import io

from engine.cli.pass_progress import PassTicker
from engine.corpus.batch_writer import write_batches
from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.batched.family import batched_config
from engine.jobs import TrainingJob


def test_the_estep_counts_batches_and_the_job_and_bar_show_them(tmp_path, make_corpus, workspace):
    c = make_corpus(n_topics=3, words_per_topic=6, n_docs=120, doc_len=20, noise=3, seed=2)
    bc = write_batches(c, workspace.corpus_path("bat"), name="bat", batch_docs=25)
    cfg = batched_config(ModelConfig(n_topics=3, iterations=2, seed=1))
    tr = Trainer(bc, cfg)
    assert tr.estep.progress == (0, 5)
    seen = []
    orig = tr.estep.write_rows

    def spy(dst, d0, theta):  # the counter moves batch by batch within the pass
        seen.append(tr.estep.progress[0])
        orig(dst, d0, theta)

    tr.estep.write_rows = spy
    tr.step()
    assert seen == [0, 1, 2, 3, 4] and tr.estep.progress == (5, 5)

    job = TrainingJob(workspace, bc, cfg, name="p")
    assert job.pass_progress() is None  # no trainer yet: the bar draws nothing
    out = io.StringIO()
    ticker = PassTicker(job, 2, stream=out, force=True)
    assert ticker.line() is None
    job.pause(at=1)  # a breakpoint after the first pass: the job keeps its trainer
    job.start()
    try:
        assert job.wait_for(lambda s: s.status == "paused" or s.done, timeout=300).status == "paused"
        assert job.pass_progress() == (5, 5)
        assert ticker.line() is None  # between passes: no bar
    finally:
        job.stop()
        job.wait(timeout=300)


def test_the_bar_shows_the_batches_of_the_pass_in_progress():
    class Snap:
        iteration = 2

    class Job:
        progress = (250, 1000)

        def pass_progress(self):
            return self.progress

        def snapshot(self):
            return Snap()

    job = Job()
    ticker = PassTicker(job, 5, stream=io.StringIO(), force=True)
    line = ticker.line()
    assert line.startswith("\r[" + "#" * 7 + "." * 23 + "] pass 3/5  batch 250/1000")
    job.progress = (500, 1000)
    assert "batch 500/1000" in ticker.line() and "#" * 15 + "." * 15 in ticker.line()
    job.progress = (1000, 1000)  # the E-step is done, the pass not yet reported
    assert ticker.line().startswith("\r[" + "#" * 30 + "] pass 3/5  batch 1000/1000")
    Snap.iteration = 3  # reported: nothing until the next pass's E-step starts
    assert ticker.line() is None
    job.progress = (1, 1000)
    assert "pass 4/5  batch 1/1000" in ticker.line()
