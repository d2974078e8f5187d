"""``artm-studio multilingual import|train|topics|find|measure``: parallel or comparable corpora
with a modality per language and the translation-dictionary regularizer."""
from __future__ import annotations

import json

from engine.cli import _family as F
from engine.cli.common import run_and_corpus, workspace_of
from engine.cli.corpus import _df_bound
from engine.errors import InputError
from engine.families.multilingual.corpus import import_multilingual, languages_of, parse_part
from engine.families.multilingual.dictionary import dictionary_from_arrays, read_dictionary, store_dictionary
from engine.families.multilingual.family import MultilingualOptions, multilingual_config
from engine.families.multilingual.views import nearest_documents, retrieval_summary, side_by_side, translation_hits


def _by_language(specs, flag: str, example: str) -> dict:
    """{"@en": value} from repeated ``MODALITY=VALUE`` flags."""
    out = {}
    for spec in specs or []:
        mod, sep, value = spec.partition("=")
        if not sep or not value or not mod:
            raise InputError(f"{flag} {spec!r}: write MODALITY=VALUE, e.g. {example}")
        out[mod if mod.startswith("@") else "@" + mod] = value
    return out


def cmd_import(args) -> int:
    files = _by_language(args.file, "--file", "@en=en.csv")
    parts = [parse_part(p, files) for p in args.part]
    ws = workspace_of(args)
    c = import_multilingual(ws, args.name, parts, args.path, args.id, replace=args.replace,
                            lemmatize=not args.no_lemmatize, stem=args.stem, min_df=args.min_df,
                            max_df=args.max_df, max_vocab=args.max_vocab)
    print(json.dumps({"name": c.name, "documents": c.n_docs,
                      "vocabulary": {m: int(c.modality_mask(m).sum()) for m in c.modalities},
                      "notes": c.manifest.get("notes", [])}, ensure_ascii=False, indent=2))
    return 0


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    langs = tuple(args.languages) if args.languages else tuple(languages_of(corpus))
    opts = MultilingualOptions(langs).validate()
    columns = _by_language(args.column, "--column", "@en=english")
    if args.dictionary:
        read_dictionary(args.dictionary, corpus, langs[:2], columns, None, args.unknown)  # fails before copying
    path = store_dictionary(ws, args.dictionary) if args.dictionary else None
    cfg = multilingual_config(F.config_of(args), opts, path, tau=args.tau, columns=columns, unknown=args.unknown)
    F.run_training(args, ws, corpus, cfg)
    return 0


def _run_dictionary(run, corpus):
    langs = MultilingualOptions.from_dict(run.config.get("options")).languages
    return langs, dictionary_from_arrays(run.arrays, langs[:2])


