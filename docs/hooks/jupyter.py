r"""MkDocs hook: make mkdocs-jupyter's notebook pages pages of this site.

mkdocs-jupyter (plugin in mkdocs.yml) renders ``docs/notebooks/*.ipynb`` with
nbconvert and publishes each ``.ipynb`` beside its page. What it puts in a
page that this site does not want is undone here, on the notebook pages
only, each at the smallest depth found:

* **No script in a notebook page's content.** Its template adds a MathJax
  loader (an empty ``src`` with mkdocs-jupyter 0.26, a CDN URL with other
  releases: seen under Python 3.13, where the lock picks 0.27), MathJax's
  configuration, a ``<script type="module">`` that imports mermaid from
  cdnjs when a diagram is present, and a clipboard element's script. None
  of them can be configured away (``custom_mathjax_url`` only changes the
  URL), and our notebooks hold no widget or JavaScript output, so every
  ``<script>`` in the content goes: the offline guarantee then holds
  whatever release the lock picks. mkdocs-jupyter 0.27 also puts a MathJax
  loader (``<script data-mkdocs-jupyter-mathjax=…>``, fetching MathJax 4 from
  jsdelivr when a page has math) before ``</body>`` of *every* page, for
  Material's instant navigation; it is removed from every page too.
* **Math by KaTeX, like every page.** nbconvert leaves notebook math as raw
  ``$…$`` / ``$$…$$`` in the HTML of Markdown cells; here it is wrapped as
  pymdownx.arithmatex wraps a page's math, so docs/hooks/katex.py (listed
  after this hook) typesets it at build time.
* **The site's highlighting and copy button.** A code cell comes as
  ``<div class="highlight-ipynb hl-python"><pre>`` with nbconvert's own
  pygments colours and a ``<clipboard-copy>`` element; it becomes the markup
  pymdownx.highlight gives a page's block (``<div class="language-python
  highlight"><pre><code>``), which Material colours and gives its copy
  button. So does a fenced block in a Markdown cell (nbconvert highlights it
  without the ``<code>`` element that Material's button and the site's
  line wrapping look for).
* **The site's styles, not JupyterLab's.** The template inlines JupyterLab's
  whole stylesheet (575 KB, ~90 KB gzipped: most of a notebook page) and
  nbconvert's pygments colours in every page. They go; a few rules
  (``_STYLE``) hide the ``In [n]:`` prompts, frame each cell's output as the
  site frames a printed output, keep figures and long printed lines within
  the column, and show a heading's ``¶`` link on hover only, as Material
  does. With JupyterLab's styles, the pages with figures weighed 530-620 KB
  transferred (gzip, measured by tests/test_site.py), over the 500 KB limit.
* **Generated notebooks are left out of search:** each repeats its case
  study's text, so every hit would come twice (and the index, which every
  page loads, would carry that text twice). The quickstart is searched.
* **No cell tags above code.** Tags (``nbval-ignore-output``) tell the test
  runner what to compare; mkdocs-jupyter shows them as chips over the cell.
* **Links stay on this site.** A generated notebook links other pages by the
  published site's URL (it must work downloaded); here those links become
  relative again, so the built folder works offline and from ``file://``.
* **"Edit this page" opens the case study,** the source a generated
  notebook comes from, not the generated ``.ipynb``.

It also fills the nav's "Notebooks" section with one entry per case study
(in the order of the "Case studies" section) whose notebook exists, so a new
case study's notebook is listed without editing the nav, and gives each
notebook page and each case study with a notebook ``page.p2c_notebook``,
the relative URL of the ``.ipynb``, for the download button beside the title
(docs/overrides/partials/actions.html). mkdocs-jupyter's own ``nb_url`` is
an absolute path from ``site_url``, which breaks from ``file://`` and on a
local server.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import PurePosixPath

_LOADER = re.compile(r"<script data-mkdocs-jupyter[^>]*>.*?</script>\n?", re.S)
_TEMPLATE_STYLE = re.compile(r"<style\b[^>]*>.*?</style>\s*", re.S | re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_COMMENT = re.compile(r"<!-- (?:Load mathjax|MathJax configuration|End of mathjax configuration) -->")
_CLIPBOARD = re.compile(r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>', re.S)
_TAGS = re.compile(r'<div class="celltoolbar">\s*<div class="button_container tags_button_container">.*?</div>\s*</div>', re.S)
_CLIPBOARD_TEXT = re.compile(r'<div class="clipboard-copy-txt" id="[^"]*">.*?</div>', re.S)
_CODE = re.compile(
    r'<div class="highlight-ipynb hl-(?P<lang>[\w-]+)[^"]*"[^>]*><pre>(?:<span></span>)?(?P<code>.*?)</pre></div>',
    re.S,
)
# A fenced block in a Markdown cell: nbconvert highlights it, but without <code>.
_FENCED = re.compile(
    r'<div class="highlight"[^>]*><pre>(?:<span></span>)?(?!<code>)(?P<code>.*?)</pre></div>', re.S
)
_DISPLAY_P = re.compile(r"<p>\s*\$\$(.+?)\$\$\s*</p>", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)([^$]+?)(?<![\s\\])\$(?!\d)")
_PROTECTED = re.compile(r"(<(code|pre|style|script)\b.*?</\2>)", re.S)


_STYLE = """<style>
.jupyter-wrapper .jp-InputPrompt, .jupyter-wrapper .jp-OutputPrompt,
.jupyter-wrapper .jp-Collapser { display: none; }
.jupyter-wrapper .jp-OutputArea { margin: -0.6em 0 1em; padding-left: 0.6rem;
  border-left: 0.2rem solid var(--md-code-bg-color); }
