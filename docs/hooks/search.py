"""MkDocs hook: what the search box finds, and in what order.

* Code blocks are left out of the search index (Material skips an element
  with ``data-search-exclude``): the index then holds the explanations, not
  every line of the package a second time, and a query lands on the prose
  that explains a name rather than on the lines that use it. The API pages
  keep their headings and docstrings, so ``MultiHeadAttention`` still finds
  its reference entry.
* So are the API pages' "Source code" listings, as a whole ``<details>``:
  the exclusion Material applies to an element ends at the first closing
  tag of its kind, and a listing with line numbers nests a ``<div>`` (the
  numbers) before its code, so marking the listing's own ``<div>`` left the
  code itself in the index (a third of the index, measured, before this).
* KaTeX's visual markup is left out too; its MathML (with the TeX source)
  stays, so a formula can still be found by what it says.
* The API reference ranks below the handbook's pages (``search.boost``), so
  "attention" opens the chapter that explains it before the docstring.
"""

from __future__ import annotations

import re

REFERENCE_BOOST = 0.5
_CODE_BLOCK = re.compile(r'<div class="[^"]*\bhighlight\b[^"]*"')
_KATEX_HTML = re.compile(r'<span class="katex-html" aria-hidden="true"')
_SOURCE = re.compile(r'<details class="mkdocstrings-source"')


def exclude_code_and_math_markup(html: str) -> str:
    html = _CODE_BLOCK.sub(lambda m: m.group(0) + " data-search-exclude", html)
    html = _SOURCE.sub(lambda m: m.group(0) + " data-search-exclude", html)
    return _KATEX_HTML.sub(lambda m: m.group(0) + " data-search-exclude", html)


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.file.src_uri.startswith("reference/"):
        search = page.meta.setdefault("search", {})
        if isinstance(search, dict):
            search.setdefault("boost", REFERENCE_BOOST)
    return markdown


def on_page_content(html, page, config, files, **kwargs):
    return exclude_code_and_math_markup(html)
