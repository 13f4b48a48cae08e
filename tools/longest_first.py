"""pytest plugin for the nbmake stage: execute the slowest chapters first.

pytest-xdist gives each of its two workers the next notebook while the current one runs. In
file order a long chapter near the end keeps one worker busy while the other has nothing left,
so the stage lasts up to a chapter longer than it needs. Longest first (Graham's LPT rule)
leaves only short chapters for the end. ``SECONDS`` holds each chapter's time under ``make
test`` on the 2-core machine (one thread per notebook); a notebook missing from it runs first.
Only the order changes: every chapter still runs, and it runs the same way.

Usage: ``python -m pytest -p tools.longest_first --nbmake ...`` from the repository root.
"""

from __future__ import annotations

from pathlib import Path

SECONDS = {
    "01_why_dropout_matters": 36,
    "02_dropout_techniques": 53,
    "03_rates_and_batch_sizes": 78,
    "04_regularization_and_overfitting": 86,
    "05_implementing_dropout": 37,
    "06_tensorflow": 55,
    "07_pytorch": 43,
    "08_keras": 48,
    "09_transformers": 70,
}


def expected_seconds(path: str | Path) -> float:
    """The recorded time of the chapter at ``path``; infinity for one not recorded."""
    return SECONDS.get(Path(path).stem, float("inf"))


def pytest_collection_modifyitems(items: list) -> None:
    items.sort(key=lambda item: -expected_seconds(item.path))
