"""The stakeholder report: self-contained, labelled topics only, background never shown, one
naming of topics, trends on the corpus's span, explained scores, configuration in a paragraph."""
from __future__ import annotations

import re
from dataclasses import replace

from engine import Workspace
from engine.analysis import display_names, stakeholder_report, topic_count_text
from engine.analysis.report import BODY_WIDTH_PX, topic_names_for
from engine.store.runs import list_runs, load_run


def _run(app_home, name="toy-a"):
    ws = Workspace(app_home)
    rid = next(m["run_id"] for m in list_runs(ws) if m["name"] == name)
    return load_run(ws, rid), ws.load_corpus("toy")


def test_report_is_self_contained_and_fixed_width(app_home):
    run, corpus = _run(app_home)
    page = stakeholder_report(run, corpus)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>")
    assert "<script" not in page and not re.search(r"(src|href)=['\"]?https?:", page)  # opens offline
    assert f"width:{BODY_WIDTH_PX}px" in page and BODY_WIDTH_PX <= 1200
    assert "@media print" in page
    assert "3 topics + 1 background" in page and "T=4" not in page  # the right topic count
    assert "<svg" in page and "How the main topics develop over time" in page  # dated corpus: trends
    assert "Coherence" in page or "Perplexity" in page  # explained scores, not raw keys
    assert "sparsity_phi" not in page


def test_report_shows_labelled_topics_only_and_never_the_background(app_home):
    run, corpus = _run(app_home)
    m = run.model
    subject = [n for n, b in zip(m.topic_names, m.background) if not b]
    bg = [n for n, b in zip(m.topic_names, m.background) if b][0]
    labelled = replace(run, model=replace(m, labels={subject[0]: "Health <care>", bg: "Glue words"}))
    page = stakeholder_report(labelled, corpus)
    assert "Health &lt;care&gt;" in page
    assert "Glue words" not in page and "background" not in page.split("<h2>Topics</h2>")[1].split("<h2>")[0]
    names = topic_names_for(labelled)
    others = [names[m.topic_names.index(n)] for n in subject[1:]]
    topics_section = page.split("<h2>Topics</h2>")[1].split("<h2>")[0]
    assert not any(f"<td>{o}</td>" in topics_section for o in others)  # unlabelled topics left out

    unlabelled = stakeholder_report(run, None)  # no labels: automatic names, with a note
    assert "No topic has a label yet" in unlabelled and "develop over time" not in unlabelled


def test_one_naming_label_else_two_words():
    names = display_names(["topic_0", "topic_1", "background_0", "topic_2"],
                          {"topic_1": "Transport"}, ["tax · budget", "rail · bus", "the · of", "tax · budget"],
                          [False, False, True, False])
    assert names[1] == "Transport"
    assert names[2] == "background: the · of"
    assert names[0] == "tax · budget (topic_0)" and names[3] == "tax · budget (topic_2)"  # never two alike
    assert topic_count_text(40, 1) == "40 topics + 1 background" and topic_count_text(1, 0) == "1 topic"
