"""The handbook's notebooks: generated from their pages, showing what their code gives.

``docs/notebooks/**/*.ipynb`` are committed with their outputs (the site shows
them; a reader who downloads one sees them before running anything). The
quickstart is written as a notebook; each case study's notebook is generated
from its page by tests/case_study_notebooks.py. Checked here:

* cheaply, in every run: each case study's committed notebook is a fresh
  conversion of its page (the page is the source: an edited page with a
  stale notebook fails, naming the command that regenerates it), and its
  stored outputs are the lines the page shows (``#>``), within the tolerance
  a page block declares; no cell is stored unexecuted or with an error;
* with ``--integration``: nbval executes every notebook in a fresh Jupyter
  kernel and compares each cell's outputs with the stored ones (a cell
  tagged ``nbval-ignore-output`` runs without the comparison: the device
  found, digits that float rounding decides), and a planted wrong output
  fails it. Executing all of them costs minutes of CPU, too much for the
  suite's 60 s.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.case_study_notebooks import (
    NBVAL_IGNORE,
    OUT,
    ROOT,
    case_studies,
    convert,
    page_outputs,
    sources,
)

NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").rglob("*.ipynb"))
CASE_STUDIES = case_studies()
REGENERATE = "uv run python -m tests.case_study_notebooks {name}"


@functools.cache
def _harness():
    """docs/conftest.py, for its comparison of shown and printed lines (one rule for both)."""
    spec = importlib.util.spec_from_file_location("p2c_docs_harness", ROOT / "docs" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_case_study_has_a_notebook():
    missing = [n for n in CASE_STUDIES if not (OUT / f"{n}.ipynb").is_file()]
    assert missing == [], f"run: {REGENERATE.format(name=' '.join(missing))}"


@pytest.mark.parametrize("name", CASE_STUDIES)
def test_notebook_is_a_fresh_conversion_of_its_page(name):
    path = OUT / f"{name}.ipynb"
    if not path.is_file():
        pytest.fail(f"no {path.name}: run {REGENERATE.format(name=name)}")
    committed = nbformat.read(path, as_version=4)
    assert sources(committed) == sources(convert(name)), (
        f"{path.name} is not what its page converts to now: run {REGENERATE.format(name=name)}"
    )


@pytest.mark.parametrize("name", CASE_STUDIES)
def test_notebook_opens_with_its_claim_and_a_set_up_of_only_what_its_cells_use(name):
    """The first cell is Markdown: the title, the claim, what it runs and one line of
    provenance; the set-up cell binds no name that the notebook's cells do not read."""
    import ast

    from tests.case_study_notebooks import used_names

    nb = nbformat.read(OUT / f"{name}.ipynb", as_version=4)
    opening, setup = nb.cells[0], nb.cells[1]
    assert opening.cell_type == "markdown" and opening.source.startswith("# ")
    assert "**This notebook runs**" in opening.source and "*Generated from [its page](" in opening.source
    assert setup.cell_type == "code" and not setup.source.lstrip().startswith("#")
    cells = [c.source for c in nb.cells[2:] if c.cell_type == "code"]
    bound = set()
    for node in ast.parse(setup.source).body:
        if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", "") != "__future__":
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    read_by_set_up = {n.id for n in ast.walk(ast.parse(setup.source)) if isinstance(n, ast.Name)}
    assert bound - used_names(cells) - read_by_set_up == set()


def test_the_set_up_keeps_exactly_the_imports_that_bind_a_name_read():
    from tests.case_study_notebooks import keep_used, used_names

    cells = ["x = torch.zeros(2)\nfrom math import pi\nprint(pi, F.relu(x))", "%matplotlib inline\ny = Path('.')"]
    assert used_names(cells) == {"torch", "F", "Path"}  # pi and x bound by a cell, print a builtin
    imports = ["import torch.distributed as dist", "import torch", "from pathlib import Path, PurePath",
               "import torch.nn.functional as F", "from math import pi"]
    assert keep_used(imports, used_names(cells)) == ["import torch", "from pathlib import Path",
                                                     "import torch.nn.functional as F"]


