"""MkDocs hook: show the reader why a block is not run by the test suite.

The harness (``docs/conftest.py``) skips the block after a directive such as
``<!-- skip: next "starts a web server" -->`` or
``<!-- skip: next if(not CUDA, reason="needs a CUDA GPU") -->``. An HTML
comment is invisible on the site, so this hook puts a note with the same
reason in front of the block, at the block's indentation (inside tabs and
admonitions too). The tests read the Markdown source, not this output.
"""

from __future__ import annotations

import html
import re

_SKIP = re.compile(
    r"""^(?P<indent>[ \t]*)<!--\s*skip:\s*next\s+(?P<args>.*?)\s*-->[ \t]*$""", re.MULTILINE
)
_PLAIN = re.compile(r"""^(["'])(?P<reason>.+)\1$""")
_CONDITIONAL = re.compile(r"""^if\(\s*not\s+(?P<name>\w+)\s*,\s*reason=(["'])(?P<reason>.+)\2\s*\)$""")
_CONDITIONS = {"CUDA": "a CUDA GPU is present"}


def skip_note(args: str) -> str | None:
    """The sentence a reader sees for one skip directive's arguments."""
    plain = _PLAIN.match(args)
    if plain:
        return f"Not run by the test suite: {plain['reason']}."
    conditional = _CONDITIONAL.match(args)
    if conditional:
        where = _CONDITIONS.get(conditional["name"], f"{conditional['name']} is true")
        return f"Run by the test suite only where {where}: {conditional['reason']}."
    return None


def on_page_markdown(markdown: str, page, config, files) -> str:
    def note(m: re.Match) -> str:
        text = skip_note(m["args"])
        if text is None:
            return m.group(0)
        indent = m["indent"]
        return (
            f'{m.group(0)}\n{indent}<p class="p2c-skip" markdown="span">'
            f"{html.escape(text)}</p>\n"
        )

    return _SKIP.sub(note, markdown)
