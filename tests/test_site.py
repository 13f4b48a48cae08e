"""The built book, read as a reader's browser reads it.

Serves the built HTML book (``_build/html``, or ``$SITE_DIR``) on 127.0.0.1 and opens every page of
the table of contents in Debian's headless Chromium through Playwright, with every request to
another host blocked (the book must work offline). It checks that each page is built, loads, is
in the sidebar and has no heading numbered twice ("1. 1. Title"); that it shows no console
errors (none is allowed) and fetches nothing from another host; that its images load and have
alt text or a caption; that its internal links and anchors resolve; that its math is typeset;
that no cell output shows a traceback, a warning, stderr or ANSI colour codes, and no page a
traceback or a path of the machine that built it; that no code block, output or table is wider
than its column, at 1280 px or in print (A4); that the code a reader is shown has no glue() or
plt.close() calls; that there are no repository or launch buttons while ``repository.url`` is
unset; and that searching "dropout" finds pages with snippets of matching text. Every page's
screenshot goes to ``_build/screenshots/`` (beside the site folder), cut into
viewport-sized tiles (``<page>/01.png``, ...) for a person to look at.

Run it with ``make site`` (``SITE_TEST=1``). Without ``SITE_TEST=1`` the unit stage deselects it
(tests/conftest.py); selected with ``-m site`` it skips when there is no built site.

Environment: ``SITE_DIR`` (the built site, default ``_build/html``), ``SITE_TOC`` (the _toc.yml
that lists its pages; default: the one two levels above the site folder, else the repository's),
``SITE_SCREENSHOTS`` (default: ``screenshots`` beside the site folder), ``CHROMIUM``
(default ``/usr/bin/chromium``).

A refused call is shown as its one-line message (``companion.experiments.errors``), in a cell
tagged ``shows-error-message``: its text is not searched for error and warning words
(tracebacks, stderr boxes and ANSI codes are still reported). No cell may fail.
"""

from __future__ import annotations

