"""MkDocs hook: show a block's printed Markdown table as a real table.

A block that prints a Markdown pipe table (a reproduction report, say) shows
what it prints in ``#>`` lines, and the test harness checks those lines
against what the code prints (``docs/conftest.py``). Put this line right
before the block:

    <!-- output: table -->

and the site shows the block without the table's ``#>`` lines, followed by
the table itself, rendered by Markdown as an HTML ``<table>``. The page's
source keeps the ``#>`` lines, so the harness still checks every cell: one
source of truth. Lines the block prints besides the table stay in the code
block as they are. The table may sit inside an admonition or a tab (indented);
the marker then has the fence's indentation.

A marker that is not followed by a fenced block, or whose block shows no
pipe table in its ``#>`` lines, is a build warning, so ``mkdocs build
--strict`` fails. See docs/handbook/tested-pages.md.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("mkdocs.hooks.outputs")

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*output:\s*table\s*-->[ \t]*\n", re.MULTILINE)
_FENCE_OPEN = re.compile(r"(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n")
_OUTPUT = re.compile(r"^[ \t]*#>(?: |$)(?P<text>.*)$")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


class MarkerError(ValueError):
    """A ``<!-- output: table -->`` marker that cannot be honoured."""


def _split_table(body: list[str]) -> tuple[list[str], list[str]]:
    """Return (the block's lines without the table's ``#>`` lines, the table's lines)."""
    kept: list[str] = []
    table: list[str] = []
    for line in body:
        m = _OUTPUT.match(line)
        text = m.group("text").strip() if m else None
        if text is not None and text.startswith("|") and (not table or kept[-1:] == [None]):
            table.append(text)
            kept.append(None)  # type: ignore[arg-type] - a placeholder: the table runs on
            continue
        kept.append(line)
    if table and len(table) >= 2 and _SEPARATOR.match(table[1]):
        return [line for line in kept if line is not None], table
    raise MarkerError("its block shows no Markdown table (a '#> | ... |' header and separator)")


def render_tables(markdown: str) -> str:
    """Apply every ``<!-- output: table -->`` marker in one page's Markdown."""
    out: list[str] = []
    pos = 0
    for marker in MARKER.finditer(markdown):
        if marker.start() < pos:
            continue  # inside a block already rewritten
        indent = marker.group("indent")
        opening = _FENCE_OPEN.match(markdown, marker.end())
        if opening is None or opening.group("indent") != indent:
            line = markdown.count("\n", 0, marker.start()) + 1
            raise MarkerError(f"line {line}: the marker is not followed by a fenced block")
        fence = opening.group("fence")
        closing = re.compile(rf"^{re.escape(indent)}{re.escape(fence)}[ \t]*$", re.MULTILINE)
        end = closing.search(markdown, opening.end())
        if end is None:
            line = markdown.count("\n", 0, marker.start()) + 1
            raise MarkerError(f"line {line}: the fenced block after the marker is not closed")
        body = markdown[opening.end():end.start()].split("\n")[:-1]
        try:
            kept, table = _split_table(body)
        except MarkerError as err:
            line = markdown.count("\n", 0, marker.start()) + 1
            raise MarkerError(f"line {line}: {err}") from None
        out.append(markdown[pos:marker.start()])
        out.append(opening.group(0))
        out.extend(line + "\n" for line in kept)
        out.append(end.group(0) + "\n\n")
        out.append(f'{indent}<div class="p2c-output" markdown>\n\n')
        out.extend(f"{indent}{row}\n" for row in table)
        out.append(f"\n{indent}</div>\n")
        pos = end.end()
        if markdown.startswith("\n", pos):
            pos += 1
    out.append(markdown[pos:])
    return "".join(out)


def on_page_markdown(markdown, page, config, files, **kwargs):
    if "output:" not in markdown:
        return markdown
    try:
        return render_tables(markdown)
    except MarkerError as err:
        log.warning("%s: <!-- output: table -->: %s", page.file.src_uri, err)
        return markdown
