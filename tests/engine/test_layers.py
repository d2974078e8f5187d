"""Imports in engine/ point only down the layers (engine/README.md): parse every module with ast
and check each ``engine.*`` import against the layer order."""
from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"

#: bottom to top; a module may import its own layer and the layers below it
LAYERS = ["errors", "options", "corpus", "em", "analysis", "store", "jobs", "families", "interop", "cli"]

#: the documented exceptions (module -> layers it may import although they sit above it)
EXCEPTIONS = {
    "engine.corpus.ingest": {"store"},  # imports a corpus *into a workspace* (Workspace.save_corpus)
    "engine.corpus.sample": {"store"},  # imports the bundled sample *into a workspace*, like ingest
    "engine.em.phi_table": {"interop"},
    "engine.em.regularizers.base": {"interop"},  # BigARTM's regularizer names (interop.names: no engine imports)
    "engine.em.regularizers.syntax": {"interop"},  # reads BigARTM's get_phi() layout (interop.phi_table: pandas only)
    "engine.corpus.batches": {"store"},  # reads a batched corpus's folder in a workspace (manifest, tables)
    "engine.corpus.batch_writer": {"store"},  # writes a batched corpus into a workspace folder (atomic_dir)
    "engine.corpus.stream": {"store"},  # streams a file into a workspace as a batched corpus
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ENGINE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path):
    """(imported module, line, inside a function) for every absolute engine import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module] + [f"{child.module}.{a.name}" for a in child.names]
                out.append((names, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                out.append(([a.name for a in child.names], child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "engine":
        return None
    return parts[1] if len(parts) > 1 else "(facade)"


def _targets(names: list[str]) -> set[str]:
    """Layers named by one import statement (``from engine import x`` names the facade unless
    ``x`` is a subpackage)."""
    out = set()
    base = names[0]
    if base == "engine":
        subs = [n.split(".")[1] for n in names[1:]]
        out |= {s if s in LAYERS else "(facade)" for s in subs} or {"(facade)"}
    elif base.startswith("engine."):
        out.add(_layer(base))
    return out


def _violations():
    bad = []
    for path in sorted(ENGINE.rglob("*.py")):
        mod = _module(path)
        src = _layer(mod)
        if src in ("(facade)", "__main__"):
            continue  # the facade and ``python -m engine`` sit on top
        assert src in LAYERS, f"{path}: package {src!r} is in no layer (add it to LAYERS)"
        for names, line, _ in _imports(path):
            for dst in _targets(names):
                if dst == src:
                    continue
                if dst == "(facade)" and mod == "engine.store.workspace":
                    continue  # engine.__version__, read inside engine_version()
                if dst == "(facade)":
                    bad.append(f"{path.relative_to(ENGINE.parent)}:{line} imports the facade `engine`")
                    continue
                if LAYERS.index(dst) > LAYERS.index(src) and dst not in EXCEPTIONS.get(mod, ()):
                    bad.append(f"{path.relative_to(ENGINE.parent)}:{line} ({src}) imports engine.{dst} above it")
    return bad


def test_imports_point_down_the_layers():
    assert _violations() == []


def test_specific_rules():
    """The rules engine/README.md spells out, checked by name."""
    for path in sorted(ENGINE.rglob("*.py")):
        mod = _module(path)
        layer = _layer(mod)
        targets = set().union(*[_targets(n) for n, _, _ in _imports(path)] or [set()])
        if layer == "em":
            assert not targets & {"store", "jobs", "analysis", "families", "cli"}, mod
        if layer == "jobs":
            assert "families" not in targets, f"{mod}: jobs never import a family"
        if layer not in ("cli", "(facade)", "__main__"):
            assert "cli" not in targets, f"{mod}: only engine.__main__ imports the CLI"


def test_the_checker_sees_a_violation(tmp_path):
    """The checker itself works: an upward import in a parsed module is reported."""
    fake = tmp_path / "m.py"
    fake.write_text("from engine.jobs import TrainingJob\n\ndef f():\n    from engine.cli import main\n")
    got = _imports(fake)
    assert [(n[0], line, inner) for n, line, inner in got] == [("engine.jobs", 1, False), ("engine.cli", 4, True)]
    assert _targets(["engine", "engine.warmup"]) == {"(facade)"}
    assert _targets(["engine", "engine.store"]) == {"store"}


def _function_level_imports(root: Path) -> list[tuple[Path, int, str]]:
    """(file, line, source line) of every import statement inside a function below ``root``."""
    out = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").split("\n")

        def visit(node, in_function):
            for child in ast.iter_child_nodes(node):
                inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                    out.append((path, child.lineno, lines[child.lineno - 1]))
                visit(child, inner)

        visit(ast.parse("\n".join(lines)), False)
    return out


def test_function_level_imports_are_few_and_give_their_reason():
    """Imports sit at the top of a module; the few inside functions (an optional or slow
    dependency, an import cycle) say why on the same line."""
    found = _function_level_imports(ENGINE)
    missing = [f"{p.relative_to(ENGINE.parent)}:{n}: {src.strip()}" for p, n, src in found if "#" not in src]
    assert missing == [], "function-level imports without a reason comment"
    # today 15: 10 optional/lazy dependencies (pymorphy3, Stemmer, lingua, jieba, pyLDAvis, gensim x2,
    # distributed, fsspec, the Dask E-step), 2 cycles with the facade/recovery, the app's figures in
    # the sweep CLI, 2 in `artm-studio sample`
    assert len(found) <= 15, [f"{p.name}:{n}" for p, n, _ in found]


def test_function_level_imports_in_the_app_are_few_and_give_their_reason():
    """The same rule for app/: imports at the top of a module, the rare exception says why."""
    app = ENGINE.parent / "app"
    found = _function_level_imports(app)
    missing = [f"{p.relative_to(app.parent)}:{n}: {src.strip()}" for p, n, src in found if "#" not in src]
    assert missing == [], "function-level imports without a reason comment"
    # today 1: the home page loads the engine only when asked to train (first paint stays light)
    assert len(found) <= 3, [f"{p.name}:{n}" for p, n, _ in found]


def test_the_import_counter_sees_function_level_imports(tmp_path):
    (tmp_path / "m.py").write_text("import os\n\ndef f():\n    import json  # reason\n    return json\n")
    assert [(n, src.strip()) for _, n, src in _function_level_imports(tmp_path)] == [(4, "import json  # reason")]