import functools
import html.parser
import os
import re
import shutil
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
SITE_TEST = os.environ.get("SITE_TEST", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
PRINT_VIEWPORT = {"width": 794, "height": 1123}  # A4 at 96 dpi
PHONE_VIEWPORT = {"width": 390, "height": 844}
LOAD_TIMEOUT_MS = 90_000  # a loaded 2-core machine can be slow
# per page and kind of problem, so that one bad page does not flood the report
MAX_EXAMPLES = 5


def _not_ready(message: str):
    """A missing prerequisite fails under SITE_TEST=1 and skips otherwise."""
    if SITE_TEST:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------------------------
# Which pages: the table of contents


def _toc_files(toc_path: Path) -> list[str]:
    """Every document of a jb-book _toc.yml, root first, in reading order, without suffix."""
    toc = yaml.safe_load(toc_path.read_text())
    files: list[str] = []

    def strip(name: str) -> str:
        return re.sub(r"\.(md|ipynb|rst|myst)$", "", name.strip("/"))

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(strip(node["file"]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    files.append(strip(toc["root"]))
    walk({k: v for k, v in toc.items() if k in ("parts", "chapters", "sections")})
    return list(dict.fromkeys(files))


def _find_toc(site_dir: Path) -> Path:
    if os.environ.get("SITE_TOC"):
        return Path(os.environ["SITE_TOC"])
    beside = site_dir.parent.parent / "_toc.yml"
    return beside if beside.is_file() else ROOT / "_toc.yml"


# --------------------------------------------------------------------------------------------
# Static HTML parsing (ids of pages the browser did not open, links of auxiliary pages)


class _IdsAndLinks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.links.append(attrs["src"])


@functools.cache
def _parse_static(path: Path) -> _IdsAndLinks:
    parser = _IdsAndLinks()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


# --------------------------------------------------------------------------------------------
# Serving the site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        pass


@dataclass
class PageReport:
    name: str  # document name from the toc, e.g. "book/intro"
    url: str
    status: int | None = None
    load_error: str | None = None
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # what the in-page script collected
    screenshot: Path | None = None
    tiles: int = 0  # viewport-sized pieces of the screenshot, for a person to look at


@dataclass
class Crawl:
    site_dir: Path
    base: str  # "http://127.0.0.1:PORT/"
    toc_path: Path
    pages: list[PageReport]
    nav_pages: list[str]  # documents listed in the built sidebar navigation
    search: dict
    seconds: float

    def local_path(self, url: str) -> Path | None:
        """The file that a same-origin URL points at, or None for another origin."""
        if not url.startswith(self.base):
            return None
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
        target = self.site_dir / path
        return target / "index.html" if (not path or path.endswith("/")) else target


# The in-page collector: runs after load (and after MathJax's first typeset).
COLLECT_JS = r"""
() => {
  const out = {};
  const main = document.querySelector('main') || document.body;
  const article = document.querySelector('article') || main;
  out.title = document.title;
  out.h1 = (article.querySelector('h1') || {}).textContent || '';
  // headings that Sphinx numbered, without their number and permalink: "1. 1. Title" is numbered twice
  out.numberedHeadings = Array.from(article.querySelectorAll('h1, h2, h3')).filter(h => h.querySelector('.section-number'))
    .map(h => {
      const c = h.cloneNode(true);
      const num = c.querySelector('.section-number').textContent.trim();
      c.querySelectorAll('.section-number, .headerlink').forEach(e => e.remove());
      return [num, c.textContent.trim()];
    });
  out.ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id)
    .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.getAttribute('name')));

  // links of the whole page (sidebar, header, footer, article, and <link rel=next/prev/...>)
  out.links = Array.from(document.querySelectorAll('a[href], link[href]')).map(a => ({
    raw: a.getAttribute('href'), abs: a.href, text: (a.textContent || '').trim().slice(0, 60)}));
  out.nav = Array.from(document.querySelectorAll('nav.bd-docs-nav a.reference.internal'))
    .map(a => a.href);
  const prev = document.querySelector('a.left-prev'), next = document.querySelector('a.right-next');
  out.prev = prev ? prev.href : null;
  out.next = next ? next.href : null;

  // images
  out.images = Array.from(document.querySelectorAll('img')).map(img => {
    const fig = img.closest('figure');
    const cap = fig ? fig.querySelector('figcaption') : null;
    const link = img.closest('a');
    return {
      src: img.getAttribute('src'), abs: img.currentSrc || img.src,
      complete: img.complete, naturalWidth: img.naturalWidth,
      hasAlt: img.hasAttribute('alt'), alt: img.getAttribute('alt') || '',
      caption: cap ? cap.textContent.trim() : '',
      linkText: link ? link.textContent.trim() : '',
    };
  });

  // math: every .math element typeset by MathJax, no TeX error, no raw TeX in visible text
  const maths = Array.from(article.querySelectorAll('.math'));
  out.math = {
    count: maths.length,
    mathjax: !!(window.MathJax && window.MathJax.version),
    mathjaxVersion: (window.MathJax && window.MathJax.version) || null,
    untypeset: maths.filter(m => !m.querySelector('mjx-container'))
      .map(m => m.textContent.trim().slice(0, 80)),
    errors: Array.from(article.querySelectorAll('mjx-merror'))
      .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 120)),
  };
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .math, .cell_output';
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const chunks = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    chunks.push(n.textContent);
  }
  out.proseText = chunks.join(' ');

  // notebook cells and their outputs
  const cells = Array.from(article.querySelectorAll('div.cell'));
  out.cells = cells.map((cell, i) => {
    const outputs = Array.from(cell.querySelectorAll('.cell_output'));
    return {
      index: i + 1,
      tags: Array.from(cell.classList).filter(c => c.startsWith('tag_')).map(c => c.slice(4)),
      hasInput: !!cell.querySelector('.cell_input'),
      nOutputs: outputs.length,
      text: outputs.map(o => o.innerText).join('\n'),
      traceback: cell.querySelectorAll('.output.traceback, .output.error').length,
      stderr: cell.querySelectorAll('.output.stderr').length,
      ansiSpans: cell.querySelectorAll('.cell_output [class*="-Color"], .cell_output .ansi-red-fg, .cell_output .ansi-red-intense-fg').length,
      firstInputLine: ((cell.querySelector('.cell_input') || {}).innerText || '').split('\n')[0].slice(0, 80),
    };
  });
  // glue/MyST-NB outputs outside cells (e.g. {glue:} of an error) and stderr anywhere
  out.strayStderr = article.querySelectorAll('.output.stderr, .output.traceback').length
    - cells.reduce((s, c) => s + c.querySelectorAll('.output.stderr, .output.traceback').length, 0);
  out.downloadLinks = Array.from(document.querySelectorAll('a[href$=".ipynb"], a[href$=".md"]'))
    .map(a => a.href);
  // everything on the page, collapsed cells included (a reader can open them)
  out.articleText = article.textContent;
  // the same without source listings (cell inputs, literalinclude, API docstrings), whose
  // doctest examples may show "Traceback (most recent call last):" on purpose
  const copy = article.cloneNode(true);
  copy.querySelectorAll('div.highlight').forEach(e => { if (!e.closest('.cell_output')) e.remove(); });
  out.textWithoutListings = copy.textContent;
  // the code a reader is shown: inputs of cells that are not collapsed or removed
  out.shownCode = cells.map(cell => cell.querySelector('.cell_input'))
    .filter(input => input && input.getClientRects().length > 0
      && !input.closest('details:not([open])'))
    .map(input => input.innerText);
  out.launchLinks = Array.from(document.querySelectorAll('.article-header-buttons a[href]'))
    .map(a => a.href)
    .filter(h => /mybinder|colab\.research|github\.com|gitlab\.com|bitbucket\.org/.test(h));
  return out;
}
"""

# Code blocks, outputs and tables that are wider than the text column, or that hide part of
# their content behind a scroll bar (cut off in print). Only what renders: a collapsed cell's
# code is measured once it is opened, which is not done here.
OVERFLOW_JS = r"""
() => {
  const article = document.querySelector('article') || document.body;
  const right = article.getBoundingClientRect().right;
  // a closed <details> (a collapsed cell) keeps its boxes in Chromium: not shown all the same
  const shown = el => el.getClientRects().length > 0 && !el.closest('details:not([open])');
  return Array.from(article.querySelectorAll('pre, table, .cell_output img, mjx-container[display]'))
    .filter(shown)
    .filter(el => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > right + 1)
    .map(el => ({
      kind: el.closest('.cell_output') ? 'output' : (el.closest('.cell_input') ? 'code' : el.tagName.toLowerCase()),
      width: Math.round(Math.max(el.scrollWidth, el.getBoundingClientRect().width)),
      room: Math.round(Math.min(el.clientWidth || 1e9, right - el.getBoundingClientRect().left)),
      text: (el.innerText || el.getAttribute('alt') || '').trim().split('\n')[0].slice(0, 70),
    }));
}
"""

# Code of a cell that wraps at 1280 px: its 88 columns (ruff format) should fit the column
WRAPPED_CODE_JS = r"""
() => Array.from(document.querySelectorAll('article div.cell_input pre'))
  .filter(pre => pre.getClientRects().length > 0 && !pre.closest('details:not([open])'))
  .filter(pre => pre.innerText.trim())  // rendered (a closed dropdown's code has no innerText)
  .filter(pre => {
    const style = getComputedStyle(pre);
    const lines = pre.textContent.replace(/\n$/, '').split('\n').length;
    const inner = pre.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return inner > (lines + 0.5) * parseFloat(style.lineHeight);
  })
  .map(pre => ({kind: 'code that wraps', width: pre.scrollWidth, room: pre.clientWidth,
                text: pre.innerText.split('\n')[0].slice(0, 70)}))
"""

# What a reader sees of figures, tables, the sidebar and the themes, collected on every page.
READER_JS = r"""
() => {
  const article = document.querySelector('article') || document.body;
  const figures = Array.from(article.querySelectorAll('img'))
    .filter(img => /_images\/[^/]+\.svg$/.test(img.getAttribute('src') || ''));
  const out = {
    figures: figures.map(img => ({
      src: img.getAttribute('src'), width: img.getAttribute('width'),
      height: img.getAttribute('height'), shownWidth: img.getBoundingClientRect().width})),
    tables: Array.from(article.querySelectorAll('.cell_output table')).map(t => ({
      bookStyle: t.classList.contains('book-table'),
      headers: Array.from(t.querySelectorAll('th')).map(th => th.textContent.trim()),
      wrapped: Array.from(t.querySelectorAll('td')).filter(c => {
        const lh = parseFloat(getComputedStyle(c).lineHeight) || 20;
        return c.textContent.trim() && c.getBoundingClientRect().height > 1.8 * lh;
      }).map(c => c.textContent.trim().slice(0, 40))})),
    sidebarTitles: (() => {
      const side = document.querySelector('.bd-sidebar-primary');
      const title = document.querySelector('.navbar-brand') ?
        document.querySelector('.navbar-brand').textContent.trim() : '';
      if (!side || !title) return -1;
      const shown = Array.from(side.querySelectorAll('*')).filter(e =>
        e.children.length === 0 && e.getClientRects().length > 0 &&
        e.textContent.trim() === title);
      return shown.length;
    })(),
    tocLinks: document.querySelectorAll('#pst-page-toc-nav a').length,
    // the page itself wider than the window: something runs out of the column
    pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    widest: (() => {
      const right = (document.querySelector('article') || document.body).getBoundingClientRect().right;
      let worst = null;
      for (const el of document.querySelectorAll('article p, article li, article span')) {
        const r = el.getBoundingClientRect();
        if (r.right > right + 1 && (!worst || r.right > worst.right))
          worst = {right: Math.round(r.right), text: el.textContent.trim().slice(0, 70)};
      }
      return worst;
    })(),
  };
  // the dark theme, as a reader who picks it sees the figures
  const root = document.documentElement, before = root.dataset.theme;
  root.dataset.theme = 'dark';
  out.darkFigures = figures.map(img => {
    const style = getComputedStyle(img);
    return {src: img.getAttribute('src'), background: style.backgroundColor, filter: style.filter};
  });
  out.darkTables = Array.from(article.querySelectorAll('.cell_output table.book-table')).map(t => {
    const box = t.closest('.text_html') || t;
    return getComputedStyle(box).backgroundColor;
  });
  if (before === undefined) delete root.dataset.theme; else root.dataset.theme = before;
  return out;
}
"""

# The right-hand "Contents" highlight while a reader scrolls down the page and back up: the
# highlighted entry should be the section whose heading is the last one above 30% of the window.
TOC_FOLLOW_JS = r"""
async () => {
  const nav = document.querySelector('#pst-page-toc-nav');
  const pairs = Array.from(nav.querySelectorAll("a[href^='#']")).map(a => {
    const t = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
    return t ? [t.querySelector('h1, h2, h3, h4, h5, h6') || t, a] : null;
  }).filter(Boolean);
  const height = document.documentElement.scrollHeight, step = 350, wrong = [];
  const positions = [];
  for (let y = 0; y < height; y += step) positions.push(y);
  for (let y = height; y > 0; y -= step) positions.push(y);
  for (const y of positions) {
    window.scrollTo(0, y);
    await new Promise(r => setTimeout(r, 60));
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    let expected = pairs[0][1];
    for (const [h, a] of pairs) {
      if (h.getBoundingClientRect().top < window.innerHeight * 0.3) expected = a; else break;
    }
    const active = nav.querySelector('a.active');
    if (window.scrollY + window.innerHeight >= height - 2) continue;  // the page's end
    if (active !== expected)
      wrong.push(`at ${Math.round(window.scrollY)} px: "${active ? active.textContent.trim() : 'nothing'}"`
        + ` highlighted while reading "${expected.textContent.trim()}"`);
  }
  window.scrollTo(0, 0);
  return {positions: positions.length, wrong};
}
"""

WAIT_MATH_JS = r"""
async () => {
  if (document.fonts && document.fonts.ready) await document.fonts.ready;
  for (const img of document.querySelectorAll('img[loading="lazy"]')) img.loading = 'eager';
  await Promise.all(Array.from(document.images).map(i => i.complete ? 0 : i.decode().catch(() => 0)));
  if (!document.querySelector('.math')) return 'no math';
  for (let i = 0; i < 40 && !(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) return 'MathJax did not load';
  await window.MathJax.startup.promise;
  if (document.fonts && document.fonts.ready) await document.fonts.ready;
  return 'typeset';
}
"""


def _screenshot_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + ".png"


def _write_tiles(png: bytes, folder: Path, step: int = VIEWPORT["height"]) -> int:
    """Cut a full-page screenshot into viewport-sized tiles (folder/01.png, 02.png, ...)."""
    import io

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # a long page is not a decompression bomb
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    with Image.open(io.BytesIO(png)) as full:
        width, height = full.size
        n = -(-height // step)
        for k in range(n):
            box = (0, k * step, width, min(height, (k + 1) * step))
            full.crop(box).save(folder / f"{k + 1:02d}.png")
    return n


def _crawl(site_dir: Path, toc_path: Path, shot_dir: Path, chromium: str) -> Crawl:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    start = time.monotonic()
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    docs = _toc_files(toc_path)
    reports: list[PageReport] = []
    nav_pages: list[str] = []
    search: dict = {}

    if shot_dir.exists():
        for old in shot_dir.glob("**/*.png"):
            old.unlink()
    shot_dir.mkdir(parents=True, exist_ok=True)

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            current: dict = {}

            def route(r):
                url = r.request.url
                if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
                    r.continue_()
                else:
                    if current.get("report") is not None:
                        current["report"].external_requests.append(url)
                    r.abort("blockedbyclient")

            context.route("**/*", route)
            page = context.new_page()

            def on_console(msg):
                rep = current.get("report")
                # requests to other hosts are blocked on purpose and reported by test_pages_work_offline
                if (
                    rep is None
                    or msg.type != "error"
                    or "ERR_BLOCKED_BY_CLIENT" in msg.text
                ):
                    return
                loc = msg.location or {}
                where = (
                    f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})"
                    if loc.get("url")
                    else ""
                )
                rep.console_errors.append(msg.text[:300] + where)

            def on_pageerror(exc):
                rep = current.get("report")
                if rep is not None:
                    rep.console_errors.append(f"uncaught exception: {str(exc)[:300]}")

            def on_response(resp):
                rep = current.get("report")
                if rep is not None and resp.url.startswith(base) and resp.status >= 400:
                    rep.failed_requests.append(
                        f"HTTP {resp.status} {resp.url[len(base) - 1 :]}"
                    )

            def on_requestfailed(req):
                rep = current.get("report")
                if rep is not None and req.url.startswith(base):
                    rep.failed_requests.append(
                        f"{req.failure} {req.url[len(base) - 1 :]}"
                    )

            page.on("console", on_console)
            page.on("pageerror", on_pageerror)
            page.on("response", on_response)
            page.on("requestfailed", on_requestfailed)

            for doc in docs:
                rep = PageReport(name=doc, url=base + doc + ".html")
                current["report"] = rep
                reports.append(rep)
                if not (site_dir / f"{doc}.html").is_file():
                    rep.load_error = f"{doc}.html is not in the built site (listed in {toc_path.name})"
                    continue
                try:
                    resp = page.goto(
                        rep.url, wait_until="load", timeout=LOAD_TIMEOUT_MS
                    )
                    rep.status = resp.status if resp else None
                    rep.data["mathState"] = page.evaluate(WAIT_MATH_JS)
                    # late console errors of deferred scripts
                    page.wait_for_timeout(200)
                    rep.data.update(page.evaluate(COLLECT_JS))
                    rep.data["overflow"] = page.evaluate(OVERFLOW_JS) + page.evaluate(
                        WRAPPED_CODE_JS
                    )
                    rep.data["reader"] = page.evaluate(READER_JS)
                    rep.title = rep.data.get("title", "")
                    rep.screenshot = shot_dir / _screenshot_name(doc)
                    image = page.screenshot(full_page=True, timeout=LOAD_TIMEOUT_MS)
                    rep.tiles = _write_tiles(image, shot_dir / rep.screenshot.stem)
                    rep.screenshot = shot_dir / rep.screenshot.stem / "01.png"
                    # print view (the download menu's ".pdf"), on an A4-wide page
                    page.set_viewport_size(PRINT_VIEWPORT)
                    page.emulate_media(media="print")
                    rep.data["printOverflow"] = page.evaluate(OVERFLOW_JS)
                    page.emulate_media(media="screen")
                    page.set_viewport_size(VIEWPORT)
                except PlaywrightError as exc:
                    rep.load_error = (
                        f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                    )

            # the chapter with the most sections, read as a reader would: scrolled down and back up, then
            # in the dark theme and at a phone's width (screenshots for a person to look at)
            current["report"] = None
            longest = max(
                (
                    r
                    for r in reports
                    if r.data.get("reader") and r.name.startswith("notebooks/")
                ),
                key=lambda r: r.data["reader"]["tocLinks"],
                default=None,
            )
            if longest is not None:
                try:
                    page.goto(longest.url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
                    page.evaluate(WAIT_MATH_JS)
                    longest.data["tocFollow"] = page.evaluate(TOC_FOLLOW_JS)
                    page.evaluate("document.documentElement.dataset.theme = 'dark'")
                    stem = _screenshot_name(longest.name)[:-4]
                    _write_tiles(
                        page.screenshot(full_page=True, timeout=LOAD_TIMEOUT_MS),
                        shot_dir / f"dark-{stem}",
                    )
                    page.set_viewport_size(PHONE_VIEWPORT)
                    page.evaluate("document.documentElement.dataset.theme = 'light'")
                    _write_tiles(
                        page.screenshot(full_page=True, timeout=LOAD_TIMEOUT_MS),
                        shot_dir / f"phone-{stem}",
                        PHONE_VIEWPORT["height"],
                    )
                    page.set_viewport_size(VIEWPORT)
                except PlaywrightError as exc:
                    longest.data["tocFollow"] = {
                        "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                    }

            # the sidebar navigation, as a reader sees it on the landing page
            if reports and reports[0].data.get("nav") is not None:
                nav_pages = [
                    re.sub(r"\.html$", "", urllib.parse.urlsplit(u).path.lstrip("/"))
                    for u in reports[0].data["nav"]
                ]

            # search
            current["report"] = None
            search = {
                "url": base + "search.html?q=dropout",
                "hits": 0,
                "error": None,
                "summary": "",
            }
            try:
                page.goto(search["url"], wait_until="load", timeout=LOAD_TIMEOUT_MS)
                page.wait_for_function(
                    "() => { const s = document.querySelector('#search-results .search-summary, "
                    "#search-results p');"
                    " return s && /found|did not match|matching/i.test(s.textContent); }",
                    timeout=LOAD_TIMEOUT_MS,
                )
                search["hits"] = page.locator("#search-results ul.search > li").count()
                # snippets are filled in one result after another, after the count
                page.wait_for_timeout(1500)
                search["snippets"] = page.locator(
                    "#search-results ul.search > li"
                ).evaluate_all(
                    "items => items.filter(li => li.querySelector('p.context'))"
                    ".map(li => [li.querySelector('a').textContent,"
                    " li.querySelector('p.context').textContent])"
                )
                search["summary"] = page.locator("#search-results").inner_text()[:300]
                shot = shot_dir / "search-dropout.png"
                page.screenshot(path=str(shot), timeout=LOAD_TIMEOUT_MS)
                search["screenshot"] = shot
            except PlaywrightError as exc:
                search["error"] = (
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                )
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return Crawl(
        site_dir, base, toc_path, reports, nav_pages, search, time.monotonic() - start
    )


@pytest.fixture(scope="module")
def crawl() -> Crawl:
    site_dir = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()
    if not (site_dir / "index.html").is_file():
        _not_ready(
            f"no built book at {site_dir} (index.html missing): build it first (make book)"
        )
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not (shutil.which(chromium) or Path(chromium).is_file()):
        _not_ready(
            f"Chromium not found at {chromium}: apt-get install -y chromium (or set CHROMIUM)"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        _not_ready(
            "the playwright Python package is not installed (it is in requirements.lock)"
        )
    toc_path = _find_toc(site_dir)
    if not toc_path.is_file():
        _not_ready(f"no _toc.yml found for {site_dir} (set SITE_TOC)")
    shot_dir = Path(os.environ.get("SITE_SCREENSHOTS", site_dir.parent / "screenshots"))
    result = _crawl(site_dir, toc_path, shot_dir, chromium)
    loaded = _loaded(result)
    images = sum(len(p.data.get("images", [])) for p in loaded)
    formulas = sum(p.data.get("math", {}).get("count", 0) for p in loaded)
    cells = sum(len(p.data.get("cells", [])) for p in loaded)
    print(
        f"\nsite test: {len(result.pages)} pages of {toc_path} served from {site_dir}, opened in "
        f"{result.seconds:.1f} s: {images} images, {formulas} formulas, {cells} code cells; "
        f"screenshots in {shot_dir}"
    )
    return result


def _report(crawl: Crawl, what: str, problems: list[str]) -> None:
    """Fail once, listing every problem found (not just the first)."""
    if problems:
        header = f"{len(problems)} {what} in the built book ({crawl.site_dir}):"
        pytest.fail("\n".join([header] + [f"  - {p}" for p in problems]), pytrace=False)


def _loaded(crawl: Crawl) -> list[PageReport]:
    return [p for p in crawl.pages if p.load_error is None and p.data]


def _capped(items: list[str]) -> list[str]:
    if len(items) <= MAX_EXAMPLES:
        return items
    return items[:MAX_EXAMPLES] + [f"... and {len(items) - MAX_EXAMPLES} more"]


# --------------------------------------------------------------------------------------------
# The checks: one test per kind of problem, each listing all pages at once


def test_every_toc_page_is_built_loads_and_is_titled(crawl):
    problems = []
    for p in crawl.pages:
        if p.load_error:
            problems.append(f"{p.name}: {p.load_error}")
        elif p.status != 200:
            problems.append(f"{p.name}: HTTP status {p.status}")
        elif (
            not p.screenshot
            or not p.screenshot.is_file()
            or p.screenshot.stat().st_size == 0
        ):
            problems.append(f"{p.name}: no screenshot was written")
        elif not p.data.get("h1", "").strip():
            problems.append(f"{p.name}: the page has no title heading (h1)")
        for number, title in p.data.get("numberedHeadings", []):
            if re.match(r"\d+(\.\d+)*\.?\s", title):
                problems.append(
                    f"{p.name}: heading numbered twice, '{number} {title}': the toc numbers it "
                    f"(numbered: true), so drop the typed number from the heading"
                )
    root = crawl.pages[0].name if crawl.pages else None
    if crawl.pages and crawl.pages[0].data:
        listed = set(crawl.nav_pages)
        for p in crawl.pages[1:]:
            if p.name not in listed:
                problems.append(
                    f"{p.name}: listed in {crawl.toc_path.name} but missing from the sidebar"
                )
        extra = [
            n
            for n in crawl.nav_pages
            if n not in {q.name for q in crawl.pages} and n != root
        ]
        problems += [
            f"{n}: in the sidebar but not in {crawl.toc_path.name}" for n in extra
        ]
    _report(
        crawl,
        "page problems (missing, not loading, not in the sidebar, numbered twice)",
        problems,
    )


def test_no_console_errors_or_failed_requests(crawl):
    problems = []
    for p in _loaded(crawl):
        for msg in _capped(p.console_errors):
            problems.append(f"{p.name}: console error: {msg}")
        for msg in _capped(p.failed_requests):
            problems.append(f"{p.name}: failed request: {msg}")
    _report(crawl, "browser console errors or failed requests", problems)


def test_pages_work_offline(crawl):
    """Nothing is fetched from another host (MathJax included): the book is read offline."""
    problems = []
    for p in _loaded(crawl):
        for url in _capped(sorted(set(p.external_requests))):
            problems.append(
                f"{p.name}: requests {url} (blocked: the book must work offline)"
            )
    _report(crawl, "requests to other hosts", problems)


_FILENAME_ALT = re.compile(r"^(\.\./)*[\w./-]*\.(png|svg|jpe?g|gif|webp)$", re.I)


def test_images_load_and_have_alt_text_or_caption(crawl):
    problems = []
    for p in _loaded(crawl):
        for img in p.data.get("images", []):
            src = img["src"]
            if not img["complete"] or img["naturalWidth"] == 0:
                problems.append(f"{p.name}: image {src} did not load (naturalWidth 0)")
            alt = img["alt"].strip()
            described = (alt and not _FILENAME_ALT.match(alt)) or img["caption"]
            # alt="" marks a decorative image; fine where its link has text (the logo beside its title)
            decorative = img["hasAlt"] and not alt and img["linkText"]
            if not (described or decorative):
                why = (
                    f'alt is only the file name ("{alt[:60]}")'
                    if alt
                    else "no alt text"
                )
                problems.append(f"{p.name}: image {src}: {why} and no caption")
    _report(crawl, "image problems", problems)


def test_internal_links_and_anchors_resolve(crawl):
    problems = []
    ids_of: dict[Path, set[str]] = {}
    for p in _loaded(crawl):
        ids_of[crawl.site_dir / f"{p.name}.html"] = set(p.data.get("ids", []))

    def ids(target: Path) -> set[str]:
        if target not in ids_of:
            ids_of[target] = _parse_static(target).ids
        return ids_of[target]

    def check(where: str, raw: str, absolute: str, aux: set[Path]) -> int:
        """Check one link; returns 1 if it was an internal link (checked), else 0."""
        if raw in ("#", "") or absolute.startswith(("mailto:", "javascript:", "tel:")):
            return 0
        target = crawl.local_path(absolute)
        if target is None:
            return 0  # another site: not checked (offline)
        fragment = urllib.parse.unquote(urllib.parse.urlsplit(absolute).fragment)
        if not target.is_file():
            problems.append(
                f"{where}: link {raw!r} -> {target.relative_to(crawl.site_dir)} does not exist"
            )
        elif fragment and target.suffix == ".html" and fragment not in ids(target):
            problems.append(
                f"{where}: link {raw!r} -> #{fragment} not found on {target.relative_to(crawl.site_dir)}"
            )
        elif target.suffix == ".html":
            aux.add(target)
        return 1

    toc_files = {crawl.site_dir / f"{p.name}.html" for p in crawl.pages}
    aux: set[Path] = set()
    checked = 0
    for p in _loaded(crawl):
        seen = set()
        for link in p.data.get("links", []):
            if link["abs"] in seen:
                continue
            seen.add(link["abs"])
            checked += check(p.name, link["raw"], link["abs"], aux)
    # One hop further, statically: the pages the book links to that are not in the toc
    # (source code of the API reference, general index, module index).
    for target in sorted(aux - toc_files):
        rel = target.relative_to(crawl.site_dir).as_posix()
        page_url = crawl.base + rel
        for raw in dict.fromkeys(_parse_static(target).links):
            checked += check(rel, raw, urllib.parse.urljoin(page_url, raw), set())
    print(
        f"\nsite test: {checked} internal links checked ({len(aux - toc_files)} pages beyond the toc)"
    )
    _report(crawl, "broken internal links or anchors", problems)


_RAW_TEX = [
    (re.compile(r"\\[(\[]|\\[)\]]"), "TeX delimiter"),
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"(?<![\\$])\$(?=\S)[^$\n]{1,200}?(?<=\S)\$(?!\d)"), "$...$"),
    (
        re.compile(
            r"\\(?:frac|mathbf|mathrm|mathcal|operatorname|sum|prod|left|right|cdot|odot|"
            r"alpha|beta|gamma|sigma|theta|epsilon|mathbb|hat|tilde|sqrt|text|begin|end)\b"
        ),
        "TeX command",
    ),
]


def test_math_is_typeset(crawl):
    problems = []
    for p in _loaded(crawl):
        math = p.data.get("math", {})
        if math.get("count") and not math.get("mathjax"):
            problems.append(
                f"{p.name}: {math['count']} formulas but MathJax did not load ({p.data.get('mathState')})"
            )
        if math.get("untypeset"):
            problems.append(
                f"{p.name}: {len(math['untypeset'])} formulas not typeset, e.g. {math['untypeset'][0]!r}"
            )
        for err in _capped(math.get("errors", [])):
            problems.append(f"{p.name}: MathJax error: {err}")
        text = p.data.get("proseText", "")
        for pattern, label in _RAW_TEX:
            hits = [m.group(0) for m in pattern.finditer(text)]
            if hits:
                problems.append(
                    f"{p.name}: raw {label} in the text: {', '.join(repr(h) for h in hits[:3])}"
                )
    _report(crawl, "math rendering problems", problems)


_OUTPUT_PATTERNS = [
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
    (re.compile(r"^\s*(?:\w+\.)*\w*(?:Error|Exception): ", re.M), "an error message"),
    (re.compile(r"\b\w*Warning\b|WARNING"), "a warning"),
    (re.compile(r"\x1b\[[0-9;]*m|\[(?:\d{1,3};)+\d{1,3}m|\[0m"), "ANSI escape codes"),
    (re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d", re.M), "a framework log line"),
    (
        re.compile(r"<[\w.]+ (?:object )?at 0x[0-9a-f]+>"),
        "the repr of an object (<... at 0x...>)",
    ),
]


def test_cell_outputs_are_clean(crawl):
    problems = []
    for p in _loaded(crawl):
        cells = p.data.get("cells", [])
        if cells and not any(c["nOutputs"] for c in cells):
            problems.append(
                f"{p.name}: {len(cells)} code cells and not one output: was it executed?"
            )
        if p.data.get("strayStderr"):
            problems.append(
                f"{p.name}: {p.data['strayStderr']} stderr/traceback outputs outside cells"
            )
        page_problems = []
        for c in cells:
            where = f"{p.name}: cell {c['index']} ({c['firstInputLine']!r})"
            if c["traceback"]:
                page_problems.append(f"{where}: shows a traceback/error output")
            if c["stderr"]:
                page_problems.append(f"{where}: shows a stderr output box")
            if c["ansiSpans"]:
                page_problems.append(f"{where}: shows ANSI-coloured output")
            for pattern, label in (
                _OUTPUT_PATTERNS if "shows-error-message" not in c["tags"] else ()
            ):
                m = pattern.search(c["text"])
                if m:
                    line = c["text"][max(0, m.start() - 20) : m.end() + 60].replace(
                        "\n", " "
                    )
                    page_problems.append(
                        f"{where}: output shows {label}: ...{line.strip()}..."
                    )
        problems += _capped(page_problems)
    _report(crawl, "problems in cell outputs", problems)


# Paths of the machine that built the book, and traceback lines, anywhere in a page's text
# (collapsed cells included): an error is shown as its one-line message.
_MACHINE_PATH = re.compile(
    r"(?:/tmp/|/root/|/home/|/Users/|site-packages/|dist-packages/)\S*"
)
_TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+", re.M
)


def test_no_tracebacks_or_machine_paths(crawl):
    problems = []
    for p in _loaded(crawl):
        text = p.data.get("articleText", "")
        found = [m.group(0)[:80] for m in _MACHINE_PATH.finditer(text)]
        found += [f"the repository's path {ROOT}"] if str(ROOT) in text else []
        listed = p.data.get("textWithoutListings", "")
        found += [f"a traceback: {m[0][:60]!r}" for m in _TRACEBACK.finditer(listed)]
        problems += _capped(
            [f"{p.name}: shows {what}" for what in dict.fromkeys(found)]
        )
    _report(crawl, "tracebacks or build-machine paths", problems)


def test_code_and_outputs_fit_the_column(crawl):
    """Nothing is cut off or hidden behind a scroll bar, at 1280 px and in print (A4)."""
    problems = []
    for p in _loaded(crawl):
        page_problems = []
        for view, key in (("at 1280 px", "overflow"), ("in print", "printOverflow")):
            for o in p.data.get(key, []):
                page_problems.append(
                    f"{p.name}: {o['kind']} {o['width']} px wide in {o['room']} px "
                    f"{view}: {o['text']!r}"
                )
        problems += _capped(page_problems)
    _report(crawl, "code blocks, outputs or tables wider than the column", problems)


_PLUMBING = re.compile(r"^.*\b(?:glue|plt\.close)\(.*$", re.M)


def test_shown_code_has_no_build_plumbing(crawl):
    """glue() and plt.close() calls belong in removed or collapsed cells."""
    problems = []
    for p in _loaded(crawl):
        lines = [
            m.group(0).strip()
            for c in p.data.get("shownCode", [])
            for m in _PLUMBING.finditer(c)
        ]
        if lines:
            problems.append(
                f"{p.name}: {len(lines)} shown lines, e.g. {lines[0][:70]!r}"
            )
    _report(crawl, "pages whose shown code has glue/plt.close calls", problems)


def test_no_repository_buttons_without_a_repository(crawl):
    """The repository, Binder and Colab buttons appear only once repository.url is set."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = ((config.get("repository") or {}).get("url") or "").strip()
    problems = []
    for p in _loaded(crawl):
        links = p.data.get("launchLinks", [])
        if not url and links:
            problems.append(
                f"{p.name}: links to {links[0]} but repository.url is unset"
            )
        if url and any(
            url.rstrip("/") not in link for link in links if "github" in link
        ):
            problems.append(f"{p.name}: a repository link that is not {url}")
    _report(crawl, "repository or launch buttons", problems)


def test_search_snippets_show_matching_text(crawl):
    """Each result shows text around the match, not the page header or its Contents list."""
    s = crawl.search
    snippets = s.get("snippets") or []
    if s.get("error") or not snippets:
        pytest.fail(f"search page {s['url']}: no results to check", pytrace=False)
    problems = []
    for title, text in snippets:
        text = " ".join(text.split())
        if "dropout" not in text.lower():
            problems.append(
                f"{title!r}: snippet without the search word: {text[:90]!r}"
            )
        elif re.search(r"\.(?:ipynb|pdf)\b|^\.{0,3}\s*Contents\b", text):
            problems.append(f"{title!r}: snippet shows the page header: {text[:90]!r}")
    _report(crawl, "search snippets", problems)


def test_search_finds_dropout(crawl):
    s = crawl.search
    if s.get("error"):
        pytest.fail(f"search page {s['url']}: {s['error']}", pytrace=False)
    if not s["hits"]:
        pytest.fail(
            f"search page {s['url']}: searching 'dropout' found nothing: {s['summary']!r}",
            pytrace=False,
        )


def _svg_text_sizes(path: Path) -> tuple[float, list[float]]:
    """An SVG figure's viewBox width and the size of each of its texts, in viewBox units.

    A text's size is its largest part: the exponent of "10^-2" on a log axis and the
    radical sign of a formula are drawn smaller on purpose.
    """
    svg = path.read_text(encoding="utf-8", errors="replace")
    box = re.search(r'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) [0-9.]+"', svg)
    sizes = []
    for text in re.findall(r"<text\b.*?</text>", svg, re.S):
        parts = re.findall(r"font-size:\s*([0-9.]+)px", text)
        if parts:
            sizes.append(max(float(v) for v in parts))
    return (float(box.group(1)) if box else 0.0), sizes


MIN_FIGURE_TEXT_PT = 8


def _transparent(css_color: str) -> bool:
    return css_color in ("rgba(0, 0, 0, 0)", "transparent")


def test_figures_are_sized_legible_and_right_in_the_dark_theme(crawl):
    """Each figure has its size before it loads (no jumping page), text of at least 8 pt as
    shown at 1280 px, and no white plate or dimming filter in the dark theme."""
    problems = []
    for p in _loaded(crawl):
        reader = p.data.get("reader", {})
        for fig in reader.get("figures", []):
            name = fig["src"].rsplit("/", 1)[-1][:16]
            if not (fig["width"] and fig["height"]):
                problems.append(
                    f"{p.name}: figure {name}... has no width/height attributes"
                )
            local = crawl.local_path(urllib.parse.urljoin(p.url, fig["src"]))
            if local is None or not local.is_file() or not fig["shownWidth"]:
                continue
            box_width, sizes = _svg_text_sizes(local)
            if box_width and sizes:
                # viewBox units are points at the figure's natural size
                shown_pt = min(sizes) * fig["shownWidth"] / box_width * 0.75
                if shown_pt < MIN_FIGURE_TEXT_PT - 0.05:
                    problems.append(
                        f"{p.name}: figure {name}... has text of {shown_pt:.1f} pt as shown "
                        f"(smallest font {min(sizes):g} of {box_width:.0f} units drawn "
                        f"{fig['shownWidth']:.0f} px wide)"
                    )
        for fig in reader.get("darkFigures", []):
            plate = not _transparent(fig["background"])
            if plate or fig["filter"] not in ("none", ""):
                problems.append(
                    f"{p.name}: figure {fig['src'].rsplit('/', 1)[-1][:16]}... in the dark "
                    f"theme: background {fig['background']}, filter {fig['filter']}"
                )
    _report(
        crawl,
        "figures without a size, with small text, or with a dark-theme plate",
        problems,
    )


def test_nothing_runs_out_of_the_column(crawl):
    """No paragraph, list item or glued phrase makes the page wider than the window."""
    problems = []
    for p in _loaded(crawl):
        reader = p.data.get("reader", {})
        if reader.get("pageOverflow", 0) > 1:
            widest = reader.get("widest") or {}
            problems.append(
                f"{p.name}: the page is {reader['pageOverflow']} px wider than the window at "
                f"1280 px; widest: {widest.get('text', '?')!r}"
            )
    _report(crawl, "pages wider than the window", problems)


def test_tables_share_the_book_style(crawl):
    """Every results table is a book table: headers in words, no cell broken over lines."""
    problems = []
    for p in _loaded(crawl):
        for k, table in enumerate(p.data.get("reader", {}).get("tables", []), 1):
            where = f"{p.name}: table {k} ({', '.join(table['headers'][:3])[:60]})"
            if not table["bookStyle"]:
                problems.append(f"{where}: not made with book_table (class book-table)")
            raw = [h for h in table["headers"] if re.fullmatch(r"\w+_\w+", h)]
            if raw:
                problems.append(f"{where}: headers that are variable names: {raw}")
            if table["wrapped"]:
                problems.append(
                    f"{where}: cells broken over lines: {table['wrapped'][:3]}"
                )
        for k, background in enumerate(
            p.data.get("reader", {}).get("darkTables", []), 1
        ):
            if not _transparent(background):
                problems.append(
                    f"{p.name}: results table {k} sits on a plate ({background}) in the dark theme"
                )
    _report(crawl, "tables out of the book's style", problems)


def test_site_title_appears_once_in_the_sidebar(crawl):
    problems = [
        f"{p.name}: the site title is shown {p.data['reader']['sidebarTitles']} times "
        "in the sidebar"
        for p in _loaded(crawl)
        if p.data.get("reader", {}).get("sidebarTitles", 1) != 1
    ]
    _report(crawl, "site title repeated in the sidebar", problems)


def test_contents_highlight_follows_the_reader(crawl):
    """Scrolled down and back up, the longest chapter highlights the section being read."""
    probed = [p for p in _loaded(crawl) if "tocFollow" in p.data]
    if not probed:
        pytest.fail("no page was probed for the contents highlight")
    follow = probed[0].data["tocFollow"]
    if follow.get("error"):
        pytest.fail(f"{probed[0].name}: the scroll probe failed: {follow['error']}")
    _report(
        crawl,
        f"contents highlight not following the reader on {probed[0].name} "
        f"({follow['positions']} scroll positions)",
        [f"{probed[0].name}: {w}" for w in follow["wrong"]],
    )
