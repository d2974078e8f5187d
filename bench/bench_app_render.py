"""Server-side re-render time of the dashboard on 20 Newsgroups with a T = 50 run open.

Measures, with Streamlit's AppTest (the script run in-process: the server's share of a rerun,
without the browser's drawing):

- Topics: switching the selected topic;
- Documents: switching the document (default 120-position window);
- Documents: a ~2,000-token document with the whole p(t|d,w) heatmap ("all" positions).

Usage::

    python bench/bench_app_render.py [--workspace bench/data/app_ws] [--repeat 5]

The workspace is reused between runs (20NG import and the T = 50 training happen once).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpora" / "20newsgroups" / "20newsgroups_bydate.jsonl.gz"


def prepare(root: Path, topics: int, iterations: int) -> tuple[str, str]:
    from engine import Workspace
    from engine.em.config import preset
    from engine.corpus.ingest import ImportOptions, import_corpus
    from engine.em.trainer import Trainer
    from engine.store.runs import list_runs, new_run, save_run

    ws = Workspace(root)
    if not ws.has_corpus("20ng"):
        t0 = time.perf_counter()
        import_corpus(CORPUS, "20ng", ImportOptions(modalities={"label": "@labels"}), ws)
        print(f"import 20ng: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    runs = [m for m in list_runs(ws, "20ng") if m.get("n_topics") == topics + 1]
    if runs:
        return "20ng", runs[0]["run_id"]
    corpus = ws.load_corpus("20ng")
    cfg = preset("interpretable", n_topics=topics, iterations=iterations, n_background=1)
    tr = Trainer(corpus, cfg)
    t0 = time.perf_counter()
    run = new_run(corpus, cfg.to_dict(), tr.model, name=f"20ng-T{topics}")
    for _ in range(iterations):
        run.record(tr.step(cfg))
    run.model, run.status = tr.model, "finished"
    save_run(ws, run)
    print(f"train T={topics}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return "20ng", run.run_id


def timed(fn, repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        out.append(1000 * (time.perf_counter() - t0))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default=str(REPO / "bench" / "data" / "app_ws"))
    ap.add_argument("--topics", type=int, default=50)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    root = Path(args.workspace)
    corpus_name, run_id = prepare(root, args.topics, args.iterations)
    os.environ["ARTM_STUDIO_HOME"] = str(root)
    os.environ["ARTM_STUDIO_NO_SAMPLE"] = "1"
    from streamlit.testing.v1 import AppTest

    from engine import Workspace

    corpus = Workspace(root).load_corpus(corpus_name)
    lengths = corpus.sequences.ptr[1:] - corpus.sequences.ptr[:-1]
    long_doc = int(abs(lengths - 2000).argmin())
    at = AppTest.from_file(str(REPO / "app" / "streamlit_app.py"), default_timeout=600)
    at.session_state["corpus_name"] = corpus_name
    at.session_state["run_id"] = run_id
    at.run()
    at.switch_page("app_pages/topics.py").run()
    assert not at.exception, at.exception
    names = at.selectbox(key="topics_topic").options
    topic_ms = timed(lambda i: at.selectbox(key="topics_topic").select_index((i + 1) % len(names)).run(), args.repeat)
    at.switch_page("app_pages/documents.py").run()
    assert not at.exception, at.exception
    doc_ms = timed(lambda i: at.number_input(key="docs_doc_number").set_value(10 + i).run(), args.repeat)
    at.number_input(key="docs_doc_number").set_value(long_doc).run()
    at.session_state["docs_width"] = "all"
    heat_ms = timed(lambda i: at.number_input(key="docs_doc_number").set_value(long_doc).run(), args.repeat)
    assert not at.exception, at.exception
    med = statistics.median
    print(f"20NG D={corpus.n_docs} W={corpus.n_tokens} T={args.topics}+1, run {run_id}")
    print(f"switch topic (Topics page):           median {med(topic_ms):6.0f} ms  {['%.0f' % x for x in topic_ms]}")
    print(f"switch document (Documents, 120 pos.): median {med(doc_ms):6.0f} ms  {['%.0f' % x for x in doc_ms]}")
    print(f"document of {lengths[long_doc]} tokens, whole heatmap: median {med(heat_ms):6.0f} ms  "
          f"{['%.0f' % x for x in heat_ms]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
