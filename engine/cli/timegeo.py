"""``artm-studio time add``: a @time modality from the date column (for TimeSmoothing)."""
from __future__ import annotations

import json

from engine.cli.common import workspace_of
from engine.families.timegeo.time_modality import BINS, add_time_modality


def cmd_add(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    timed, info = add_time_modality(corpus, args.bin, args.modality)
    name = args.name or f"{args.corpus}-time"
    ws.save_corpus(timed, name, replace=args.replace)
    print(json.dumps({"corpus": name, **info, "next": f"artm-studio train --corpus {name} "
                      f"--reg 'TimeSmoothing(tau=1, modality={args.modality})'"}, ensure_ascii=False, indent=2))
    return 0


def register(sub, common) -> None:
    g = sub.add_parser("time", help="time as a modality: @time tokens from the date column").add_subparsers(
        dest="action", metavar="ACTION")
    g.required = True
    a = g.add_parser("add", parents=[common], help="store a copy of a dated corpus with a @time modality")
    a.add_argument("corpus")
    a.add_argument("--bin", default="auto", choices=("auto",) + BINS,
                   help="time bin (auto: the finest of day/month/year with ≤ 180 bins in the date range)")
    a.add_argument("--modality", default="@time")
    a.add_argument("--name", help="name of the new corpus (default CORPUS-time)")
    a.add_argument("--replace", action="store_true", help="overwrite a corpus of that name")
    a.set_defaults(func=cmd_add)
