"""CLI commands ``import``, ``corpora`` and ``inspect-corpus``."""
from __future__ import annotations

import json
import sys

from engine.cli import batches as batches_cli
from engine.cli.common import workspace_of
from engine.corpus.ingest import ImportOptions, import_corpus
from engine.corpus.limits import MiB, ReadLimits, default_limits
from engine.errors import InputError


def _df_bound(value: str):
    """``5`` → 5 documents, ``0.5`` → half of the documents."""
    try:
        if value.strip().isdigit():
            return int(value)
        f = float(value)
    except ValueError:
        raise InputError(f"document frequency {value!r} is neither a count (5) nor a fraction (0.5)") from None
    if f.is_integer() and f > 1:
        return int(f)
    return f


def _modality(value: str) -> tuple[str, str]:
    if "=" not in value:
        raise InputError(f"--modality {value!r}: expected COLUMN=@name, e.g. label=@labels")
    col, name = value.split("=", 1)
    if not col.strip() or not name.strip():
        raise InputError(f"--modality {value!r}: expected COLUMN=@name, e.g. label=@labels")
    return col.strip(), name.strip()


def _limits(args):
    """ReadLimits from --max-input-mb / --max-doc-mb over the defaults (None when neither is given)."""
    if args.max_input_mb is None and args.max_doc_mb is None:
        return None
    for flag, v in (("--max-input-mb", args.max_input_mb), ("--max-doc-mb", args.max_doc_mb)):
        if v is not None and not (0 < v <= 1 << 30):
            raise InputError(f"{flag} must be a positive number of MB, got {v:g}")
    base = default_limits()
    total = int(args.max_input_mb * MiB) if args.max_input_mb is not None else base.max_total_bytes
    doc = int(args.max_doc_mb * MiB) if args.max_doc_mb is not None else min(base.max_doc_bytes, total)
    return ReadLimits(max_total_bytes=total, max_doc_bytes=min(doc, total), max_zip_ratio=base.max_zip_ratio,
                      max_whole_bytes=base.max_whole_bytes if args.max_input_mb is None else 0)


def register(sub, common) -> None:
    p = sub.add_parser("import", parents=[common], help="import a corpus file into the workspace",
                       description="Read a file (txt, .zip/folder of .txt, CSV/TSV, JSON Lines, Parquet, "
                                   "Vowpal Wabbit, UCI bag-of-words), preprocess it and store it as a corpus. "
                                   "Prints one JSON line.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--name", help="corpus name (default: from the file name)")
    p.add_argument("--text-column", metavar="C")
    p.add_argument("--id-column", metavar="C")
    p.add_argument("--date-column", metavar="C", help="column of dates (default: guessed from the name; "
                                                      "'none' = no dates)")
    p.add_argument("--no-dates", action="store_true", help="do not parse any column as dates")
    p.add_argument("--modality", action="append", default=[], metavar="COLUMN=@name",
                   help="make a metadata column a modality (repeatable)")
    p.add_argument("--lang", default="auto", help="en, ru, de, es, nl, ... or auto (default)")
    p.add_argument("--lemmatize", action="store_true", help="Russian lemmatization (pymorphy3)")
    p.add_argument("--stem", action="store_true", help="Snowball stemming (PyStemmer)")
    p.add_argument("--stopwords", default="default", metavar="default|none|FILE",
                   help="stop words: the language's list, none, or a file added to the list")
    p.add_argument("--min-df", metavar="N|F", help="minimum document frequency: count or fraction "
                                                   "(default 2 for 20+ documents)")
    p.add_argument("--max-df", metavar="N|F", help="maximum document frequency: count or fraction")
    p.add_argument("--max-vocab", type=int, metavar="N", help="keep the N most frequent terms")
    p.add_argument("--encoding", metavar="E", help="text encoding (default: UTF-8, or detected cp1251/latin-1)")
    p.add_argument("--one-per-line", action="store_true", help="a .txt file holds one document per line")
    p.add_argument("--keep-numbers", action="store_true")
    p.add_argument("--keep-urls", action="store_true", help="keep URLs and e-mail addresses as tokens")
    p.add_argument("--phrases", action="store_true",
                   help="join frequent collocations (NPMI ≥ 0.5, 10+ times) into one token: new_york")
    p.add_argument("--replace", action="store_true", help="overwrite a corpus of the same name")
    p.add_argument("--max-input-mb", type=float, metavar="MB",
                   help="largest input, uncompressed (default: free memory / 4; inputs read whole, "
                        "e.g. a JSON array or 8-bit text: free memory / 24, at most 1024)")
    p.add_argument("--max-doc-mb", type=float, metavar="MB", help="largest single document (default 32)")
    batches_cli.add_import_flags(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("corpora", parents=[common], help="list stored corpora (JSON)")
    p.set_defaults(func=cmd_corpora)

    p = sub.add_parser("inspect-corpus", parents=[common], help="describe a stored corpus (JSON)")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_inspect)


def cmd_import(args) -> int:
    modalities = dict(_modality(m) for m in args.modality)
    no_dates = args.no_dates or (args.date_column or "").strip().lower() == "none"
    options = ImportOptions(
        text_column=args.text_column, id_column=args.id_column,
        date_column=None if no_dates else args.date_column, dates=not no_dates,
        modalities=modalities, lang=args.lang, lemmatize=args.lemmatize, stem=args.stem,
        stopwords=args.stopwords,
        min_df=_df_bound(args.min_df) if args.min_df is not None else None,
        max_df=_df_bound(args.max_df) if args.max_df is not None else None,
        max_vocab=args.max_vocab, encoding=args.encoding, one_per_line=args.one_per_line,
        keep_numbers=args.keep_numbers, keep_urls=args.keep_urls, phrases=args.phrases,
    )
    if args.batches:
        return batches_cli.run_import(args, options, _limits(args))
    summary = import_corpus(args.path, args.name, options, workspace_of(args), replace=args.replace,
                            limits=_limits(args))
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _describe(manifest: dict) -> dict:
    keys = ("name", "documents", "dropped_empty", "documents_in_source", "tokens", "vocabulary",
            "modalities", "date_range", "metadata_columns", "has_sequences", "source", "columns",
            "preprocessing", "created_at", "fingerprint", "notes")
    return {k: manifest.get(k) for k in keys}


def cmd_corpora(args) -> int:
    out = []
    for m in workspace_of(args).list_corpora():
        out.append({"name": m.get("name"), "documents": m.get("documents"), "tokens": m.get("tokens"),
                    "vocabulary": m.get("vocabulary"), "modalities": list(m.get("modalities") or {}),
                    "date_range": m.get("date_range"), "source": (m.get("source") or {}).get("file"),
                    "created_at": m.get("created_at")})
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_inspect(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.name)  # raises WorkspaceError naming the stored corpora
    info = _describe(corpus.manifest)
    info["name"] = args.name
    d = corpus.documents
    info["columns_in_documents"] = [str(c) for c in d.columns]
    json.dump(info, sys.stdout, ensure_ascii=False, indent=2, default=str)
    print()
    return 0
