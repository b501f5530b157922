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
* **No more elements than the content needs.** A page's cost on a phone
  grows with its element count (style and layout of every one): the PPO
  notebook page had 10,800. Of the ``<span>`` per pygments token, those
  that Material draws as plain code text go (``n``, a name, coloured
  ``--md-code-fg-color`` like the code itself, and ``w``, whitespace), and
  neighbouring tokens of one class share one span: the colours are the
  same. Of JupyterLab's eight nested ``<div>`` per code cell (a copy of the
  cell's own ``<div>``, input and output wrappers, editor, prompt,
  collapser), each cell keeps its own ``<div>``, its code block and its
  output area; the hidden prompts and collapsers go with their content.
* **Nothing moves after the first paint.** A figure (an inline PNG) gets
  the ``width`` and ``height`` of its PNG header, so the browser reserves its
  box before it has the image; and it becomes a file beside the page
  (``NAME-figure-N.png``), loaded lazily: inline, its base64 was two thirds of
  the PPO notebook page's gzipped bytes, all downloaded before the first
  paint, for a figure far below the first screen. The first code cell is marked
  ``p2c-first-block`` (``_STYLE``): site.css lays out code blocks only near the screen
  (``content-visibility: auto``, a 12rem placeholder until then), and a
  first code cell on a phone's first screen grew from the placeholder to
  its height after the first paint, moving everything below it. That was
  the layout shift of 0.20-0.44 that Lighthouse measured on the case-study
  notebooks, when their 40-line set-up cell came right under the title;
  the set-up now comes after the claim (tests/case_study_notebooks.py),
  below the first screen, and the mark keeps steady a notebook whose first
  code cell is on it (the quickstart's: 0.012 without it).
* **The site's styles, not JupyterLab's.** The template inlines JupyterLab's
  whole stylesheet (575 KB, ~90 KB gzipped: most of a notebook page) and
  nbconvert's pygments colours in every page. They go; a few rules
  (``_STYLE``, in the page: no other page needs them) frame each cell's
  output as the site frames a printed output, keep figures and long printed
  lines within the column, and show a heading's ``¶`` link on hover only,
  as Material does. With JupyterLab's styles, the pages with
  figures weighed 530-620 KB transferred (gzip, measured by
  tests/test_site.py), over the 500 KB limit.
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

import base64
import html
import posixpath
import re
import struct
from pathlib import Path, PurePosixPath

_LOADER = re.compile(r"<script data-mkdocs-jupyter[^>]*>.*?</script>\n?", re.S)
_TEMPLATE_STYLE = re.compile(r"<style\b[^>]*>.*?</style>\s*", re.S | re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_COMMENT = re.compile(
    r"<!-- (?:Load mathjax|MathJax configuration|End of mathjax configuration|End of mermaid configuration"
    r"|jupyter-wrapper|jp-Notebook) -->"
)
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


# The notebook pages' few rules, in the page (only these pages need them: in site.css every
# other page would download them too). The output framed as the site frames a printed
# output, figures and long printed lines kept in the column, a heading's link shown on
# hover only (as Material does), and the first code cell laid out with the page (see
# notebook_html).
_STYLE = (
    "<style>"
    ".jupyter-wrapper .jp-OutputArea{margin:-0.6em 0 1em;padding-left:0.6rem;"
    "border-left:0.2rem solid var(--md-code-bg-color)}"
    '.jupyter-wrapper .jp-OutputArea::before{content:"Out";display:block;font-size:0.64rem;'
    "color:var(--md-default-fg-color--light);padding-top:0.4em}"
    ".jupyter-wrapper .jp-OutputArea-output pre{margin:0.4em 0;overflow-x:auto;font-size:0.85em}"
    ".jupyter-wrapper .jp-OutputArea-output img{max-width:100%;height:auto}"
    ".jupyter-wrapper .anchor-link{visibility:hidden;margin-left:0.3em;text-decoration:none}"
    ".jupyter-wrapper :is(h1,h2,h3,h4,h5,h6):hover .anchor-link{visibility:visible}"
    ".md-typeset div.highlight.p2c-first-block{content-visibility:visible}"
    "</style>\n"
)
# What is left of JupyterLab's markup, cell by cell: a wrapper that only
# JupyterLab's own stylesheet (gone) or its editor would use is unwrapped, the
# hidden prompts and collapsers are dropped with their content.
_DROPPED = frozenset({"jp-Collapser", "jp-InputPrompt", "jp-OutputPrompt"})
_UNWRAPPED = frozenset({
    "jp-Notebook", "jp-Cell-inputWrapper", "jp-InputArea", "jp-CodeMirrorEditor", "CodeMirror",
    "jp-Cell-outputWrapper", "jp-OutputArea-child", "jp-RenderedMarkdown",
})
_DIV = re.compile(r"<div\b[^>]*>|</div\s*>")
_CLASS = re.compile(r'\bclass="([^"]*)"')
# Pygments token classes, by the colour Material 9 gives them in both schemes (its
# stylesheet's ``.highlight .CLASS`` rules and their --md-code-hl-*-color values;
# site.css gives ``.sd`` the comments' grey). Operators, punctuation, variables and
# generic output share --md-default-fg-color--light. ``n`` and ``kc`` are drawn in
# --md-code-hl-name-color, which is --md-code-fg-color, the code's own colour, and
# ``w`` is whitespace: their spans draw nothing. Neighbouring tokens of one colour
# can share one span.
_COLOURS = {
    "light": "o ow p na nv vc vg vi ge gh go gp gr gs gt gu", "string": "cpf l s s1 s2 sb sc si ss",
    "special": "cp se sh sr sx", "number": "il m mb mf mh mi mo",
    "keyword": "k kd kn kp kr kt nd ni nl nt", "constant": "bp nb no", "function": "nc ne nf nn",
    "comment": "c c1 ch cm cs sd",
    "": "n kc w",
}
_COLOUR = {cls: colour for colour, classes in _COLOURS.items() for cls in classes.split()}
_TOKEN = re.compile(r'<span class="([\w-]+)">([^<]*)</span>')
_CODE_BODY = re.compile(r"(<pre><span></span><code>)(.*?)(</code></pre>)", re.S)
_PNG = re.compile(r'<img\b(?![^>]*\bwidth=)(?P<attrs>[^>]*?)\bsrc="data:image/png;base64,(?P<head>[A-Za-z0-9+/]{32})')
_INLINE_PNG = re.compile(r'(<img\b[^>]*?\bsrc=")data:image/png;base64,([A-Za-z0-9+/=\s]+)"')
_FIRST_BLOCK = re.compile(r'<div class="language-[\w-]+ highlight')


def _flatten(content: str) -> str:
    """The notebook's markup without JupyterLab's wrappers: one <div> per cell, one
    per output area and output, the code block; prompts and collapsers dropped."""
    out: list[str] = []
    stack: list[str] = []  # per open <div>: "keep", "unwrap", "drop", or "inside" a dropped one
    dropping, pos = 0, 0
    for m in _DIV.finditer(content):
        if not dropping:
            out.append(content[pos : m.start()])
        pos = m.end()
        if m[0].startswith("</"):
            action = stack.pop() if stack else "keep"
            if action == "drop":
                dropping -= 1
            elif action == "keep" and not dropping:
                out.append(m[0])
            continue
        if dropping:
            stack.append("inside")
            continue
        classes = set(_CLASS.search(m[0])[1].split()) if _CLASS.search(m[0]) else set()
        if classes & _DROPPED:
            action = "drop"
            dropping += 1
        elif classes & _UNWRAPPED or ("jp-Cell" in classes and " id=" not in m[0]):
            action = "unwrap"  # the template wraps each code cell in a copy of itself, without id
        else:
            action = "keep"
            out.append(m[0])
        stack.append(action)
    out.append(content[pos:])
    return "".join(out)


def _fewer_spans(code: str) -> str:
    """Highlighted code with the same colours in fewer elements: a token drawn in the
    code's own colour loses its span, and a token of the colour of the span before it
    (whitespace between them) joins that span. A class not listed is left as it is."""
    pieces: list[list[str | None]] = []  # [class or None for plain text, text]
    pos = 0

    def text(plain: str) -> None:
        if pieces and pieces[-1][0] is None:
            pieces[-1][1] += plain
        elif plain:
            pieces.append([None, plain])

    for m in _TOKEN.finditer(code):
        text(code[pos : m.start()])
        pos = m.end()
        cls, token = m[1], m[2]
        colour = _COLOUR.get(cls)
        if colour == "":
            text(token)
            continue
        gap = pieces[-1][1] if pieces and pieces[-1][0] is None else ""
        before = (pieces[-2] if len(pieces) > 1 else None) if gap else (pieces[-1] if pieces else None)
        if (colour is not None and before is not None and before[0] is not None
                and _COLOUR.get(before[0]) == colour and gap.strip() == "" and "<" not in gap):
            if gap:
                pieces.pop()
            before[1] += gap + token
        else:
            pieces.append([cls, token])
    text(code[pos:])
    return "".join(t if c is None else f'<span class="{c}">{t}</span>' for c, t in pieces)


def external_figures(content: str, stem: str) -> tuple[str, dict[str, bytes]]:
    """The page with each inline PNG (a figure a cell drew) as a file beside it,
    ``STEM-figure-N.png``, loaded lazily: base64 in the page, a figure is bytes every
    reader downloads before the first paint (two thirds of the PPO notebook page, gzipped),
    and it is never on the first screen. Returns the page and the files' bytes by name."""
    figures: dict[str, bytes] = {}

    def move(m: re.Match[str]) -> str:
        name = f"{stem}-figure-{len(figures) + 1}.png"
        figures[name] = base64.b64decode(m[2])
        return m[1].replace("<img", '<img loading="lazy" decoding="async"', 1) + name + '"'

    return _INLINE_PNG.sub(move, content), figures


def _png_size(m: re.Match[str]) -> str:
    """An inline PNG with its width and height (from its header): the browser reserves
    its box before decoding it, so nothing below it moves."""
    header = base64.b64decode(m["head"])
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        return m[0]
    width, height = struct.unpack(">II", header[16:24])
    return f'<img width="{width}" height="{height}"{m["attrs"].rstrip()} src="data:image/png;base64,{m["head"]}'


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
    content = _CODE_BODY.sub(lambda m: m[1] + _fewer_spans(m[2]) + m[3], content)
    content = _PNG.sub(_png_size, content)
    # The first code cell may be on a phone's first screen: laid out at once, not from
    # content-visibility's 12rem placeholder (site.css), which would move what follows.
    content = _FIRST_BLOCK.sub(lambda m: m[0] + " p2c-first-block", content, count=1)
    return _STYLE + _math(_flatten(content))


# --- MkDocs events ---------------------------------------------------------------


def _case_studies(nav) -> list[tuple[str, str]]:
    for section in nav:
        if isinstance(section, dict) and "Case studies" in section:
            return [next(iter(e.items())) for e in section["Case studies"] if isinstance(e, dict)]
    return []


def on_config(config, **kwargs):
    docs = PurePosixPath(config.docs_dir)
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

    html_text, figures = external_figures(notebook_html(html_text), src.stem)
    for name, data in figures.items():
        path = Path(config.site_dir) / here / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if site != "/":
        html_text = re.sub(rf'href="{re.escape(site)}([^"]*)"', relative, html_text)
    return html_text
