"""MkDocs hook: the API reference, generated from the package, and one heading per API page.

The module pages are not files under ``docs/reference/``: :func:`reference_pages`
walks ``src/paper2code`` (every package that has an ``__init__.py``, every module
whose name does not start with ``_``) and gives each package an ``index.md`` (its
docstring says what it is for and what it may import) and each module a page, at
``reference/<package path>/<module>.md``. :func:`reference_nav` orders them as the
layers of the import contract in ``pyproject.toml`` (``[tool.importlinter]``), from
the bottom (``nn``) to the top (``cli``): one nav section per package, so the
Reference nav reads like the layout, and a new module gets its page and its place
without an edit here (the contract is exhaustive: a new top-level module must be given
a layer there first). ``docs/reference/index.md`` and ``command-line.md`` are written
by hand.

A reference page is ``# paper2code.x`` followed by ``::: paper2code.x``. The
H1 keeps the Markdown readable and names the page for anyone who opens the
file, but mkdocstrings renders the module's own heading (an H1 too, with the
anchor that cross-references point to), so the site would show the name
twice. This hook drops the Markdown H1 when it is exactly the name that the
``:::`` line right after it documents. It also links mkdocstrings' stylesheet
only from the pages that show mkdocstrings' output.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "paper2code"
log = logging.getLogger("mkdocs.hooks.reference")


def _public(path: Path) -> bool:
    return not path.name.startswith("_")


def _modules(package: Path) -> list[str]:
    """Dotted names of a package's public modules and subpackages, depth first, sorted."""
    names = []
    for child in sorted(package.iterdir()):
        dotted = ".".join(child.relative_to(PACKAGE.parent).with_suffix("").parts)
        if child.is_dir() and (child / "__init__.py").is_file() and _public(child):
            names += [dotted, *_modules(child)]
        elif child.suffix == ".py" and _public(child):
            names.append(dotted)
    return names


def page_of(module: str) -> str:
    """paper2code.nn.attention -> reference/nn/attention.md; a package -> its index.md."""
    parts = module.split(".")[1:]
    if (PACKAGE.joinpath(*parts) / "__init__.py").is_file():
        return "/".join(["reference", *parts, "index.md"])
    return "/".join(["reference", *parts]) + ".md"


def reference_pages() -> dict[str, str]:
    """Every generated page, ``{src_uri: module}``."""
    return {page_of(module): module for module in _modules(PACKAGE)}


def layers() -> list[list[str]]:
    """The layers of the import contract, bottom first, each a list of top-level names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    return [re.split(r"\s*[|:]\s*", layer.strip()) for layer in reversed(contract["layers"])]


def _entries(module: str) -> list:
    """Nav entries for a module, or a package's section (its index page first)."""
    title = module.rsplit(".", 1)[-1]
    page = page_of(module)
    if not page.endswith("/index.md"):
        return [{title: page}]
    depth = module.count(".") + 1
    inside = [m for m in _modules(PACKAGE.joinpath(*module.split(".")[1:])) if m.count(".") == depth]
    return [{title: [page, *(entry for child in inside for entry in _entries(child))]}]


def reference_nav() -> list:
    """The generated part of the Reference nav: layer by layer, bottom first.

    A layer's loose modules (those not in a package) are one section, "paper2code.*"
    when the layer has several; a package is a section of its own.
    """
    nav = []
    for layer in layers():
        loose = [n for n in layer if not (PACKAGE / n / "__init__.py").is_file()]
        if len(loose) > 1:
            nav.append({"paper2code.*": [{n: page_of(f"paper2code.{n}")} for n in loose]})
        for name in layer:
            if name not in loose or len(loose) == 1:
                nav += _entries(f"paper2code.{name}")
    return nav


def on_config(config, **kwargs):
    for section in config.nav or []:
        if isinstance(section, dict) and "Reference" in section:
            section["Reference"] += reference_nav()
    return config


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    placed = {f"paper2code.{name}" for layer in layers() for name in layer}
    for src_uri, module in reference_pages().items():
        if module.count(".") == 1 and module not in placed:
            log.warning("%s has no layer in pyproject.toml's import contract: not in the nav", module)
        if files.get_file_from_path(src_uri) is not None:
            log.warning("docs/%s is written by hand: the reference hook generates it", src_uri)
            continue
        files.append(File.generated(config, src_uri, content=f"# {module}\n\n::: {module}\n"))
    return files

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
