"""Load every script of a page once.

sphinx-thebe (which Jupyter Book always loads; the book has thebe off) and
sphinx-togglebutton add their inline scripts twice, once with the file name ``None`` and once
with ``""``, so Sphinx does not see them as the same script, and the second
``const THEBE_JS_URL = ...`` makes the browser report "Identifier 'THEBE_JS_URL' has already
been declared" on every page. This extension drops the later copy of any script with the same
file, priority and attributes (an inline script's body is one of its attributes), keeping the
order of the rest.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {})
    return (
        getattr(script, "filename", script) or "",
        getattr(script, "priority", 500),
        *sorted(attributes.items()),
    )


def _unique_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    scripts = context.get("script_files")
    if scripts:
        unique: dict[tuple, Any] = {}
        for script in scripts:
            unique.setdefault(_key(script), script)
        context["script_files"] = list(unique.values())


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
