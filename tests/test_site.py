"""The built handbook, as a reader's browser sees it.

The site is built once per session with ``mkdocs build --strict`` (a warning
fails the build), served from 127.0.0.1, and opened in headless Chromium:
Debian's ``/usr/bin/chromium`` driven by Playwright's Python package, since
Playwright's own browser download is not reachable offline. Screenshots go to
``.cache/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / ".cache" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MATH_PAGES = ["handbook/tested-pages/", "notebooks/quickstart/", ""]


@pytest.fixture(scope="session")
def built_site(background_job) -> Path:
    # Built by a background job started right after collection (tests/conftest.py).
    job, result = background_job("site")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    return job.output


@pytest.fixture(scope="session")
def server(built_site) -> str:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# --- the build, read as files ------------------------------------------------------

_REMOTE_ASSET = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']https?://"""
    r"""|<link\b[^>]*rel=["'](?:stylesheet|preload|modulepreload|icon)["'][^>]*href=["']https?://"""
    r"""|<link\b[^>]*href=["']https?://[^"']*["'][^>]*rel=["'](?:stylesheet|preload|icon)"""
    r"""|import\(["']https?://|url\(["']?https?://"""
)


def test_no_page_loads_anything_from_another_host(built_site):
    offenders = []
    for page in built_site.rglob("*.html"):
        for m in _REMOTE_ASSET.finditer(page.read_text(encoding="utf-8")):
            offenders.append(f"{page.relative_to(built_site)}: {m.group(0)}")
    assert offenders == []


def test_math_is_typeset_at_build_time(built_site):
    for rel in MATH_PAGES:
        text = (built_site / rel / "index.html").read_text(encoding="utf-8")
        assert 'class="katex' in text, rel
        assert 'class="arithmatex"' not in text, rel
    assert (built_site / "assets/katex/katex.min.css").is_file()
    assert list((built_site / "assets/katex/fonts").glob("*.woff2"))


def test_tex_errors_fail_the_strict_build(tmp_path):
    # A one-page site that uses the handbook's own KaTeX hook, with broken TeX.
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Broken\n\n$\\frac{1}{$\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nstrict: true\n"
        f"hooks: [{ROOT / 'docs' / 'hooks' / 'katex.py'}]\n"
        "markdown_extensions:\n  - pymdownx.arithmatex:\n      generic: true\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode != 0
    assert "KaTeX cannot typeset" in result.stderr


def test_every_plot_marker_became_an_inline_figure(built_site):
    pages = [p for p in (ROOT / "docs").rglob("*.md") if "<!-- plot:" in p.read_text()]
    assert pages
    for page in pages:
        rel = page.relative_to(ROOT / "docs").with_suffix("")
        html = (built_site / rel / "index.html").read_text(encoding="utf-8")
        markers = page.read_text().count("<!-- plot:")
        assert html.count('src="data:image/svg+xml;base64,') == markers, rel


# --- the site in a browser -----------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's 'chromium' package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageVisit:
    """A page opened in a fresh context, recording requests and console errors."""

    def __init__(self, browser, base: str, path: str):
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + path, wait_until="networkidle")

    def foreign_requests(self) -> list[str]:
        host = urlparse(self.base).netloc
        return [
            u for u in self.requests
            if not u.startswith(("data:", "blob:")) and urlparse(u).netloc != host
        ]

    def close(self):
        self.context.close()


def check_copy_buttons(page):
    blocks = page.locator("article pre:has(code)").count()
    # Material 9.8 draws it as <button data-md-type="copy">; older releases
    # as <button class="md-clipboard">.
    buttons = page.locator('article pre button[data-md-type="copy"], article pre button.md-clipboard').count()
    assert blocks > 0 and buttons == blocks


def check_search(page):
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").click()
    page.keyboard.type("doctest")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    assert "tested" in results.first.inner_text().lower()


# One visit per page, with every check that page serves: each visit costs a second.
EXTRA_CHECKS = {"handbook/tested-pages/": check_copy_buttons, "": check_search}


@pytest.mark.browser
@pytest.mark.parametrize("path", MATH_PAGES)
def test_page_typesets_math_offline_without_errors(browser, server, path):
    visit = PageVisit(browser, server, path)
    try:
        article = visit.page.locator("article")
        text = article.inner_text()
        assert visit.page.locator("article .katex").count() > 0
        for raw in ("\\(", "\\)", "\\[", "$$"):
            assert raw not in text, f"raw TeX {raw!r} left on {path or 'home'}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = (path.strip("/").replace("/", "-") or "home") + ".png"
        formula = visit.page.locator("article .katex-display, article .katex").first
        formula.scroll_into_view_if_needed()
        visit.page.screenshot(path=str(SCREENSHOTS / name), full_page=False)
        if path in EXTRA_CHECKS:
            EXTRA_CHECKS[path](visit.page)
        assert visit.foreign_requests() == []
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.browser
def test_figures_are_visible(browser, server):
    visit = PageVisit(browser, server, "case-studies/grokking/")
    try:
        img = visit.page.locator("figure.p2c-plot img").first
        img.scroll_into_view_if_needed()
        width = img.evaluate("i => i.complete ? i.naturalWidth : 0")
        assert width > 100  # the SVG decoded into a real image
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(SCREENSHOTS / "grokking-figure.png"))
        assert visit.foreign_requests() == [] and visit.errors == []
    finally:
        visit.close()
