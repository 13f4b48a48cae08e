"""The repository, Binder and Colab buttons appear once the book has a public repository.

``repository.url`` in ``_config.yml`` is the one setting: while it is empty, no page links to a
repository that does not exist; once it names one, the repository button and the launch buttons
(Binder, Colab) appear on every chapter. Jupyter Book refuses ``use_repository_button: true``
without a URL, so ``_config.yml`` leaves that switch off and this extension turns it on.

The download menu's ".pdf" entry prints the page in the browser; the book's print stylesheet
(``_static/custom.css``) wraps code so that nothing is cut off on paper.
"""

from __future__ import annotations

from typing import Any


def _buttons_follow_repository(app: Any, config: Any) -> None:
    options = config.html_theme_options
    url = (options.get("repository_url") or "").strip()
    options["use_repository_button"] = bool(url)
    if not url:
        options.pop("launch_buttons", None)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _buttons_follow_repository)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
