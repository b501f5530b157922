"""The API reference mirrors the package: one generated page per module and package, all in the nav.

The pages are generated at build time by docs/hooks/reference.py; these tests hold the hook's
list to an independent walk of the package (pkgutil, as Python imports it) and to the nav.
"""

from __future__ import annotations

import importlib.util
import pkgutil
import re
import tomllib
from pathlib import Path

import paper2code

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"


def _hook():
    spec = importlib.util.spec_from_file_location("reference_hook", ROOT / "docs" / "hooks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _hook()


def public_modules() -> dict[str, bool]:
    """Every public module and package of paper2code, as Python finds them: {name: is a package}."""
    found = {}
    for info in pkgutil.walk_packages(paper2code.__path__, prefix="paper2code."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found[info.name] = info.ispkg
    return found


def nav_files(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in nav_files(value)]
    return []


def test_every_module_and_package_has_a_generated_page():
    pages = hook.reference_pages()
    modules = public_modules()
    assert sorted(pages.values()) == sorted(modules)
    for src_uri, module in pages.items():
        parts = module.split(".")[1:]
        expected = "/".join(["reference", *parts, "index.md"]) if modules[module] else "/".join(["reference", *parts]) + ".md"
        assert src_uri == expected


def test_every_generated_page_is_in_the_nav_once():
    in_nav = nav_files(hook.reference_nav())
    assert sorted(in_nav) == sorted(hook.reference_pages())


def test_the_nav_sections_are_the_contract_layers_bottom_first():
    contract = next(c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    names = [name.strip() for layer in reversed(contract["layers"]) for name in layer.replace(":", "|").split("|")]
    # Top-level names in nav order: the loose modules' section lists its members.
    order = []
    for entry in hook.reference_nav():
        (title, value), = entry.items()
        order += [next(iter(e)) for e in value] if title == "paper2code.*" else [title]
    assert order == names
    assert sorted(names) == sorted(m.split(".")[1] for m in public_modules() if m.count(".") == 1)


def test_only_the_hand_written_pages_are_files():
    # A module page written by hand beside the generated ones would shadow it and go stale.
    files = sorted(p.relative_to(REFERENCE).as_posix() for p in REFERENCE.rglob("*.md"))
    assert files == ["command-line.md", "index.md"]


def test_the_layout_section_names_the_contract_layers():
    # docs/handbook/tested-pages.md, "How the code is laid out": its table's first column, row by
    # row, is the layers contract of pyproject.toml, top first.
    contract = next(c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    layers = [sorted(n.strip() for n in layer.replace(":", "|").split("|")) for layer in contract["layers"]]
    page = (ROOT / "docs" / "handbook" / "tested-pages.md").read_text()
    section = page.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    assert [sorted(re.findall(r"`(\w+)`", row)) for row in rows] == layers
