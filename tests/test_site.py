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
from urllib.parse import urljoin, urlparse

import pytest

# Run with `uv run pytest --integration` (tests/conftest.py): the build and Chromium
# take a minute of a 2-core machine.
pytestmark = pytest.mark.integration

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
# The offline plugin makes every page a plain .html file (browsable from file://).
MATH_PAGES = ["handbook/tested-pages.html", "notebooks/quickstart.html", ""]
CASE_STUDIES = sorted(p.stem for p in (ROOT / "docs" / "case-studies").glob("*.md"))


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
    # A script that names another host's URL in an attribute, to load it later
    # (mkdocs-jupyter 0.27's MathJax loader: data-mkdocs-jupyter-mathjax="{&quot;url&quot;: …}").
    r"""|<script\b[^>]*=["'][^"']*https?(?::|&#x3a;)//"""
)


def test_no_page_loads_anything_from_another_host(built_site):
    offenders = []
    for page in built_site.rglob("*.html"):
        for m in _REMOTE_ASSET.finditer(page.read_text(encoding="utf-8")):
            offenders.append(f"{page.relative_to(built_site)}: {m.group(0)}")
    assert offenders == []


def test_math_is_typeset_at_build_time(built_site):
    for rel in MATH_PAGES:
        text = (built_site / (rel or "index.html")).read_text(encoding="utf-8")
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
        rel = page.relative_to(ROOT / "docs").with_suffix(".html")
        html = (built_site / rel).read_text(encoding="utf-8")
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
    # The page about doctests is among the first results (the exact rank moves with
    # every page's wording: lunr weighs a word by the length of the text around it).
    top = [text.lower() for text in results.all_inner_texts()[:3]]
    assert any(text.startswith("how this handbook is tested") for text in top), top


# One visit per page, with every check that page serves: each visit costs a second.
EXTRA_CHECKS = {"handbook/tested-pages.html": check_copy_buttons, "": check_search}


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
    visit = PageVisit(browser, server, "case-studies/grokking.html")
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


# --- Layout on a phone and a laptop, on every page -------------------------------------

LAYOUT_JS = """() => {
  const overflowing = [...document.querySelectorAll('article pre > code')]
    .filter(c => !c.closest('td'))  // the API pages' numbered listings scroll by design
    .filter(c => c.scrollWidth > c.clientWidth + 1)
    .map(c => c.textContent.trim().split('\\n')[0].slice(0, 60));
  const underButton = [];
  for (const pre of document.querySelectorAll('article pre')) {
    const button = pre.querySelector('button[data-md-type="copy"], button.md-clipboard');
    const code = pre.querySelector(':scope > code');
    if (!button || !code || pre.closest('td')) continue;
    const b = button.getBoundingClientRect();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    scan: for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.top > b.bottom) break scan;
        if (r.width > 0 && r.bottom > b.top && r.right > b.left && r.left < b.right) {
          underButton.push(code.textContent.trim().slice(0, 60));
          break scan;
        }
      }
    }
  }
  const tags = [...document.querySelectorAll('.katex-display .tag')].filter(t => {
    const before = t.previousElementSibling;
    return before && t.getBoundingClientRect().left < before.getBoundingClientRect().right - 1;
  }).length;
  return {
    sideways: document.documentElement.scrollWidth - window.innerWidth,
    overflowing, underButton, tags,
  };
}"""


def site_pages(built_site: Path) -> list[str]:
    return sorted(
        p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")
        if p.name != "404.html" and not p.relative_to(built_site).as_posix().startswith("assets/")
    )


# Pages also checked at a laptop's width (every page is checked at a phone's).
WIDE_PAGES = ["index.html", "building-blocks/attention.html", "case-studies/grokking.html",
              "reference/nn/attention.html"]


def layout_problems(page, rel: str, width: int) -> list[str]:
    found = page.evaluate(LAYOUT_JS)
    problems = []
    if found["sideways"] > 0:
        problems.append(f"{rel}: scrolls sideways by {found['sideways']} px at {width} px")
    if found["overflowing"]:
        problems.append(f"{rel}: code wider than its block at {width} px: {found['overflowing'][:3]}")
    if found["underButton"]:
        problems.append(f"{rel}: code under the copy button at {width} px: {found['underButton'][:3]}")
    if found["tags"]:
        problems.append(f"{rel}: an equation tag overlaps its formula at {width} px")
    return problems