def stored_problems(nb: nbformat.NotebookNode, shown: list, lines_match, block_tolerance) -> list[str]:
    """Where a notebook's stored outputs differ from what its page shows (one line each)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    problems = []
    if len(code) != len(shown) + 1:
        return [f"{len(code)} code cells for the page's {len(shown)} blocks and the set-up cell"]
    for number, cell in enumerate(code):
        if cell.execution_count is None:
            problems.append(f"code cell {number} was not executed")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            problems.append(f"code cell {number} is stored with an error: {errors[0].ename}")
    for number, (cell, expected) in enumerate(zip(code[1:], shown, strict=True), start=1):
        printed = "".join(o.text for o in cell.outputs if o.get("name") == "stdout")
        printed = [line.rstrip() for line in printed.rstrip("\n").splitlines()]
        if expected is None:  # a figure
            if not any("image/png" in o.get("data", {}) for o in cell.outputs):
                problems.append(f"code cell {number} draws no figure")
            continue
        tolerance = block_tolerance(cell.source)
        same = len(printed) == len(expected) and all(
            lines_match(a, b, tolerance) for a, b in zip(expected, printed, strict=True)
        )
        if not same:
            problems.append(f"code cell {number}: the page shows {expected!r}, the notebook {printed!r}")
    return problems


@pytest.mark.parametrize("name", CASE_STUDIES)
def test_notebook_stores_the_outputs_its_page_shows(name):
    path = OUT / f"{name}.ipynb"
    if not path.is_file():
        pytest.fail(f"no {path.name}: run {REGENERATE.format(name=name)}")
    harness = _harness()
    nb = nbformat.read(path, as_version=4)
    assert stored_problems(nb, page_outputs(name), harness.lines_match, harness.block_tolerance) == []


def test_a_wrong_stored_output_differs_from_the_page():
    harness = _harness()
    nb = nbformat.read(OUT / "grokking.ipynb", as_version=4)
    shown = page_outputs("grokking")
    cell = [c for c in nb.cells if c.cell_type == "code"][6]  # the tiny run, tolerance 0.1
    assert stored_problems(nb, shown, harness.lines_match, harness.block_tolerance) == []
    cell.outputs[0].text = cell.outputs[0].text.replace("1.00", "0.95")  # within 0.1: still right
    assert stored_problems(nb, shown, harness.lines_match, harness.block_tolerance) == []
    cell.outputs[0].text = cell.outputs[0].text.replace("0.95", "0.85")  # beyond it: wrong
    assert len(stored_problems(nb, shown, harness.lines_match, harness.block_tolerance)) == 1


# --- executed in a kernel: nbval (--integration) ----------------------------------------


def nbval(*paths: Path) -> subprocess.CompletedProcess:
    """``pytest --nbval`` on ``paths``, in a process of its own (it starts Jupyter kernels)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", "-n", "auto", "--dist", "loadfile", "--rootdir", str(ROOT), *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )


@pytest.mark.integration
def test_nbval_executes_every_notebook_to_its_stored_outputs():
    result = nbval(*NOTEBOOKS)
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.integration
def test_nbval_fails_on_a_planted_wrong_output(tmp_path):
    quickstart = ROOT / "docs" / "notebooks" / "quickstart.ipynb"
    nb = json.loads(quickstart.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and NBVAL_IGNORE not in
                c.get("metadata", {}).get("tags", []) and c.get("outputs"))
    cell["outputs"][0]["text"] = ["".join(cell["outputs"][0]["text"]).replace("2.30", "2.31")]
    planted = tmp_path / "quickstart.ipynb"
    planted.write_text(json.dumps(nb), encoding="utf-8")
    shutil.copy(quickstart, tmp_path / "unchanged.ipynb")
    result = nbval(planted, tmp_path / "unchanged.ipynb")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "1 failed" in result.stdout and "2.31" in result.stdout


# --- what docs/hooks/jupyter.py does to mkdocs-jupyter's HTML ------------------------------


