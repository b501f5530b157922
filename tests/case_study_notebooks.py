"""Every case study as a notebook, generated from its page.

The page (``docs/case-studies/NAME.md``) is the one source of truth; its
notebook, ``docs/notebooks/case-studies/NAME.ipynb``, is generated from it and committed
with its outputs. Committed rather than built with the site: a reader who
downloads it sees the outputs before running anything; the site build runs
no code (executing every case study takes minutes, and the build would then
depend on a kernel); and a cheap test can still hold the committed file to
its page (tests/test_notebooks.py), so it cannot drift unnoticed.
Regenerate after editing a page (the list is the nav's "Case studies"
section in mkdocs.yml)::

    uv run python -m tests.case_study_notebooks            # all of them
    uv run python -m tests.case_study_notebooks grokking   # one

What the conversion does, in order:

1. The page's ``--8<--`` includes are expanded by pymdownx.snippets, with the
   options mkdocs.yml gives it: the code shown is the code the site shows.
2. What a notebook cannot run is kept as Markdown (a jupytext region, so it
   stays text): a block after ``<!-- skip: next ... -->`` (long runs, CUDA,
   servers), with the page's reason shown above it, and every fence that is
   not Python (the checklist, shell commands). A notebook never starts a long
   run. Markers only the site's hooks understand are replaced: a plot marker
   by a cell that draws the figure with the same function; the scorecard and
   deviation log by a link to the page, which draws them.
3. jupytext (``md`` format) turns the text into cells: each top-level
   ``python`` fence a code cell, the text between them Markdown cells. The
   ``#>`` lines are dropped from the code: the cell's output shows them.
4. The notebook opens like its page: one Markdown cell with the title, the
   first paragraph and "The claim" section (the first paragraph alone on a
   page without one), a sentence saying what the notebook runs, and a
   one-line provenance notice. Then a set-up cell gives what the page's
   harness gives every block, cut to what the cells use: of the imports of
   the modules the page includes (whose sections run in their module's
   namespace there) and their helpers, only those binding a name a cell
   reads before binding it (``ast``); the seed; ``CUDA`` if a cell reads it;
   and the repository root as working directory (some cells read
   recordings under ``docs/``).
5. nbclient executes it in a fresh ``python3`` kernel and stores the outputs.

tests/test_notebooks.py checks that each committed notebook's sources are a
fresh conversion of its page, that its stored outputs are the page's ``#>``
lines, and (with ``--integration``) that nbval re-executes it to the same
outputs.
"""

from __future__ import annotations

import ast
import posixpath
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUT = DOCS / "notebooks" / "case-studies"
SITE = "https://paper2code.github.io/paper2code/"  # mkdocs.yml's site_url
SITE_PAGE = SITE + "case-studies/{name}.html"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
_SKIP = re.compile(r"^<!--\s*skip:\s*(?P<args>.*?)\s*-->\s*$")
_REASON = re.compile(r"""(?:reason\s*=\s*)?(["'])(?P<reason>.+?)\1""")
_PLOT = re.compile(r"^<!--\s*plot:\s*(?P<module>[\w.]+):(?P<func>\w+)\s*-->\s*$")
_DRAWN = re.compile(r"^<!--\s*(?P<kind>scorecard|deviations):\s*(?P<name>[\w-]+)\s*-->\s*$")
_MARKER = re.compile(r"^<!--\s*(?:output:[^>]*|clear-namespace)\s*-->\s*$")
_OUTPUT = re.compile(r"^\s*#>(?: |$)")
_TOLERANCE = re.compile(r"^\s*#\s*output tolerance:", re.M)
NBVAL_IGNORE = "nbval-ignore-output"
_LINK = re.compile(r"\]\((?!https?:|#|mailto:)(?P<path>[^)#\s]+?)\.md(?P<anchor>#[^)\s]*)?\)")
_INCLUDE = re.compile(r"""^\s*-{2}8<-{2}\s+(["'])(?P<path>[^"':]+)(?::(?P<section>[\w-]+))?\1\s*$""", re.M)


def case_studies() -> list[str]:
    """The case studies in the nav's order (mkdocs.yml, section "Case studies")."""
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for section in config["nav"]:
        if "Case studies" in section:
            pages = [next(iter(entry.values())) for entry in section["Case studies"]]
            return [Path(p).stem for p in pages if p.startswith("case-studies/")]
    raise LookupError("mkdocs.yml's nav has no 'Case studies' section")


