"""ARTM Studio engine: corpora, regularized EM, jobs and storage. No UI imports here.

This module is the facade the app and scripts use; see ``__all__``. A minimal session::

    import engine
    ws = engine.Workspace()                         # ~/.artm-studio or $ARTM_STUDIO_HOME
    name = engine.ensure_sample_corpus(ws)          # the bundled UK Commons speeches
    corpus = ws.load_corpus(name)
    config = engine.preset("interpretable", n_topics=15, n_background=1, iterations=30)
    trainer = engine.Trainer(corpus, config)
    for _ in range(config.iterations):
        report = trainer.step()
    print(engine.top_tokens(trainer.model, corpus, n=8))
"""
__version__ = "0.1.0"

from engine.corpus.corpus import DEFAULT_MODALITY, Corpus, TokenSequences
from engine.errors import ConfigError, EngineError, InputError, WorkspaceError
from engine.store.workspace import Workspace, validate_name
from engine.store.budget import estimate_training_memory, training_memory
from engine.corpus.ingest import (
    ImportOptions, SourcePreview, build_corpus, import_corpus, preview_source, preview_vocabulary,
    vectorize_texts,
)
from engine.corpus.sample import SAMPLE_CORPUS_NAME, ensure_sample_corpus, sample_corpus_path
from engine.em.schedule import Constant, Exponential, Linear, Piecewise, Step, trajectory_from_dict
from engine.em.regularizers import (
    REGULARIZERS, parse_regularizer, regularizer_from_dict, regularizer_schema,
)
from engine.em.config import PRESETS, ModelConfig, preset
from engine.em.model import IterationReport, ScoreContext, TopicModel
from engine.em.family import EStep, Family, family_names, family_of, register_family
from engine.em.trainer import Trainer
from engine.em.health import size_warnings
from engine.em.inference import holdout_perplexity, infer_theta, one_pass_theta, token_topics
from engine.em.warmup import warmup
from engine.em.scores import (
    SCORE_NAMES, SCORES, ScoreSet, default_scores, score_from_dict, score_set_for,
)
from engine.store.runs import (
    STATUSES, Run, delete_run, export_run, list_runs, load_run, new_run, read_run_manifest,
    rename_run, resolve_run_id, save_run, set_topic_labels,
)
from engine.analysis.tables import (
    doc_topics, score_history, search_documents, token_topic_table, top_documents, top_tokens,
    topic_summary, transform,
)
from engine.jobs import (
    JobPermissionError, JobRegistry, JobStatus, Snapshot, TrainingJob, default_registry,
    run_job_blocking,
)
from engine import analysis
from engine.analysis import html_report
# the families register themselves (engine.em.family) when imported here
from engine.families.context import ContextOptions, SequenceSmoothing, context_config, segment
from engine.families.seeds import family as _seeds_family  # noqa: F401 - registers "seeds"
from engine.families.regression import family as _regression_family  # noqa: F401 - registers "regression"
from engine.families.author import family as _author_family  # noqa: F401 - registers "author"
from engine.families.links import family as _links_family  # noqa: F401 - registers "links"
from engine.families.hypergraph import family as _hypergraph_family  # noqa: F401 - registers "hypergraph"
from engine.families.multilingual import family as _multilingual_family  # noqa: F401 - registers "multilingual"
from engine.families.timegeo import geo as _geo  # noqa: F401 - registers the GeoSmoothing regularizer
from engine.families.biterm import regularizer as _biterm  # noqa: F401 - registers the Biterm regularizer
from engine.families.batched import family as _batched_family  # noqa: F401 - registers "batched"
from engine.families.batched.family import batched_config
from engine.corpus.batches import is_batched, open_corpus
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.families.seeds.workflow import seed_config, seeds_report
from engine.families import hierarchy
# the other family packages, for callers that use a family's own API (the app: engine.author.fit_of, …)
from engine.families import author, biterm, hypergraph, links, multilingual, regression, seeds, starts, timegeo
from engine.analysis import stability, sweep
from engine.families.starts import run_stability, sibling_runs
from engine.families import context  # the context family's functions (token_topics, boundary_scores, load_options)
from engine.store import csvsafe, sweeps, uploads  # CSV cells made formula-safe; saved sweeps; per-session upload folders

__all__ = [
    "__version__", "DEFAULT_MODALITY", "Corpus", "TokenSequences", "Workspace", "validate_name",
    "estimate_training_memory", "training_memory",
    "EngineError", "InputError", "ConfigError", "WorkspaceError",
    # corpora
    "ImportOptions", "SourcePreview", "build_corpus", "import_corpus", "preview_source",
    "preview_vocabulary", "vectorize_texts", "sample_corpus_path", "ensure_sample_corpus",
    "SAMPLE_CORPUS_NAME",
    # model configuration
    "Constant", "Linear", "Exponential", "Step", "Piecewise", "trajectory_from_dict",
    "REGULARIZERS", "parse_regularizer", "regularizer_from_dict", "regularizer_schema",
    "ModelConfig", "preset", "PRESETS",
    # training and inference
    "TopicModel", "IterationReport", "ScoreContext", "Trainer", "warmup", "infer_theta",
    "one_pass_theta", "token_topics", "holdout_perplexity", "SCORES", "SCORE_NAMES", "ScoreSet",
    "default_scores", "score_from_dict", "score_set_for", "size_warnings",
    # model families
    "Family", "EStep", "register_family", "family_of", "family_names",
    # runs
    "Run", "new_run", "save_run", "load_run", "list_runs", "read_run_manifest", "rename_run",
    "delete_run", "set_topic_labels", "export_run", "resolve_run_id", "STATUSES",
    # inspection
    "top_tokens", "top_documents", "doc_topics", "token_topic_table", "transform",
    "search_documents", "topic_summary", "score_history", "analysis", "html_report",
    # background training
    "TrainingJob", "JobRegistry", "default_registry", "Snapshot", "JobStatus",
    "JobPermissionError", "run_job_blocking",
    # topics inside the text
    "ContextOptions", "SequenceSmoothing", "segment", "context_config",
    # corpora stored as batches (out of core, online EM, Dask workers)
    "open_corpus", "is_batched", "batched_config",
    # seed-word search
    "Lexicon", "check_lexicon", "seed_config", "seeds_report",
    # topic hierarchies and "how many topics?"
    "hierarchy", "author", "biterm", "hypergraph", "links", "multilingual", "regression", "seeds", "starts",
    "timegeo", "stability", "sweep", "run_stability", "sibling_runs",
    # modules the app uses as a whole
    "context", "csvsafe", "sweeps", "uploads",
]
