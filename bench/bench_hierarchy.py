"""Does a two-level hierarchy recover the 20 Newsgroups grouping? Engine hARTM vs a flat model
clustered afterwards vs BigARTM's hARTM, same corpus and settings (issue 12).

Measure ("grouping agreement"): every child topic s gets its dominant newsgroup
argmax_g Σ_{d in g} n_d θ_sd and that newsgroup's top-level group (comp, rec, sci, talk
[politics], religion [alt.atheism, soc.religion.christian, talk.religion.misc], misc
[forsale]). Children are assigned to their strongest parent (hARTM: argmax_t ψ_st; flat: the
cluster of an average-linkage clustering of the 20 topics on JS distance into as many clusters
as parents). For every parent, the share of its children in the parent's majority group;
reported pooled over parents (Σ_t majority_t / Σ_t children_t) and as the mean over parents,
with the expectation under random child → parent assignment (same cluster sizes) for scale.

    PYTHONPATH=$PWD python bench/bench_hierarchy.py --systems engine,flat --seeds 1 2 3
    PYTHONPATH=$PWD python bench/bench_hierarchy.py --systems engine,jobs --seeds 1 2 3   # levels as jobs
    PYTHONPATH=$PWD /work/main/bench/.venv/bin/python bench/bench_hierarchy.py --systems bigartm --seeds 1 2 3

The corpus is the workspace corpus ``20ng`` (import command in bench/README.md); BigARTM reads
the same n_dw written as a Vowpal Wabbit file, so both systems see identical counts.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from engine import ModelConfig, Trainer, Workspace  # noqa: E402
from engine.analysis.views import js_distance_matrix, topic_distributions  # noqa: E402
from engine.families.hierarchy import HierarchyOptions, level_configs, parent_of, plan_build, train_levels  # noqa: E402


def group_of(newsgroup: str) -> str:
    if newsgroup in ("alt.atheism", "soc.religion.christian", "talk.religion.misc"):
        return "religion"
    return newsgroup.split(".")[0]


def dominant_groups(theta: np.ndarray, labels: np.ndarray, n_d: np.ndarray) -> list[str]:
    """Top-level group of every topic's dominant newsgroup; theta (S, D)."""
    names = sorted(set(labels))
    idx = np.array([names.index(x) for x in labels])
    mass = np.zeros((theta.shape[0], len(names)))
    for g in range(len(names)):
        mass[:, g] = (theta[:, idx == g] * n_d[idx == g]).sum(axis=1)
    return [group_of(names[i]) for i in mass.argmax(axis=1)]


def agreement(parents: np.ndarray, groups: list[str], rng_seed: int = 0) -> dict:
    """Pooled and mean share of children in their parent's majority group, plus the random
    baseline (children shuffled among parents, same parent sizes, 2000 draws)."""
    def score(par):
        tot = hit = 0
        per = []
        for t in sorted(set(par[par >= 0])):
            g = [groups[s] for s in np.flatnonzero(par == t)]
            top = max(g.count(x) for x in set(g))
            hit += top
            tot += len(g)
            per.append(top / len(g))
        return hit / tot, float(np.mean(per))
    pooled, mean = score(parents)
    rng = np.random.default_rng(rng_seed)
    rand = [score(rng.permutation(parents))[0] for _ in range(2000)]
    return {"pooled": pooled, "mean_over_parents": mean, "random_pooled": float(np.mean(rand)),
            "children_per_parent": np.bincount(parents[parents >= 0]).tolist(),
            "groups_covered": len(set(groups))}


def engine_hierarchy(corpus, levels, iterations, inner, seed, tau):
    base = ModelConfig(iterations=iterations, inner_passes=inner, seed=seed, threads=2,
                       scores={"coherence": 0, "topic_distance": 0, "topic_kernel": 0})
    t0 = time.perf_counter()
    h = train_levels(corpus, level_configs(levels, base), HierarchyOptions(tau=tau))
    return h.levels[-1].model.theta, parent_of(h.levels[-1].psi), time.perf_counter() - t0, h.quality[-1]


def jobs_hierarchy(ws, corpus, levels, iterations, inner, seed, tau):
    """The same hierarchy, every level an ordinary run (TrainingJob with checkpoints) in ``ws``."""
    base = ModelConfig(iterations=iterations, inner_passes=inner, seed=seed, threads=2,
                       scores={"coherence": 0, "topic_distance": 0, "topic_kernel": 0})
    t0 = time.perf_counter()
    h = plan_build(ws, corpus, level_configs(levels, base), HierarchyOptions(tau=tau)).run(corpus)
    return h.levels[-1].model.theta, parent_of(h.levels[-1].psi), time.perf_counter() - t0, h.quality[-1]