.jupyter-wrapper .jp-OutputArea::before { content: "Out"; display: block; font-size: 0.64rem;
  color: var(--md-default-fg-color--light); padding-top: 0.4em; }
.jupyter-wrapper .jp-OutputArea-output pre { margin: 0.4em 0; overflow-x: auto;
  font-size: 0.85em; }
.jupyter-wrapper .jp-OutputArea-output img { max-width: 100%; height: auto; }
.jupyter-wrapper .anchor-link { visibility: hidden; margin-left: 0.3em; text-decoration: none; }
.jupyter-wrapper :is(h1, h2, h3, h4, h5, h6):hover .anchor-link { visibility: visible; }
</style>
"""


def _is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def _math(markdown_html: str) -> str:
    """Wrap ``$…$`` and ``$$…$$`` as arithmatex does, outside code, outputs and styles."""
    parts = _PROTECTED.split(markdown_html)
    out = []
    for i, part in enumerate(parts):
        if i % 3:  # a protected element (code, printed output, CSS), or its tag name
            if i % 3 == 1:
                out.append(part)
            continue
        part = _DISPLAY_P.sub(lambda m: f'<div class="arithmatex">\\[{m[1]}\\]</div>', part)
        part = _DISPLAY.sub(lambda m: f'<div class="arithmatex">\\[{m[1]}\\]</div>', part)
        part = _INLINE.sub(lambda m: f'<span class="arithmatex">\\({m[1]}\\)</span>', part)
        out.append(part)
    return "".join(out)


def notebook_html(content: str) -> str:
    """mkdocs-jupyter's page content, as this site shows a page."""
    content = _SCRIPT.sub("", content)
    content = _TEMPLATE_STYLE.sub("", content)
    content = _COMMENT.sub("", content)
    content = _CLIPBOARD.sub("", content)
    content = _CLIPBOARD_TEXT.sub("", content)
    content = _TAGS.sub("", content)
    content = _CODE.sub(
        lambda m: f'<div class="language-{m["lang"]} highlight"><pre><span></span><code>{m["code"]}</code></pre></div>',
        content,
    )
    content = _FENCED.sub(
        lambda m: f'<div class="highlight"><pre><span></span><code>{m["code"]}</code></pre></div>', content
    )
    return _STYLE + _math(content)


# --- MkDocs events ---------------------------------------------------------------


def _case_studies(nav) -> list[tuple[str, str]]:
    for section in nav:
        if isinstance(section, dict) and "Case studies" in section:
            return [next(iter(e.items())) for e in section["Case studies"] if isinstance(e, dict)]
    return []


def on_config(config, **kwargs):
    docs = PurePosixPath(config.docs_dir)
    from pathlib import Path

    for section in config.nav or []:
        if isinstance(section, dict) and "Notebooks" in section:
            listed = {next(iter(e.values())) for e in section["Notebooks"] if isinstance(e, dict)}
            for title, page in _case_studies(config.nav):
                notebook = f"notebooks/case-studies/{PurePosixPath(page).stem}.ipynb"
                if notebook not in listed and Path(docs / notebook).is_file():
                    section["Notebooks"].append({title: notebook})
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    # A case study's notebook, for the download button beside its title.
    src = PurePosixPath(page.file.src_uri)
    if src.parent.as_posix() == "case-studies":
        notebook = files.get_file_from_path(f"notebooks/case-studies/{src.stem}.ipynb")
        if notebook is not None:
            page.p2c_notebook = posixpath.relpath(
                f"notebooks/case-studies/{src.stem}.ipynb", posixpath.dirname(page.file.dest_uri)
            )
    return markdown


def on_post_page(output, page, config, **kwargs):
    return _LOADER.sub("", output)


def on_page_content(html_text, page, config, files, **kwargs):
    if not _is_notebook(page):
        return html_text
    src = PurePosixPath(page.file.src_uri)
    page.p2c_notebook = html.escape(src.name)
    source_page = files.get_file_from_path(f"case-studies/{src.stem}.md")
    if source_page is not None and src.parent.name == "case-studies":
        page.meta["search"] = {"exclude": True}  # Material's search plugin reads this
        if page.edit_url:
            page.edit_url = page.edit_url.replace(f"docs/{src}", f"docs/case-studies/{src.stem}.md")
    here = posixpath.dirname(page.file.dest_uri)
    site = (config.site_url or "").rstrip("/") + "/"

    def relative(m: re.Match[str]) -> str:
        target = m[1].split("#")[0]
        if files.get_file_from_path(target.removesuffix(".html") + ".md") is None:
            return m[0]  # not a page of this build: left as it is
        return 'href="' + posixpath.relpath(target, here or ".") + m[1][len(target):] + '"'

    html_text = notebook_html(html_text)
    if site != "/":
        html_text = re.sub(rf'href="{re.escape(site)}([^"]*)"', relative, html_text)
    return html_text
