"""``artm-studio time add`` / ``place add``: a @time modality from the date column (for
TimeSmoothing) or a @place modality from a metadata column (for GeoSmoothing)."""
from __future__ import annotations

import json

from engine.cli.common import workspace_of
from engine.families.timegeo.place_modality import add_place_modality
from engine.families.timegeo.time_modality import BINS, add_time_modality


def _store(args, derived, info, suffix: str, reg: str) -> int:
    """Save the derived corpus (only after it was built in full) and print what to run next."""
    name = args.name or f"{args.corpus}-{suffix}"
    workspace_of(args).save_corpus(derived, name, replace=args.replace)
    print(json.dumps({"corpus": name, **info, "next": f"artm-studio train --corpus {name} --reg '{reg}'"},
                     ensure_ascii=False, indent=2))
    return 0


def cmd_time(args) -> int:
    timed, info = add_time_modality(workspace_of(args).load_corpus(args.corpus), args.bin, args.modality)
    return _store(args, timed, info, "time", f"TimeSmoothing(tau=1, modality={args.modality})")


def cmd_place(args) -> int:
    placed, info = add_place_modality(workspace_of(args).load_corpus(args.corpus), args.column, args.modality)
    return _store(args, placed, info, "place",
                  f"GeoSmoothing(tau=0.001, modality={args.modality}, similarity=PAIRS.csv)")


def _group(sub, common, name: str, help_: str, add_help: str, suffix: str):
    g = sub.add_parser(name, help=help_).add_subparsers(dest="action", metavar="ACTION")
    g.required = True
    a = g.add_parser("add", parents=[common], help=add_help)
    a.add_argument("corpus")
    a.add_argument("--name", help=f"name of the new corpus (default CORPUS-{suffix})")
    a.add_argument("--replace", action="store_true", help="overwrite a corpus of that name")
    return a


def register(sub, common) -> None:
    a = _group(sub, common, "time", "time as a modality: @time tokens from the date column",
               "store a copy of a dated corpus with a @time modality", "time")
    a.add_argument("--bin", default="auto", choices=("auto",) + BINS,
                   help="time bin (auto: the finest of day/month/year with ≤ 180 bins in the date range)")
    a.add_argument("--modality", default="@time")
    a.set_defaults(func=cmd_time)
    p = _group(sub, common, "place", "place as a modality: @place tokens from a metadata column (for GeoSmoothing)",
               "store a copy of a corpus with a @place modality from COLUMN", "place")
    p.add_argument("--column", required=True, help="metadata column holding each document's place")
    p.add_argument("--modality", default="@place")
    p.set_defaults(func=cmd_place)
