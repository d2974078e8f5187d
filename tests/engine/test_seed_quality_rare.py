"""A seed group too rare to carry a topic of its own never gets an "ok" topic flag."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.em.model import TopicModel
from engine.families.seeds import precision as P
from engine.families.seeds import workflow as S
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.families.seeds.quality import group_support, rare_topics, topic_quality
from engine.families.seeds.report import headline, seed_tables, seeds_report
from engine.families.seeds.setup import SeedSetup
from test_seed_precision import DM, _corpus


def _rare_but_clean():
    """60 documents over 100 frequent filler words; documents 0-4 also hold ``rareword`` and 25
    topic words. A 2-topic model whose topic 0 is exactly those 25 words (plus a little
    ``rareword``) and holds documents 0-4: coherent, specific, not seeds-only, P@k = 1."""
    fill = [f"f{j}" for j in range(100)]
    topic_words = [f"t{j}" for j in range(25)]
    tokens = ["rareword"] + topic_words + fill
    W, D = len(tokens), 60
    rows = np.zeros((D, W))
    rows[:, 26:] = 3
    rows[:5, :26] = 1
    corpus = _corpus(rows, tokens)
    check = check_lexicon(Lexicon.parse("rare: rareword\nbig: f0"), corpus)
    _, setup = S.seed_config(check, "per_group", extra_topics=0, background=0)
    phi = np.zeros((W, 2), np.float32)
    phi[0, 0] = 0.02
    phi[1:26, 0] = 0.98 / 25 * np.linspace(1.2, 0.8, 25)
    phi[:, 0] /= phi[:, 0].sum()
    phi[26:, 1] = 1.0 / 100
    theta = np.zeros((2, D), np.float32)
    theta[0, :5], theta[1, :5] = 0.9, 0.1
    theta[1, 5:] = 1.0
    model = TopicModel(phi=phi, theta=theta, topic_names=["topic_0", "topic_1"], background=np.zeros(2, bool),
                       modalities=[DM], token_modality=np.zeros(W, np.int32), n_t=np.array([130.0, 17700.0]),
                       labels={})
    return corpus, model, setup, check


def test_rare_group_topic_is_flagged_too_rare_even_when_its_other_numbers_look_fine():
    corpus, model, setup, check = _rare_but_clean()
    men = P.group_mentions(corpus, setup)
    support = group_support(check, men).set_index("group")
    assert support.loc["rare", "verdict"] == "too rare" and support.loc["big", "verdict"] == "enough"
    prec = P.precision_table(model, corpus, setup, mentions=men)
    rare_topic = setup.group_topics["rare"][0]
    # every other check passes: without the support the topic was flagged "ok"
    blind = topic_quality(model, corpus, setup, prec).set_index("topic")
    assert blind.loc[rare_topic, "precision"] == 1.0 and blind.loc[rare_topic, "flag"] == "ok"
    told = topic_quality(model, corpus, setup, prec, support.reset_index()).set_index("topic")
    assert told.loc[rare_topic, "flag"] == "too rare"
    big_topic = setup.group_topics["big"][0]
    assert told.loc[big_topic, "flag"] == blind.loc[big_topic, "flag"]  # groups with support unchanged
    # what the Seed words page and the report show is the told version
    tables = seed_tables(model, corpus, setup, check)
    assert tables["quality"].set_index("topic").loc[rare_topic, "flag"] == "too rare"
    rep = seeds_report(model, corpus, setup, check, tables=tables)
    entry = next(e for e in rep["groups"] if e["group"] == "rare")
    assert entry["support"]["verdict"] == "too rare"
    assert [t["quality"]["flag"] for t in entry["topics"]] == ["too rare"]
    assert headline(tables)["topics_ok"] == int((tables["quality"]["flag"] == "ok").sum())
    assert rep["summary"]["topics_ok"] == headline(tables)["topics_ok"]


def test_shared_topic_is_too_rare_only_when_all_its_groups_are():
    lex = Lexicon.parse("a: x\nb: y\nc: z")
    setup = SeedSetup(preset="shared", lexicon=lex, terms={"a": ["x"], "b": ["y"], "c": ["z"]},
                      group_topics={"a": ["topic_0"], "b": ["topic_0", "topic_1"], "c": ["topic_1"]})
    support = pd.DataFrame({"group": ["a", "b", "c"], "verdict": ["too rare", "too rare", "enough"]})
    assert rare_topics(setup, support) == {"topic_0"}
    assert rare_topics(setup, None) == set()
