"""The docstring examples of the companion, run as doctests.

Every module of the ``companion`` package is found with ``pkgutil.walk_packages``, so a new module
is covered without touching this file. Each module's examples run with doctest's own finder and
runner (what ``doctest.testmod`` uses), with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``, in a copy
of the module's namespace; a failing example fails the test with doctest's report. A module that
needs PyTorch or Keras is skipped (``pytest.importorskip``) where the framework is missing: one
that imports the framework anywhere, even inside a function, or imports a companion module that
does, or whose examples import it.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import os
import pkgutil
import random
import sys
from pathlib import Path

import numpy as np
import pytest

import companion

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: NumPy's default print options, which the expected outputs are written in.
NUMPY_PRINTOPTIONS = dict(
    precision=8,
    threshold=1000,
    edgeitems=3,
    linewidth=75,
    suppress=False,
    floatmode="maxprec",
    sign="-",
    legacy=False,
)
FRAMEWORKS = ("torch", "keras", "tensorflow", "jax")
PACKAGE = Path(companion.__file__).resolve().parent


def companion_modules() -> list[str]:
    """``companion`` and every module and subpackage under it, sorted (the same list on every xdist worker)."""
    infos = pkgutil.walk_packages(companion.__path__, prefix="companion.")
    return sorted(["companion"] + [info.name for info in infos])


def source_path(name: str) -> Path | None:
    """The file of companion module ``name``, found without importing it (None if there is none)."""
    base = PACKAGE.joinpath(*name.split(".")[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def imported_names(source: str, package: str) -> set[str]:
    """Absolute names of every module that ``source`` imports, at any depth (relative ones resolved in ``package``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            names.add(base)
            # `from . import module`
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def frameworks_needed(name: str, seen: set[str] | None = None) -> set[str]:
    """The frameworks that ``name``, the companion modules it imports and their parent packages import."""
    seen = set() if seen is None else seen
    if name in seen:
        return set()
    seen.add(name)
    path = source_path(name)
    # `from .module import function`: `module.function` is not a module
    if path is None:
        return set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    needed: set[str] = set()
    parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    for imported in imported_names(path.read_text(encoding="utf-8"), package) | parents:
        top = imported.split(".")[0]
        if top in FRAMEWORKS:
            needed.add(top)
        elif top == "companion":
            needed |= frameworks_needed(imported, seen)
    return needed


def example_frameworks(tests: list[doctest.DocTest]) -> set[str]:
    """The frameworks that the examples themselves import (``>>> import torch``)."""
    needed = set()
    for test in tests:
        for example in test.examples:
            try:
                names = imported_names(example.source, "companion")
            except SyntaxError:  # the run reports it
                continue
            needed |= {n.split(".")[0] for n in names if n.split(".")[0] in FRAMEWORKS}
    return needed


def skip_without(frameworks: set[str]) -> None:
    for framework in sorted(frameworks):
        pytest.importorskip(framework, exc_type=ImportError)


def global_state() -> tuple:
    """What examples may change as a side effect (``seed_everything``): environment and global RNGs."""
    torch = sys.modules.get("torch")
    return (
        dict(os.environ),
        random.getstate(),
        np.random.get_state(),
        torch.random.get_rng_state() if torch is not None else None,
    )


def restore(state: tuple) -> None:
    environ, python_state, numpy_state, torch_state = state
    for key in set(os.environ) - set(environ):
        del os.environ[key]
    for key, value in environ.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    if torch_state is not None:
        sys.modules["torch"].random.set_rng_state(torch_state)


def run_doctests(module) -> tuple[doctest.TestResults, str]:
    """Run every example of ``module``; return doctest's counts and its report of the failures."""
    tests = sorted(
        doctest.DocTestFinder().find(module, module.__name__), key=lambda t: t.name
    )
    skip_without(example_frameworks(tests))
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    report: list[str] = []
    state = global_state()
    try:
        with np.printoptions(**NUMPY_PRINTOPTIONS):
            for test in tests:
                runner.run(test, out=report.append)
    finally:
        restore(state)
    return doctest.TestResults(runner.failures, runner.tries), "".join(report)


@pytest.mark.parametrize("name", companion_modules())
def test_docstring_examples(name):
    skip_without(frameworks_needed(name))
    module = importlib.import_module(name)
    results, report = run_doctests(module)
    assert results.failed == 0, (
        f"{results.failed} of the {results.attempted} docstring examples of {name} failed:\n{report}"
    )


def test_every_module_is_found():
    names = companion_modules()
    assert {
        "companion.validation",
        "companion.reference.functional",
        "companion.torch.dropout",
        "companion.keras.dropout",
    } <= set(names)


def test_frameworks_are_found_through_companion_imports():
    assert frameworks_needed("companion.reference.functional") == set()
    assert frameworks_needed("companion.torch.dropout") == {"torch"}
    assert frameworks_needed("companion.keras.dropout") == {"keras"}
    # torch, and companion.torch.training
    assert "torch" in frameworks_needed("companion.experiments.cnn")


def test_a_wrong_example_fails():
    """The runner reports a wrong expected output as a failure (so a broken example cannot pass)."""
    import types

    module = types.ModuleType("companion_doctest_probe")
    module.__doc__ = ">>> 1 + 1\n3\n>>> print('a   b')\na b\n"
    results, report = run_doctests(module)
    assert results == (1, 2)
    assert "Expected:\n    3\nGot:\n    2" in report