def cmd_topics(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    langs, d = _run_dictionary(run, corpus)
    sbs = side_by_side(run.model, corpus.vocab, langs, args.top)
    hits = translation_hits(run.model, d, args.top) if d is not None else None
    if args.json:
        topics = [{"topic": t, **{m: g[m].tolist() for m in langs}} for t, g in sbs.groupby("topic", sort=False)]
        out = {"run": run.run_id, "languages": list(langs), "topics": topics}
        if hits is not None:
            out["translation_hits"] = float(hits["hits"].mean())
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for t, g in sbs.groupby("topic", sort=False):
        h = "" if hits is None else f"  (translation hits {float(hits.set_index('topic').at[t, 'hits']):.2f})"
        print(f"{t}{h}")
        for r in g.to_dict("records"):
            print("   " + "   ".join(f"{r.get(m, ''):<18}" for m in langs))
    return 0


def cmd_find(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    ids = corpus.documents["id"].astype(str)
    doc = text = None
    if args.text is not None:
        text = args.text
    else:
        hit = ids.index[ids == str(args.doc)]
        if not len(hit):
            raise InputError(f"no document {args.doc!r} in corpus {corpus.name!r}")
        doc = int(hit[0])
    for m in (args.source, args.target):
        if m not in corpus.modalities:
            raise InputError(f"the corpus has no language {m} (it has {', '.join(corpus.modalities)})")
    out = nearest_documents(run.model, corpus, args.source, args.target, doc=doc, text=text, n=args.top)
    print(out.to_json(orient="records", force_ascii=False, indent=2))
    return 0


def cmd_measure(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    langs, d = _run_dictionary(run, corpus)
    if args.dictionary:
        d = read_dictionary(args.dictionary, corpus, langs[:2])
    out = {"run": run.run_id, "retrieval": retrieval_summary(run.model, corpus, langs[:2])}
    if d is not None:
        out["translation_hits_top10"] = float(translation_hits(run.model, d, 10)["hits"].mean())
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def register(sub, common) -> None:
    s, t = F.family_group(sub, common, "multilingual", "parallel/comparable corpora: a modality per language, "
                          "translation-dictionary regularizer", "train a multilingual model (optionally with a dictionary)")
    i = s.add_parser("import", parents=[common], help="build a corpus with one modality per language")
    i.add_argument("path", nargs="?", help="the table with a text column per language (omit with --file)")
    i.add_argument("--name", required=True, help="corpus name in the workspace")
    i.add_argument("--part", action="append", required=True, metavar="MOD=COLUMN[:LANG]",
                   help="a language: modality, text column, language code (e.g. @en=text_en:en); repeat")
    i.add_argument("--file", action="append", metavar="MOD=PATH",
                   help="a language's own file (rows joined by --id); repeat per language")
    i.add_argument("--id", default=None, help="id column joining the languages (required with --file)")
    i.add_argument("--no-lemmatize", action="store_true", dest="no_lemmatize",
                   help="keep Russian word forms (default: pymorphy3 lemmas)")
    i.add_argument("--stem", action="store_true", help="Snowball-stem the non-Russian languages")
    i.add_argument("--min-df", type=_df_bound, default=None, dest="min_df", metavar="N|F",
                   help="minimum document frequency per language: count or fraction")
    i.add_argument("--max-df", type=_df_bound, default=None, dest="max_df", metavar="N|F")
    i.add_argument("--max-vocab", type=int, default=None, dest="max_vocab")
    i.add_argument("--replace", action="store_true")
    i.set_defaults(func=cmd_import)
    t.add_argument("--languages", nargs="+", default=None, metavar="@LANG",
                   help="language modalities (default: the corpus's import parts)")
    t.add_argument("--dictionary", default=None, metavar="FILE",
                   help="bilingual dictionary (CSV/Parquet, a column per language: en,ru) between the first two")
    t.add_argument("--column", action="append", metavar="MOD=COLUMN",
                   help="dictionary column of a language when not named after it (e.g. @en=english)")
    t.add_argument("--unknown", choices=("drop", "error"), default="drop",
                   help="dictionary pairs with words not in the corpus: drop (default) or fail")
    t.add_argument("--tau", type=float, default=1.0, help="τ of the dictionary term (default 1)")
    t.set_defaults(func=cmd_train)
    o = s.add_parser("topics", parents=[common], help="topics' top words per language side by side")
    o.add_argument("run")
    o.add_argument("--top", type=int, default=10)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_topics)
    f = s.add_parser("find", parents=[common], help="documents of another language nearest by topics")
    f.add_argument("run")
    g = f.add_mutually_exclusive_group(required=True)
    g.add_argument("--doc", help="document id (its --from part is the query)")
    g.add_argument("--text", help="new text in the --from language")
    f.add_argument("--from", dest="source", default="@en")
    f.add_argument("--to", dest="target", default="@ru")
    f.add_argument("--top", type=int, default=10)
    f.set_defaults(func=cmd_find)
    m = s.add_parser("measure", parents=[common], help="translation hits and cross-language retrieval (JSON)")
    m.add_argument("run")
    m.add_argument("--dictionary", default=None, help="judge with this dictionary (default: the run's)")
    m.set_defaults(func=cmd_measure)
