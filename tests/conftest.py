"""Shared pytest configuration of the book's tests.

The rendered-site test (tests/test_site.py, marker ``site``) drives a headless Chromium over the
built HTML book. It is not a unit test: the unit stage (``pytest tests -n 2``) deselects it, and it
runs with ``SITE_TEST=1`` (``make site``) or when selected explicitly with ``-m site``.
"""

import os


def site_test_enabled() -> bool:
    return os.environ.get("SITE_TEST", "").strip().lower() in {"1", "true", "yes"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "site: rendered-site test of the built book (_build/html) in headless Chromium; "
        "deselected unless SITE_TEST=1 (make site) or -m site",
    )


def pytest_report_header(config):
    if not site_test_enabled():
        return "site tests (tests/test_site.py) deselected: run them with SITE_TEST=1 (make site)"
    return None


def pytest_collection_modifyitems(config, items):
    if site_test_enabled() or "site" in (config.getoption("markexpr", "") or ""):
        return
    keep, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("site") else keep).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep
