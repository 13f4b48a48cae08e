"""The book's Sphinx extensions (book/_ext), driven without a Sphinx build."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "book" / "_ext" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _app(tmp_path, url):
    options = {"repository_url": url, "repository_branch": "main", "launch_buttons": {}}
    return SimpleNamespace(
        config=SimpleNamespace(html_theme_options=options),
        outdir=str(tmp_path),
        builder=SimpleNamespace(format="html"),
    )


def _notebook(tmp_path):
    path = tmp_path / "_sources" / "notebooks" / "01_x.ipynb"
    path.parent.mkdir(parents=True)
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["Running this chapter"]}
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    return path


def test_buttons_and_install_cell_appear_only_with_a_repository(tmp_path):
    ext = _load("repository_buttons")
    path = _notebook(tmp_path)
    app = _app(tmp_path, "")
    ext._buttons_follow_repository(app, app.config)
    assert app.config.html_theme_options["use_repository_button"] is False
    assert "launch_buttons" not in app.config.html_theme_options
    ext._install_cells_in_downloads(app, None)
    assert len(json.loads(path.read_text())["cells"]) == 1

    app = _app(tmp_path, "https://github.com/owner/dropout-book")
    ext._buttons_follow_repository(app, app.config)
    assert app.config.html_theme_options["use_repository_button"] is True
    ext._install_cells_in_downloads(app, None)
    ext._install_cells_in_downloads(app, None)  # once, however often the build runs
    cells = json.loads(path.read_text())["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code"]
    assert cells[1]["source"][-1] == (
        '%pip install --quiet "companion[torch,keras,book] @ '
        'git+https://github.com/owner/dropout-book@main"'
    )


def test_figures_get_the_size_their_svg_gives(tmp_path):
    ext = _load("image_sizes")
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "f.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="360pt" height="180pt" '
        'viewBox="0 0 360 180"></svg>'
    )
    page = tmp_path / "page.html"
    page.write_text('<p><img alt="a" src="_images/f.svg" /> <img src="logo.svg"/></p>')
    ext.add_image_sizes(
        SimpleNamespace(outdir=str(tmp_path), builder=_app(tmp_path, "").builder), None
    )
    html = page.read_text()
    assert '<img alt="a" src="_images/f.svg" width="480" height="240" />' in html
    assert '<img src="logo.svg"/>' in html  # not a figure: left alone
