"""CLI flags for batched corpora: ``import --batches`` and the batched/online/Dask options of ``train``.

``import`` and ``train`` call :func:`add_import_flags` / :func:`add_train_flags` when they build
their parsers and hand over to :func:`run_import` / :func:`batched_config` when a corpus is (to
be) stored as batches; ``train`` puts a batched corpus's config in family ``batched`` by itself.
"""
from __future__ import annotations

import json

from engine.cli.common import ProgressBar, workspace_of
from engine.corpus.stream import stream_import
from engine.errors import InputError
from engine.families.batched.family import batched_config as batched_config_of

def add_import_flags(p) -> None:
    p.add_argument("--batches", action="store_true",
                   help="stream the input (any format import reads) chunk by chunk into a corpus stored "
                        "as batches on disk: memory bounded by a chunk and the vocabulary")
    p.add_argument("--batch-size", type=int, default=10_000, metavar="N", help="documents per batch (10000)")


def add_train_flags(p) -> None:
    g = p.add_argument_group("batched corpora (chosen automatically for a corpus imported with --batches)")
    g.add_argument("--theta", choices=("disk", "none"), default="disk",
                   help="disk: Θ kept between passes in a memory-mapped file (reuse_theta applies); "
                        "none: θ from uniform every pass (BigARTM's default)")
    g.add_argument("--online", action="store_true", help="online EM: Φ updated every --update-every batches")
    g.add_argument("--update-every", type=int, default=1, metavar="K")
    g.add_argument("--tau0", type=float, default=1024.0, help="online EM: ρ_i = (τ₀ + i)^(−κ)")
    g.add_argument("--kappa", type=float, default=0.7)
    g.add_argument("--dask", default=None, metavar="local[:N]|tcp://HOST:PORT",
                   help="run the E-step on Dask workers: a LocalCluster of N processes, or a running "
                        "scheduler (workers must see the corpus folder at the same path); needs "
                        "pip install artm-studio[distributed]")


def run_import(args, options, limits=None) -> int:
    """``import --batches``: stream the file into a batched corpus; prints one JSON line."""
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be ≥ 1, got {args.batch_size}")
    bar = ProgressBar(1000)  # per mille of the input read (both passes)
    try:
        summary = stream_import(args.path, args.name, options, workspace_of(args), replace=args.replace,
                                progress=lambda frac, msg: bar.update(int(1000 * frac)),
                                batch_docs=args.batch_size, limits=limits)
    finally:
        bar.clear()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def batched_config(args, corpus, config):
    """``config`` in family ``batched`` (out of core, online EM or Dask, from the flags); scores
    that read the whole n_dw or Θ are left out by :func:`engine.em.scores.score_set_for`."""
    if not getattr(corpus, "is_batched", False):
        raise InputError(f"--dask trains a corpus stored as batches; {corpus.name!r} is in memory "
                         "(import it again with --batches)")
    if config.family != "standard":
        raise InputError(f"family {config.family!r} does not train a corpus stored as batches yet; "
                         "import the corpus without --batches")
    if args.dask:
        try:
            import distributed  # noqa: F401, PLC0415 - only to name the missing optional extra
        except ImportError:
            raise InputError("--dask needs Dask: pip install 'artm-studio[distributed]'") from None
    online = {"update_every": args.update_every, "tau0": args.tau0, "kappa": args.kappa} if args.online else None
    if online is not None and args.dask:
        raise InputError("--online and --dask together are not supported yet; drop one")
    return batched_config_of(config, theta=args.theta, online=online,
                             dask=args.dask)