def flat_clustered(corpus, levels, iterations, inner, seed):
    cfg = ModelConfig(n_topics=levels[-1], iterations=iterations, inner_passes=inner, seed=seed + 1,
                      threads=2)
    t0 = time.perf_counter()
    tr = Trainer(corpus, cfg)
    tr.fit()
    m = tr.model
    tr.close()
    d = js_distance_matrix(topic_distributions(m.phi))
    clusters = fcluster(linkage(squareform(d, checks=False), method="average"), t=levels[0],
                        criterion="maxclust") - 1
    return m.theta, clusters.astype(np.int64), time.perf_counter() - t0


def write_vw(corpus, path: Path) -> None:
    toks = corpus.vocab["token"].to_numpy()
    m = corpus.n_dw
    with open(path, "w") as fh:
        for d in range(corpus.n_docs):
            a, b = m.indptr[d], m.indptr[d + 1]
            body = " ".join(f"{toks[w]}:{int(c)}" for w, c in zip(m.indices[a:b], m.data[a:b]))
            fh.write(f"doc{d} |@default_class {body}\n")


def bigartm_hierarchy(corpus, levels, iterations, inner, seed, tau, work: Path):
    import artm  # only in the bench venv
    from artm.wrapper import LibArtm
    from artm.wrapper import messages_pb2 as messages

    logs = HERE / "data" / "logs"  # glog files there, not in the current directory
    logs.mkdir(parents=True, exist_ok=True)
    LibArtm(logging_config=messages.ConfigureLoggingArgs(log_dir=str(logs), minloglevel=2))
    vw = work / "corpus.vw"
    if not vw.exists():
        write_vw(corpus, vw)
    bv = artm.BatchVectorizer(data_path=str(vw), data_format="vowpal_wabbit",
                              target_folder=str(work / f"batches"), batch_size=1000)
    dictionary = artm.Dictionary()
    dictionary.gather(data_path=str(work / "batches"))
    t0 = time.perf_counter()
    h = artm.hARTM(num_document_passes=inner, dictionary=dictionary, cache_theta=True, seed=seed,
                   num_processors=2, tmp_files_path=str(work))
    lv0 = h.add_level(num_topics=levels[0])
    lv0.initialize(dictionary=dictionary)
    lv0.fit_offline(bv, num_collection_passes=iterations)
    lv1 = h.add_level(num_topics=levels[1], parent_level_weight=tau)
    lv1.initialize(dictionary=dictionary)
    lv1.fit_offline(bv, num_collection_passes=iterations)
    seconds = time.perf_counter() - t0
    psi = lv1.get_psi().to_numpy()  # (S, T)
    theta_df = lv1.get_theta()
    order = np.argsort([int(str(c).replace("doc", "")) if str(c).startswith("doc") else int(c)
                        for c in theta_df.columns])
    theta = theta_df.to_numpy()[:, order]
    if theta.shape[1] != corpus.n_docs:  # ids are item ids (0-based order of the VW file)
        raise RuntimeError(f"BigARTM Θ has {theta.shape[1]} documents, expected {corpus.n_docs}")
    return theta, parent_of(psi), seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default=str(HERE / "data" / "ws"))
    ap.add_argument("--corpus", default="20ng")
    ap.add_argument("--levels", default="6,20")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--inner", type=int, default=5, help="θ updates per document per pass")
    ap.add_argument("--tau", type=float, default=1.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--systems", default="engine,flat")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    corpus = Workspace(args.workspace).load_corpus(args.corpus)
    labels = corpus.documents["label"].astype(str).to_numpy()
    n_d = np.asarray(corpus.n_dw.sum(axis=1)).ravel()
    work = Path(tempfile.mkdtemp(prefix="bench-hier-", dir=HERE / "data"))
    for system in args.systems.split(","):
        for seed in args.seeds:
            extra = {}
            if system == "engine":
                theta, parents, sec, extra = engine_hierarchy(corpus, levels, args.iterations, args.inner, seed, args.tau)
            elif system == "jobs":
                theta, parents, sec, extra = jobs_hierarchy(Workspace(args.workspace), corpus, levels,
                                                            args.iterations, args.inner, seed, args.tau)
            elif system == "flat":
                theta, parents, sec = flat_clustered(corpus, levels, args.iterations, args.inner, seed)
            elif system == "bigartm":
                theta, parents, sec = bigartm_hierarchy(corpus, levels, args.iterations, args.inner, seed,
                                                        args.tau, work)
            else:
                raise SystemExit(f"unknown system {system}")
            res = agreement(parents, dominant_groups(np.asarray(theta), labels, n_d))
            print(json.dumps({"system": system, "seed": seed, "seconds": round(sec, 1), **res,
                              **({"quality": extra} if extra else {})}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
