"""MkDocs hook: show each notebook under docs/ as an ordinary page.

``docs/notebooks/quickstart.ipynb`` becomes the page ``notebooks/quickstart.md``
(generated in memory; the nav names it so), and the notebook file itself is
published beside it for download. The page is plain Markdown built from the
cells: Markdown cells as they are (their math goes through the KaTeX hook
like any page's), code cells as ``python`` blocks with the site's
highlighting and copy button, and each cell's stored outputs under it. So the
page weighs what any page weighs, loads nothing from another host, and looks
the same whatever nbconvert or mkdocs-jupyter release a Python version gets.

The notebook is stored with its outputs; tests/test_notebooks.py re-executes
it and checks that every output shown is the output the code gives (as nbval
does), so what this page shows is checked like every ``#>`` line elsewhere.
"""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.notebooks")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _fenced(text: str, lang: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}\n"


def _output_markdown(output: dict, where: str) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return _fenced(_text(output.get("text", "")), "text")
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        for mime in ("image/svg+xml", "image/png", "image/jpeg"):
            if mime in data:
                payload = _text(data[mime]).strip()
                if mime == "image/svg+xml":
                    import base64

                    payload = base64.b64encode(payload.encode()).decode()
                alt = html.escape(_text(data.get("text/plain", "figure")).strip(), quote=True)
                return f'<img alt="{alt}" src="data:{mime};base64,{payload}"/>\n'
        if "text/markdown" in data:
            return _text(data["text/markdown"]) + "\n"
        if "text/plain" in data:
            return _fenced(_text(data["text/plain"]), "text")
    if kind == "error":
        log.warning("%s: a cell is stored with an error: %s", where, output.get("ename"))
        return _fenced("\n".join(output.get("traceback", [])), "text")
    log.warning("%s: an output of a kind the site cannot show: %s", where, kind)
    return ""


def notebook_markdown(nb: dict, download_name: str, where: str = "notebook") -> str:
    """The Markdown page for one notebook (``nb`` as read from the .ipynb JSON)."""
    language = nb.get("metadata", {}).get("language_info", {}).get("name", "python")
    download = (
        f'[Download the notebook (`{download_name}`)]({download_name}){{ download="{download_name}" }}'
        " · every output below is re-computed and compared by the test suite.\n"
    )
    parts: list[str] = []
    placed = False
    for cell in nb.get("cells", []):
        source = _text(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            if not placed and re.match(r"#\s", source):
                title, _, rest = source.partition("\n")
                parts.append(f"{title}\n\n{download}\n{rest.strip()}\n")
                placed = True
            else:
                parts.append(source.rstrip() + "\n")
        elif cell.get("cell_type") == "code":
            parts.append(_fenced(source, language))
            shown = [_output_markdown(o, where) for o in cell.get("outputs", [])]
            shown = [s for s in shown if s]
            if shown:
                body = "\n".join(shown)
                parts.append(f'<div class="p2c-cell-output" markdown>\n\n{body}\n</div>\n')
        # raw cells are not shown, as in Jupyter's own HTML export
    if not placed:
        parts.insert(0, download)
    return "\n".join(parts)


def on_files(files, config, **kwargs):
    for nb_file in [f for f in files if f.src_uri.endswith(".ipynb")]:
        page_uri = nb_file.src_uri[: -len(".ipynb")] + ".md"
        with open(nb_file.abs_src_path, encoding="utf-8") as handle:
            nb = json.load(handle)
        content = notebook_markdown(nb, posixpath.basename(nb_file.src_uri), nb_file.src_uri)
        page = File.generated(config, page_uri, content=content)
        page.edit_uri = nb_file.edit_uri  # "edit this page" opens the notebook
        files.append(page)
    return files
