"""The nbmake stage's ordering plugin (tools/longest_first.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "longest_first", ROOT / "tools" / "longest_first.py"
)
longest_first = importlib.util.module_from_spec(spec)
spec.loader.exec_module(longest_first)


def test_every_chapter_has_a_recorded_time():
    chapters = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(longest_first.SECONDS) == chapters


def test_items_run_longest_first_and_unknown_ones_before_all():
    names = ["01_why_dropout_matters", "04_regularization_and_overfitting", "99_new"]
    items = [SimpleNamespace(path=Path("notebooks") / f"{n}.ipynb") for n in names]
    longest_first.pytest_collection_modifyitems(items)
    assert [Path(i.path).stem for i in items] == [
        "99_new",
        "04_regularization_and_overfitting",
        "01_why_dropout_matters",
    ]