def test_the_hook_makes_a_rendered_notebook_a_page_of_this_site():
    """On the installed mkdocs-jupyter's own output for the quickstart: no script left (a
    MathJax or mermaid loader would reach a CDN), math handed to the KaTeX hook, code cells
    marked up as the site's blocks (Material's colours and copy button), no tag chips, and
    JupyterLab's stylesheet replaced by a few rules (the page must stay under 500 KB)."""
    from mkdocs_jupyter.convert import nb2html

    spec = importlib.util.spec_from_file_location("p2c_jupyter_hook", ROOT / "docs" / "hooks" / "jupyter.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    rendered = nb2html(str(ROOT / "docs" / "notebooks" / "quickstart.ipynb"))
    assert "<script" in rendered and "highlight-ipynb" in rendered  # what there is to undo
    page = hook.notebook_html(rendered)
    assert "<script" not in page
    assert page.count("<style") == 1 and len(page) < len(rendered) / 20  # JupyterLab's CSS gone, ours left
    # The first code cell is laid out with the page (no content-visibility placeholder).
    assert page.count('<div class="language-python highlight p2c-first-block"><pre><span></span><code>') == 1
    assert page.count('<div class="language-python highlight"><pre><span></span><code>') == 2
    assert "<clipboard-copy" not in page and '<div class="celltoolbar">' not in page
    assert page.count('<span class="arithmatex">') == 3 and page.count('<div class="arithmatex">') == 1
    prose = re.sub(r"<(pre|style)\b.*?</\1>", "", page, flags=re.S)
    assert "$" not in prose  # no raw TeX left
    assert "initial loss 2.30" in page  # the outputs stay
    # mkdocs-jupyter 0.27 (Python >= 3.12) puts its MathJax loader on every page.
    loader = ('<script data-mkdocs-jupyter-mathjax="{&quot;url&quot;: &quot;https://cdn.jsdelivr.net/'
              'npm/mathjax@4.1.3/tex-mml-chtml.js&quot;}">\nconst x = 1;\n</script>\n')
    assert hook.on_post_page(f"<main></main>{loader}</body>", page=None, config=None) == "<main></main></body>"


def _hook():
    spec = importlib.util.spec_from_file_location("p2c_jupyter_hook", ROOT / "docs" / "hooks" / "jupyter.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


def _coloured(code_html: str, colour_of) -> tuple[str, list[tuple[str, str]]]:
    """A block's text, and which colour each of its characters is drawn in (by token)."""
    import html as html_lib

    text, colours, pos = [], [], 0
    for m in re.finditer(r'<span class="([\w-]+)">([^<]*)</span>', code_html):
        plain = html_lib.unescape(re.sub(r"<[^>]+>", "", code_html[pos:m.start()]))
        token = html_lib.unescape(m[2])
        text += [plain, token]
        colours += [(colour_of(""), c) for c in plain if not c.isspace()]
        colours += [(colour_of(m[1]), c) for c in token if not c.isspace()]
        pos = m.end()
    rest = html_lib.unescape(re.sub(r"<[^>]+>", "", code_html[pos:]))
    colours += [(colour_of(""), c) for c in rest if not c.isspace()]
    return "".join(text) + rest, colours


@functools.cache
def material_colour_of() -> dict[str, tuple[str, str]]:
    """Each pygments class's colour in Material's light and dark schemes, read from the
    installed theme's stylesheets (a class they do not colour is drawn as plain code)."""
    import material

    css = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    main = next(css.glob("main.*.min.css")).read_text(encoding="utf-8")
    palette = next(css.glob("palette.*.min.css")).read_text(encoding="utf-8")
    variable_of = {}
    for selectors, variable in re.findall(r"((?:\.highlight \.[\w-]+,?)+)\{color:var\((--md-code-hl-[\w-]+)\)\}", main):
        variable_of.update(dict.fromkeys(re.findall(r"\.highlight \.([\w-]+)", selectors), variable))
    slate = "".join(re.findall(r'\[data-md-color-scheme=slate\]\{([^}]*)\}', palette))

    def value(variable: str, where: str) -> str:
        return re.search(re.escape(variable) + r":([^;}]+)", where)[1]

    plain = ("var(--md-code-fg-color)",) * 2
    colours = {cls: (value(v, main), value(v, slate)) for cls, v in variable_of.items()}
    assert colours["n"] == plain and colours["o"] != plain  # what the check relies on
    return colours


def test_the_hook_keeps_code_and_colours_in_fewer_elements_and_sizes_figures():
    """On a rendered case-study notebook with a figure: every code block keeps its text and
    every character its colour (Material's, by token class) in a third fewer spans;
    JupyterLab's wrappers and prompts are gone; each figure has its PNG header's size and
    becomes a lazily loaded file beside the page."""
    import base64
    import struct

    from mkdocs_jupyter.convert import nb2html

    hook = _hook()
    rendered = nb2html(str(OUT / "grokking.ipynb"))
    page = hook.notebook_html(rendered)

    def colour_of(cls):
        return material_colour_of().get(cls, ("var(--md-code-fg-color)",) * 2)

    before = re.findall(r'<div class="highlight-ipynb hl-python"><pre>(?:<span></span>)?(.*?)</pre></div>', rendered, re.S)
    after = re.findall(r'<div class="language-python highlight[^"]*"><pre><span></span><code>(.*?)</code></pre>', page,
                       re.S)
    assert len(before) == len(after) > 5
    for old, new in zip(before, after, strict=True):
        assert _coloured(new, colour_of) == _coloured(old, colour_of)
    spans = sum(b.count("<span") for b in before), sum(a.count("<span") for a in after)
    assert spans[1] < spans[0] * 2 / 3, spans
    for gone in ("jp-InputPrompt", "jp-OutputPrompt", "jp-Collapser", "jp-Cell-inputWrapper", "CodeMirror"):
        assert gone in rendered and gone not in page, gone
    output = re.compile(r'<div class="[^"]*\bjp-OutputArea-output\b')
    assert len(output.findall(page)) == len(output.findall(rendered)) > 5
    assert page.count("<div") < rendered.count("<div") / 3
    images = re.findall(r'<img width="(\d+)" height="(\d+)"[^>]*src="data:image/png;base64,([^"]+)"', page)
    assert images and len(images) == page.count("<img")
    for width, height, data in images:
        assert struct.unpack(">II", base64.b64decode(data[:32])[16:24]) == (int(width), int(height))
    # ... and each is then a file beside the page, loaded lazily: no base64 in the page.
    moved, files = hook.external_figures(page, "grokking")
    assert "data:image" not in moved and list(files) == [f"grokking-figure-{i + 1}.png" for i in range(len(images))]
    assert [base64.b64encode(b).decode() for b in files.values()] == [re.sub(r"\s", "", d) for _, _, d in images]
    assert len(re.findall(r'<img loading="lazy" decoding="async" width="\d+" height="\d+"[^>]* src="grokking-figure-\d\.png"',
                          moved)) == len(images)