def expand_includes(text: str) -> str:
    """The page with its ``--8<--`` lines expanded as the site expands them."""
    import markdown
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    options = next(
        e["pymdownx.snippets"] for e in config["markdown_extensions"]
        if isinstance(e, dict) and "pymdownx.snippets" in e
    )
    options = {**options, "base_path": [str(ROOT / p) for p in options.get("base_path", ["."])]}
    md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options})
    return "\n".join(md.preprocessors["snippet"].run(text.split("\n")))


def _fences(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """(first line, last line, indent, info) of each fenced block."""
    found, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            closing = re.compile(rf"^[ \t]*{re.escape(m['fence'][0])}{{{len(m['fence'])},}}[ \t]*$")
            j = next((k for k in range(i + 1, len(lines)) if closing.match(lines[k])), len(lines) - 1)
            found.append((i, j, m["indent"], m["info"].strip()))
            i = j + 1
        else:
            i += 1
    return found


def _site_link(m: re.Match[str]) -> str:
    """A link to another page, as the published site's URL: the notebook travels alone."""
    target = posixpath.normpath(posixpath.join("case-studies", m["path"]))
    return f"]({SITE}{target}.html{m['anchor'] or ''})"


def _region(block: list[str], note: str | None = None) -> list[str]:
    """Lines jupytext keeps as one Markdown cell, whatever fences they hold."""
    head = [note, ""] if note else []
    return ["<!-- #region -->", *head, *block, "<!-- #endregion -->"]


def prepare(page_text: str, name: str) -> tuple[str, list[str], list[list[str] | None]]:
    """The page as jupytext Markdown, the modules it includes code from, and for
    each code cell but the first, the lines the page shows it printing (``#>``;
    None for a figure)."""
    modules = sorted({m["path"] for m in _INCLUDE.finditer(page_text)})
    lines = page_text.split("\n")
    fences = {start: (end, indent, info) for start, end, indent, info in _fences(lines)}
    out: list[str] = []
    skip_reason: str | None = None
    shown: list[list[str] | None] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i in fences:
            end, indent, info = fences[i]
            block = lines[i : end + 1]
            language = re.match(r"\{?\s*\.?([\w-]*)", info)[1]
            if skip_reason is not None:
                out += _region(block, f"*Not run in this notebook, as on the page: {skip_reason}.*")
            elif language in ("python", "py") and indent:
                # inside an admonition (an exercise's collapsed solution) or a tab: shown, not
                # run, as the notebook has no admonitions; its code is the page's and src/'s
                out += _region([ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in block])
            elif language in ("python", "py"):
                code = [ln for ln in block[1:-1] if not _OUTPUT.match(ln)]
                out += ["```python", *code, "```"]
                shown.append([_OUTPUT.sub("", ln).rstrip() for ln in block[1:-1] if _OUTPUT.match(ln)])
            else:
                out += _region(block)
            skip_reason = None
            i = end + 1
            continue
        if m := _SKIP.match(line):
            if not m["args"].startswith("next"):
                raise ValueError(f"{name}.md:{i + 1}: only 'skip: next' is converted, not {line!r}")
            reason = _REASON.search(m["args"])
            skip_reason = reason["reason"] if reason else "the page skips it"
        elif m := _PLOT.match(line):
            # paper2code.figures draws with matplotlib's Agg backend; the magic first
            # registers Jupyter's PNG display of a Figure, so the bare last line shows it,
            # at 72 dpi: the site's column is ~650 px wide, and at matplotlib's 100 dpi
            # the DDPM page's figure alone took its page over 500 KB.
            out += ["```python", '%config InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "dpi": 72}',
                    "%matplotlib inline", f"from {m['module']} import {m['func']}", "",
                    f"{m['func']}()  # the page's figure, drawn by the same function", "```"]
            shown.append(None)
        elif m := _DRAWN.match(line):
            what = "scorecard" if m["kind"] == "scorecard" else "deviation log"
            out.append(f"*The {what} is drawn on [the page]({SITE_PAGE.format(name=name)}).*")
        elif not _MARKER.match(line):
            out.append(_LINK.sub(_site_link, line))
        i += 1
    return "\n".join(out), modules, shown


def module_imports(paths: list[str]) -> list[str]:
    """The top-level imports of the included modules, absolute, one line per module."""
    future: set[str] = set()
    plain: list[str] = []
    names: dict[str, list[str]] = {}  # module -> names, for `from module import a, b`
    for rel in paths:
        path = ROOT / rel
        package = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts[:-1])
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                plain += [s for s in (ast.unparse(ast.Import([a])) for a in node.names) if s not in plain]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    module = f"{base}.{module}" if module else base
                if module == "__future__":
                    future.update(a.name for a in node.names)
                    continue
                listed = names.setdefault(module, [])
                for alias in node.names:
                    text = f"{alias.name} as {alias.asname}" if alias.asname else alias.name
                    listed += [] if text in listed else [text]
    head = [f"from __future__ import {', '.join(sorted(future))}"] if future else []
    froms = [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items())]
    return head + sorted(plain) + froms


