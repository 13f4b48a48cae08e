"""Give every SVG image of the built pages its width and height.

MyST-NB writes a notebook's figures as ``<img src="../_images/....svg">`` without a size, so
the browser learns each figure's height only when the file has loaded, and the page below it
jumps; the theme's "Contents" highlight, which follows what is on screen, then points at the
wrong section. When the HTML build has finished, this extension reads each SVG's own
``width`` and ``height`` (matplotlib writes them in points) and adds them to the ``<img>``
tags, in CSS pixels; the style sheet keeps images at most as wide as the column, with
``height: auto``, so the attributes fix the aspect ratio and nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_IMG = re.compile(r"<img\b(?P<attrs>[^>]*?)\s*/?>")
# figures only (under _images/), not the logo or the theme's icons
_SRC = re.compile(r'\bsrc="(?P<src>[^"]*_images/[^"]+\.svg)"')
_LENGTH = re.compile(r"^\s*(?P<value>[0-9.]+)\s*(?P<unit>pt|px)?\s*$")
_PX_PER_UNIT = {"pt": 96 / 72, "px": 1.0, None: 1.0}


def svg_size(path: Path) -> tuple[int, int] | None:
    """The ``(width, height)`` of an SVG file in CSS pixels, or None if it does not say."""
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    root = re.search(r"<svg\b[^>]*>", head)
    if root is None:
        return None
    size = []
    for name in ("width", "height"):
        attr = re.search(rf'\b{name}="([^"]+)"', root.group(0))
        length = _LENGTH.match(attr.group(1)) if attr else None
        if length is None:
            return None
        size.append(round(float(length["value"]) * _PX_PER_UNIT[length["unit"]]))
    return size[0], size[1]


def add_image_sizes(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    sizes: dict[Path, tuple[int, int] | None] = {}
    for page in outdir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")

        def sized(match: re.Match) -> str:
            attrs = match.group("attrs")
            src = _SRC.search(attrs)
            if src is None or re.search(r"\b(width|height)=", attrs):
                return match.group(0)
            file = (page.parent / src["src"]).resolve()
            if file not in sizes:
                sizes[file] = svg_size(file) if file.is_file() else None
            if sizes[file] is None:
                return match.group(0)
            width, height = sizes[file]
            return f'<img{attrs} width="{width}" height="{height}" />'

        new = _IMG.sub(sized, html)
        if new != html:
            page.write_text(new, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("build-finished", add_image_sizes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
