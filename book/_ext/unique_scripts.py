"""Load every script of a page once.

In this book's build, sphinx-thebe's inline configuration (``const THEBE_JS_URL = ...``) ends up
twice in every page, and the second copy makes the browser report "Identifier 'THEBE_JS_URL' has
already been declared". This extension drops exact duplicates from a page's scripts (Sphinx's
script objects compare by file, priority and attributes, the inline body included), keeping
their order.
"""

from __future__ import annotations

from typing import Any


def _unique_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = list(dict.fromkeys(scripts))


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
