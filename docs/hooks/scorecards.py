"""MkDocs hook: put a case study's scorecard and deviation log into its page.

A line ``<!-- scorecard: lora -->`` in a page is replaced by the scorecard
recorded in ``docs/data/scorecards/lora.json``, as a Markdown table, and
``<!-- deviations: lora -->`` by its deviation log. The recording holds the
facts of a test run (which tests link to which leaf, their outcomes, our
values); the states are computed here by `paper2code.scoring.rubric`, the same code
as `paper2code report`. The test suite compares the recording with every
run, so the site builds without running the tests and still shows what they
gave. A missing or unreadable recording is a warning: ``--strict`` fails.
"""

from __future__ import annotations

import html
import logging
import re

log = logging.getLogger("mkdocs.hooks.scorecards")
_MARKER = re.compile(r"^<!--\s*(scorecard|deviations):\s*(\w+)\s*-->\s*$", re.MULTILINE)


def on_page_markdown(markdown, page, config, files, **kwargs):
    from paper2code.case_studies import scorecard

    def replace(m: re.Match[str]) -> str:
        try:
            card = scorecard(m.group(2))
        except Exception as err:  # noqa: BLE001 - reported as a build warning
            log.warning("%s: no scorecard %s: %s: %s", page.file.src_uri, m.group(2),
                        type(err).__name__, err)
            return f"<p><code>{html.escape(m.group(2))}</code>: no scorecard.</p>"
        return card.render_markdown() if m.group(1) == "scorecard" else card.render_deviations()

    return _MARKER.sub(replace, markdown)
