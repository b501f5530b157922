"""MkDocs hook: one heading per API page.

A reference page is ``# paper2code.x`` followed by ``::: paper2code.x``. The
H1 keeps the Markdown readable and names the page for anyone who opens the
file, but mkdocstrings renders the module's own heading (an H1 too, with the
anchor that cross-references point to), so the site would show the name
twice. This hook drops the Markdown H1 when it is exactly the name that the
``:::`` line right after it documents. It also links mkdocstrings' stylesheet
only from the pages that show mkdocstrings' output.
"""

from __future__ import annotations

import re

_DUPLICATE_H1 = re.compile(r"\A\s*#\s+`?(?P<name>[\w.]+)`?\s*\n\s*(?=:::\s+(?P=name)\s*$)", re.MULTILINE)


def drop_duplicate_h1(markdown: str) -> str:
    return _DUPLICATE_H1.sub("", markdown, count=1)


def on_page_markdown(markdown, page, config, files, **kwargs):
    return drop_duplicate_h1(markdown)


_MKDOCSTRINGS_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*_mkdocstrings\.css">\n?')


def on_post_page(output, page, config, **kwargs):
    # mkdocstrings' stylesheet only where it renders something: one blocking request less.
    if 'class="doc doc-' not in output:
        output = _MKDOCSTRINGS_CSS.sub("", output)
    return output
