"""MkDocs hook: draw figures into pages when the site is built.

A line ``<!-- plot: paper2code.figures.workflow:lr_range -->`` in a page is replaced by
the figure that function returns (a matplotlib ``Figure``), inlined as SVG:
no image file to commit or to go stale, nothing fetched by the browser. The
functions compute from code or from recorded results committed beside the
pages; the test suite runs the same code. An error is a warning, so
``mkdocs build --strict`` fails.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import logging
import re

log = logging.getLogger("mkdocs.hooks.plots")
_MARKER = re.compile(r"^<!--\s*plot:\s*([\w.]+):(\w+)\s*-->\s*$", re.MULTILINE)
_cache: dict[str, str] = {}


def _render(target: str) -> str:
    if target not in _cache:
        import matplotlib

        matplotlib.use("Agg")
        matplotlib.rcParams["svg.hashsalt"] = "paper2code"  # stable ids: same figure, same SVG
        module_name, func_name = target.split(":")
        fig = getattr(importlib.import_module(module_name), func_name)()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        import matplotlib.pyplot as plt

        plt.close(fig)
        title = fig.get_suptitle() or (fig.axes[0].get_title() if fig.axes else target)
        data = base64.b64encode(buffer.getvalue()).decode()
        _cache[target] = (
            f'<figure class="p2c-plot"><img alt="{html.escape(title)}" '
            f'src="data:image/svg+xml;base64,{data}"/></figure>'
        )
    return _cache[target]


def on_page_markdown(markdown, page, config, files, **kwargs):
    def replace(m: re.Match[str]) -> str:
        target = f"{m.group(1)}:{m.group(2)}"
        try:
            return _render(target)
        except Exception as err:  # noqa: BLE001 - reported as a build warning
            log.warning("%s: cannot draw %s: %s: %s", page.file.src_uri, target, type(err).__name__, err)
            return f"<p><code>{html.escape(target)}</code> could not be drawn.</p>"

    return _MARKER.sub(replace, markdown)


def on_pre_build(config, **kwargs):
    _cache.clear()  # each build, `mkdocs serve`'s rebuilds too, draws from current code
