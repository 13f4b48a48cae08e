"""The repository, Binder and Colab buttons appear once the book has a public repository.

``repository.url`` in ``_config.yml`` is the one setting: while it is empty, no page links to a
repository that does not exist; once it names one, the repository button and the launch buttons
(Binder, Colab) appear on every chapter. Jupyter Book refuses ``use_repository_button: true``
without a URL, so ``_config.yml`` leaves that switch off and this extension turns it on.

The download menu's ".pdf" entry prints the page in the browser; the book's print stylesheet
(``_static/custom.css``) wraps code so that nothing is cut off on paper. Its ".ipynb" entry is
the chapter's notebook, whose first cell says how to install the companion package; with a
repository URL, a second cell (tagged ``install-companion``) installs it from there with
``%pip``, so that a downloaded chapter runs in any Jupyter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INSTALL_TAG = "install-companion"


def install_cell(url: str, branch: str) -> dict[str, Any]:
    """The code cell that installs the companion (and what the chapters import) from ``url``."""
    spec = f"companion[torch,keras,book] @ git+{url.rstrip('/')}@{branch or 'main'}"
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "install-companion",
        "metadata": {"tags": [INSTALL_TAG]},
        "outputs": [],
        "source": [
            "# Outside a clone of the book's repository, run this cell first: it installs the\n",
            "# book's companion package and the libraries the chapters use (a few GB).\n",
            f'%pip install --quiet "{spec}"',
        ],
    }


def add_install_cell(notebook: Path, url: str, branch: str) -> bool:
    """Insert :func:`install_cell` after the first cell of ``notebook``; False if it is there."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    if any(INSTALL_TAG in c.get("metadata", {}).get("tags", []) for c in cells):
        return False
    cells.insert(min(1, len(cells)), install_cell(url, branch))
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return True


def _buttons_follow_repository(app: Any, config: Any) -> None:
    options = config.html_theme_options
    url = (options.get("repository_url") or "").strip()
    options["use_repository_button"] = bool(url)
    if not url:
        options.pop("launch_buttons", None)


def _install_cells_in_downloads(app: Any, exception: Exception | None) -> None:
    options = app.config.html_theme_options
    url = (options.get("repository_url") or "").strip()
    if exception is not None or not url or app.builder.format != "html":
        return
    branch = (options.get("repository_branch") or "main").strip()
    for notebook in Path(app.outdir, "_sources").rglob("*.ipynb"):
        add_install_cell(notebook, url, branch)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _buttons_follow_repository)
    app.connect("build-finished", _install_cells_in_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