def module_helpers(page_text: str) -> list[str]:
    """Imports of what the included sections use from their module besides its imports:
    helpers and constants defined outside every section (``conv_bn`` for ResNet's blocks)."""
    used: dict[str, set[str]] = {}
    defined: set[str] = set()
    for m in _INCLUDE.finditer(page_text):
        tree = ast.parse(expand_includes(m[0].strip()))
        module = ".".join(Path(m["path"]).relative_to("src").with_suffix("").parts)
        used.setdefault(module, set()).update(
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        )
        defined.update(n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef))
        defined.update(t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                       if isinstance(t, ast.Name))
    lines = []
    for module, names in sorted(used.items()):
        top = ast.parse((ROOT / "src" / Path(*module.split("."))).with_suffix(".py").read_text())
        own = {n.name for n in top.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        own |= {t.id for n in top.body if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
        helpers = sorted((names & own) - defined)
        if helpers:
            lines.append(f"from {module} import {', '.join(helpers)}")
    return lines


_MAGIC = re.compile(r"^\s*[%!]")
_BUILTINS = frozenset(dir(__import__("builtins")))


def _parse(source: str) -> ast.Module:
    """A cell's code as Python (IPython's ``%`` and ``!`` lines left out)."""
    return ast.parse("\n".join("" if _MAGIC.match(ln) else ln for ln in source.split("\n")))


def _bound(tree: ast.Module) -> set[str]:
    """The names a cell binds at its top level (imports, definitions, assignments)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        else:
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def used_names(cells: list[str]) -> set[str]:
    """The names the cells read before any of them binds it: what the set-up cell must provide."""
    needed: set[str] = set()
    bound: set[str] = set()
    for source in cells:
        tree = _parse(source)
        loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        here = _bound(tree)
        needed |= loads - bound - here
        bound |= here
    return needed - _BUILTINS


def keep_used(imports: list[str], needed: set[str]) -> list[str]:
    """The import lines cut to the names in ``needed``: a line binding none of them goes."""
    kept = []
    for line in imports:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            kept.append(line)  # decided by the caller
            continue
        # A star import binds names no one can list here: kept.
        aliases = [a for a in node.names if a.name == "*" or (a.asname or a.name).split(".")[0] in needed]
        if aliases:
            node.names = aliases
            kept.append(ast.unparse(node))
    return kept


def _annotated(cells: list[str]) -> bool:
    """Whether a cell annotates anything (``from __future__ import annotations`` then matters)."""
    for source in cells:
        for n in ast.walk(_parse(source)):
            if isinstance(n, ast.AnnAssign) or (isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    n.returns or any(a.annotation for a in ast.walk(n.args) if isinstance(a, ast.arg)))):
                return True
    return False


def setup_cell(modules: list[str], helpers: list[str], cells: list[str]) -> str:
    """The set-up cell: what the page's harness gives every block, cut to what the cells use.

    On the page, an included section runs in its module's namespace, and every block
    sees ``CUDA`` and a seeded generator; here one cell imports, of the included
    modules' imports and helpers, only the names the notebook's cells read, seeds, and
    makes the repository's root the working directory (some cells read recordings
    under docs/)."""
    needed = used_names(cells)
    body = ["os.chdir(Path(paper2code.__file__).resolve().parents[2])  # the repository's root",
            "seed_everything(0)"]
    if "CUDA" in needed:
        body.append("CUDA = torch.cuda.is_available()  # as the page's harness defines it")
    needed |= used_names(body)
    header = ["import os", "from pathlib import Path", "import torch", "import paper2code",
              "from paper2code.utils import seed_everything"]
    pool = [s for s in module_imports(modules) if s not in header]
    future = [s for s in pool if s.startswith("from __future__")]
    future = future if future and _annotated(cells) else []
    plain = sorted(keep_used([s for s in pool if s.startswith("import ")] + header[:1] + header[2:4], needed))
    froms = keep_used(["from pathlib import Path", "from paper2code.utils import seed_everything",
                       *[s for s in pool if s.startswith("from ") and s not in future], *helpers], needed)
    merged: dict[str, list[str]] = {}  # one line per module, however many lists named it
    for line in froms:
        module, _, names = line.removeprefix("from ").partition(" import ")
        merged.setdefault(module, [])
        merged[module] += [n for n in names.split(", ") if n not in merged[module]]
    froms = [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(merged.items())]
    return "\n".join([*future, *([""] if future else []), *plain, *froms, "", *body])


def _opening_end(text: str) -> int:
    """Where the notebook's opening ends in the first Markdown cell's text after the title:
    after the page's "The claim" section when it has one before its first code, else after
    its first paragraph."""
    claim = re.search(r"^#{2,6}\s+The claim\s*$", text, re.M | re.I)
    if claim:
        following = re.compile(r"^#{1,6}\s", re.M).search(text, claim.end())
        return following.start() if following else len(text)
    paragraph = re.search(r"\n\s*\n", text.strip("\n"))
    return paragraph.end() + (len(text) - len(text.lstrip("\n"))) if paragraph else len(text)


def what_it_runs(name: str, shown: list[list[str] | None], skipped: int) -> str:
    """The opening's last lines: what the notebook runs, and where it comes from (one line)."""
    figures = sum(1 for s in shown if s is None)
    runs = f"**This notebook runs** the page's {len(shown)} code blocks in order, with the outputs the page shows"
    runs += f" ({figures} draw{'s' if figures == 1 else ''} a figure)" if figures else ""
    if skipped:
        runs += (f"; {skipped} block{'s' if skipped > 1 else ''} the page does not run either"
                 f" {'is' if skipped == 1 else 'are'} kept as text, with the page's reason")
    source = f"docs/case-studies/{name}.md"
    return (runs + ".\n\n"
            f"*Generated from [its page]({SITE_PAGE.format(name=name)}) (`{source}`; edit that, then run"
            " `uv run python -m tests.case_study_notebooks`); run it in a clone of the repository after `uv sync`.*")


def convert(name: str) -> nbformat.NotebookNode:
    """The notebook of one case study, without outputs."""
    import jupytext

    page = (DOCS / "case-studies" / f"{name}.md").read_text(encoding="utf-8")
    text, _, shown = prepare(expand_includes(page), name)
    _, modules, _ = prepare(page, name)
    nb = jupytext.reads(text, fmt="md")
    first = nb.cells[0]
    if first.cell_type != "markdown" or not first.source.startswith("# "):
        raise ValueError(f"{name}.md does not start with its '# ' title")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    skipped = text.count("*Not run in this notebook, as on the page:")
    cut = _opening_end(first.source)
    opening, rest = first.source[:cut].rstrip("\n"), first.source[cut:].strip("\n")
    cells = [nbformat.v4.new_markdown_cell(opening + "\n\n" + what_it_runs(name, shown, skipped)),
             nbformat.v4.new_code_cell(setup_cell(modules, module_helpers(page), code))]
    if rest:
        cells.append(nbformat.v4.new_markdown_cell(rest))
    nb.cells = cells + list(nb.cells[1:])
    for number, cell in enumerate(nb.cells):
        cell.metadata, cell.id = {}, f"cell-{number}"  # stable ids: a regeneration changes no line
        if cell.cell_type == "code" and _TOLERANCE.search(cell.source):
            # Digits that float rounding decides (the page declares a tolerance): nbval
            # compares text exactly, so it runs the cell without comparing; the page's
            # harness and tests/test_notebooks.py compare them within the tolerance.
            cell.metadata["tags"] = [NBVAL_IGNORE]
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def page_outputs(name: str) -> list[list[str] | None]:
    """What the page shows each code cell after the first printing (None: a figure)."""
    page = (DOCS / "case-studies" / f"{name}.md").read_text(encoding="utf-8")
    return prepare(expand_includes(page), name)[2]


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """What a conversion decides: each cell's kind and text."""
    return [(cell.cell_type, cell.source, cell.metadata.get("tags", [])) for cell in nb.cells]


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel, storing its outputs."""
    from nbclient import NotebookClient

    # timeout: a cell may run for minutes on a shared, loaded machine (the copy-task training
    # ran past 600 s there); a hung cell still ends the run.
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    # One stream output per name, however the kernel's writes were chunked: a
    # regeneration then changes no line when the outputs are the same.
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    return nb


def generate(name: str) -> Path:
    nb = execute(convert(name))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def main(argv: list[str]) -> int:
    known = case_studies()
    names = argv or known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"error: not a case study in mkdocs.yml's nav: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"wrote {generate(name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
