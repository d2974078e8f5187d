"""The app goes through the engine's facade only (issue 11): ``engine`` and the names in its
``__all__`` — functions, classes and namespaces such as a family package (``engine.author``),
whose own public names are those in its ``__all__``.

Every ``app/**/*.py`` is parsed with ast (not imported). Allowed:

- ``import engine``,
- ``from engine import a, b [as x]`` with each name in ``engine.__all__``.

And an attribute read through such a name (``engine.x``, ``S.seed_config`` after
``from engine import seeds as S``, ``engine.sweep.y``) must be public: in the module's
``__all__`` when it declares one, else a name without a leading underscore.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import engine

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
FAMILIES = sorted(p.parent.name for p in (ROOT / "engine" / "families").glob("*/__init__.py"))


def _public(module: ModuleType, name: str) -> bool:
    names = getattr(module, "__all__", None)
    if names is not None:
        return name in names
    return not name.startswith("_")


def _violations(path: Path, root: Path = ROOT) -> list[str]:
    """What in one app module reaches past the public API (file:line: reason)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = lambda node: f"{path.relative_to(root)}:{node.lineno}"  # noqa: E731
    bad: list[str] = []
    bound: dict[str, ModuleType] = {}  # local name -> engine module it stands for

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "engine":
                    bound[a.asname or "engine"] = engine
                elif a.name.split(".")[0] == "engine":
                    bad.append(f"{where(node)}: import {a.name} (an engine submodule)")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "engine":
            mod = node.module
            for a in node.names:
                local = a.asname or a.name
                if mod == "engine":
                    if a.name not in engine.__all__:
                        bad.append(f"{where(node)}: from engine import {a.name} (not in engine.__all__)")
                    elif isinstance(getattr(engine, a.name), ModuleType):
                        bound[local] = getattr(engine, a.name)
                else:
                    bad.append(f"{where(node)}: from {mod} import {a.name} (an engine submodule)")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            module = bound[node.value.id]
            if not _public(module, node.attr):
                bad.append(f"{where(node)}: {node.value.id}.{node.attr} (not public in {module.__name__})")
    for node in ast.walk(tree):
        # engine.<module>.<name>: the second step must be public in that module too
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id in bound:
            inner = getattr(bound[node.value.value.id], node.value.attr, None)
            if isinstance(inner, ModuleType) and not _public(inner, node.attr):
                bad.append(f"{where(node)}: {node.value.value.id}.{node.value.attr}.{node.attr} "
                           f"(not public in {inner.__name__})")
    return bad


def test_the_app_imports_only_the_public_api():
    bad = [v for path in sorted(APP.rglob("*.py")) for v in _violations(path)]
    assert bad == [], "app code reaching into engine submodules:\n" + "\n".join(bad)


def test_every_family_declares_its_public_api():
    """Each family package says what is public (``__all__``), and every declared name exists."""
    for name in FAMILIES:
        package = importlib.import_module(f"engine.families.{name}")
        declared = getattr(package, "__all__", None)
        assert declared, f"engine.families.{name} declares no __all__"
        missing = [n for n in declared if not hasattr(package, n)]
        assert missing == [], f"engine.families.{name}.__all__ names missing attributes: {missing}"
    assert [n for n in engine.__all__ if not hasattr(engine, n)] == []


def test_the_checker_sees_each_kind_of_violation(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "m.py").write_text(
        "import engine\n"
        "import engine.store.runs\n"
        "from engine import Workspace, store\n"
        "from engine.store.budget import estimate_training_memory\n"
        "from engine import seeds as S\n"
        "from engine.families import seeds\n"
        "from engine.families.seeds import Lexicon\n"
        "\n"
        "def f():\n"
        "    from engine.errors import InputError  # a function-level import is checked too\n"
        "    S.SeedSetup, S._regularizer, engine.sweep.run_sweep, engine.sweep.split_corpus\n"
        "    return engine.top_tokens, engine.em, engine.sweep._one\n")
    got = [v.split(": ", 1)[1] for v in _violations(app / "m.py", tmp_path)]
    assert sorted(got) == sorted([
        "import engine.store.runs (an engine submodule)",
        "from engine import store (not in engine.__all__)",
        "from engine.store.budget import estimate_training_memory (an engine submodule)",
        "from engine.families import seeds (an engine submodule)",
        "from engine.families.seeds import Lexicon (an engine submodule)",
        "from engine.errors import InputError (an engine submodule)",
        "S._regularizer (not public in engine.families.seeds)",
        "engine.em (not public in engine)",
        "engine.sweep._one (not public in engine.analysis.sweep)",
    ])