@pytest.mark.browser
def test_every_page_fits_a_phone_and_code_fits_its_block(browser, server, built_site):
    """No page scrolls sideways (wide formulas, tables and listings scroll in their own
    box), no code line runs past its block or under the copy button, and no equation tag
    overlaps its formula: every page at 390 px, some at 1280 px too."""
    problems = []
    for width, pages in ((390, site_pages(built_site)), (1280, WIDE_PAGES)):
        context = browser.new_context(viewport={"width": width, "height": 844})
        # Each page load would have the search worker parse the whole index again: not
        # part of the layout, and most of the time of a visit.
        context.route("**/search/search_index.*", lambda route: route.abort())
        page = context.new_page()
        try:
            for rel in pages:
                page.goto(server + rel, wait_until="load")
                problems += layout_problems(page, rel, width)
        finally:
            context.close()
    assert problems == []


@pytest.mark.browser
def test_case_study_reports_are_tables(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for name in CASE_STUDIES:
            page.goto(f"{server}case-studies/{name}.html", wait_until="load")
            table = page.locator("article .p2c-output table")
            assert table.count() >= 1, name
            header = table.first.locator("th").all_inner_texts()
            assert header[:3] == ["Quantity", "Paper", "Ours"], (name, header)
            assert table.first.locator("tbody tr").count() >= 1, name
            # The table is shown once: its #> lines are gone from the code above it.
            assert "| Quantity |" not in page.locator("article").inner_text(), name
    finally:
        context.close()


# Every notebook page (mkdocs-jupyter, docs/hooks/jupyter.py): the quickstart and one
# per case study.
NOTEBOOK_PAGES = [
    p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
    for p in sorted((ROOT / "docs" / "notebooks").rglob("*.ipynb"))
]
PAGE_WEIGHT_LIMIT = 500_000  # bytes transferred, each response gzipped as a server would


def transferred_gzip(responses) -> int:
    """Bytes a page load transfers when the server gzips every response (as Lighthouse
    counts a page's weight: every request of the load, compressed on the wire)."""
    import gzip

    total = 0
    for response in responses:
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - a response without a body (redirect, aborted)
            continue
        total += min(len(body), len(gzip.compress(body, 6)))
    return total


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_notebook_page_is_a_page_of_this_site(browser, server, built_site, path):
    """Stored outputs shown, the site's highlighting and copy button on every code cell,
    math typeset by KaTeX, a download button for the .ipynb (with outputs), no request
    to another host, no script error, and at most 500 KB transferred (gzip)."""
    responses = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: responses.append(r))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server + path, wait_until="networkidle")
        host = urlparse(server).netloc
        assert [u for u in requests if not u.startswith(("data:", "blob:")) and urlparse(u).netloc != host] == []
        assert errors == []
        assert page.locator("article .jp-OutputArea-output").count() >= 1
        cells = page.locator("article .jp-CodeCell .highlight pre > code").count()
        assert cells >= 3 and page.locator("article .highlight-ipynb, article clipboard-copy").count() == 0
        check_copy_buttons(page)
        link = page.locator("article a.p2c-notebook-download")
        assert link.count() == 1
        nb = page.request.get(urljoin(page.url, link.get_attribute("href"))).json()
        assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
        text = page.locator("article").inner_text()
        assert "\\(" not in text and "$$" not in text and 'class="arithmatex"' not in page.content()
        if any("$" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"):
            assert page.locator("article .katex").count() > 0
        weight = transferred_gzip(responses)
        print(f"{path}: {weight / 1000:.0f} KB transferred (gzip)")
        assert weight <= PAGE_WEIGHT_LIMIT, f"{path}: {weight} bytes"
    finally:
        context.close()


# What a phone sees while a notebook page loads: Lighthouse's mobile screen (412 x 823 CSS
# px at 1.75 device pixels each). The layout shift is the sum of the page's
# 'layout-shift' entries (the Cumulative Layout Shift of Core Web Vitals, whose "good"
# is 0.1 at most); the element count is the DOM's (document.getElementsByTagName('*')).
# Before docs/hooks/jupyter.py and tests/case_study_notebooks.py reshaped them, eight of the
# nine case-study notebooks shifted by 0.20-0.44 here, and the PPO one held 10,900 elements;
# now the largest, PPO's (24 code blocks of ~680 lines, 81 formulas), holds about 7,900,
# fewer than its case study's page.
LAYOUT_SHIFT_LIMIT = 0.1
DOM_ELEMENT_LIMIT = 9_000
LOAD_SHIFTS_JS = """() => new Promise(resolve => {
  const shifts = [];
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {  // every one: the test gives no input
      const moved = (e.sources || []).map(s => s.node && s.node.nodeType === 1
        ? s.node.tagName.toLowerCase() + (s.node.id ? '#' + s.node.id : '') : '?');
      shifts.push([e.value, moved.join(', ')]);
    }
  }).observe({type: 'layout-shift', buffered: true});
  // Late shifts (fonts, decoded images, content laid out late) land within a second.
  document.fonts.ready.then(() => setTimeout(() => resolve({
    shifts, elements: document.getElementsByTagName('*').length,
  }), 1000));
})"""


def load_shifts(browser, url: str) -> dict:
    """The layout shifts and element count of one page load on a phone's screen."""
    # Not is_mobile: Chromium's touch emulation marks the shifts of a load as following an
    # input (hadRecentInput), as Lighthouse knows; the screen's size is what matters here.
    context = browser.new_context(viewport={"width": 412, "height": 823}, device_scale_factor=1.75)
    # The search worker parses the whole index on every load: no part of the layout.
    context.route("**/search/search_index.*", lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        return page.evaluate(LOAD_SHIFTS_JS)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_notebook_page_is_steady_and_light_on_a_phone(browser, server, path):
    """Nothing on a notebook page moves after the first paint (layout shift at most 0.1, the
    good limit of Core Web Vitals) and its DOM is what its content needs (fewer than 9,000
    elements)."""
    found = load_shifts(browser, server + path)
    shift = sum(value for value, _ in found["shifts"])
    print(f"{path}: layout shift {shift:.3f}, {found['elements']} elements")
    assert shift <= LAYOUT_SHIFT_LIMIT, f"{path}: layout shift {shift:.3f}: {found['shifts'][:5]}"
    assert found["elements"] < DOM_ELEMENT_LIMIT, f"{path}: {found['elements']} elements"


@pytest.mark.browser
def test_quickstart_notebook_shows_what_it_teaches(browser, server):
    visit = PageVisit(browser, server, "notebooks/quickstart.html")
    try:
        outputs = visit.page.locator("article .jp-OutputArea-output")
        assert outputs.count() == 3
        assert "initial loss" in outputs.nth(1).inner_text()
        assert visit.page.locator("article .katex-display").count() == 1  # ln V, displayed
    finally:
        visit.close()


@pytest.mark.browser
def test_each_case_study_offers_its_notebook(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for name in CASE_STUDIES:
            page.goto(f"{server}case-studies/{name}.html", wait_until="load")
            link = page.locator("article a.p2c-notebook-download")
            assert link.count() == 1, name
            response = page.request.get(urljoin(page.url, link.get_attribute("href")))
            assert response.ok and "".join(response.json()["cells"][0]["source"]).startswith("# "), name
        nav = page.locator("nav.md-nav a[href*='notebooks/']").all_inner_texts()
        assert len({t.strip() for t in nav}) >= len(CASE_STUDIES) + 1, nav
    finally:
        context.close()


@pytest.mark.browser
def test_the_built_folder_works_from_file_urls(browser, built_site):
    """Opened from disk, a nav link reaches the next page (not a folder listing), and search works."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((built_site / "index.html").as_uri(), wait_until="load")
        page.locator('nav.md-nav a[href$="tested-pages.html"]').first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("handbook/tested-pages.html")
        assert page.locator("article h1").inner_text().startswith("How this handbook is tested")
        check_search(page)
        assert errors == []
    finally:
        context.close()
