"""The companion's layers, enforced: what each part of the package may import.

* ``companion.reference`` (the NumPy reference) imports no deep-learning framework, not even
  inside a function;
* ``import companion`` and loading the offline data import no framework;
* the framework versions (``companion.torch``, ``companion.keras``) and the reference never import
  from ``companion.experiments``, the helpers built on top of them;
* the reference imports nothing from the framework versions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "companion"
FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "flax")


def imported_names(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth (relative ones resolved)."""
    module = ".".join(("companion",) + path.relative_to(PACKAGE).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _sources(*subpackages: str) -> list[Path]:
    return sorted(p for sub in subpackages for p in (PACKAGE / sub).glob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


def test_imported_names_resolves_relative_imports():
    names = imported_names(PACKAGE / "reference" / "layers.py")
    assert "companion.validation" in names and "companion.reference.functional" in names


@pytest.mark.parametrize("path", _sources("reference"), ids=lambda p: p.name)
def test_the_reference_imports_no_framework_and_nothing_above_it(path):
    names = imported_names(path)
    assert not {n for n in names if _top(n) in FRAMEWORKS}, (
        f"{path.name} imports a framework"
    )
    above = {
        n
        for n in names
        if n.startswith(("companion.torch", "companion.keras", "companion.experiments"))
    }
    assert not above, f"{path.name} imports {sorted(above)}"


@pytest.mark.parametrize(
    "path", _sources("torch", "keras"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_framework_modules_import_no_experiment_module(path):
    above = {n for n in imported_names(path) if n.startswith("companion.experiments")}
    assert not above, f"{path.parent.name}/{path.name} imports {sorted(above)}"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_top_level_modules_import_no_framework_at_import_time(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {
        a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names
    }
    top_level |= {n.module or "" for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert not {n for n in top_level if _top(n) in FRAMEWORKS}, path.name


def test_import_companion_and_loading_the_offline_data_import_no_framework(
    monkeypatch, tmp_path
):
    code = (
        "import sys, companion, companion.reference, companion.data as d; d.load_mnist(verbose=False); "
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    env_home = {"HOME": str(tmp_path), "DROPOUT_BOOK_MNIST": ""}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **env_home},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
