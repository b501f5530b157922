"""The API reference mirrors the package: one page per module, all in the nav."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import yaml

import paper2code

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"


def public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(paper2code.__path__, prefix="paper2code."):
        # Packages here hold only a docstring; their modules get the pages.
        if not info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def reference_page(module: str) -> Path:
    """paper2code.nn.attention -> docs/reference/nn/attention.md"""
    parts = module.split(".")[1:]
    return REFERENCE.joinpath(*parts).with_suffix(".md")


def nav_files(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in nav_files(value)]
    return []


def load_mkdocs_yml() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use !ENV and python tags; they do not matter here.
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)


def test_every_module_has_a_reference_page():
    missing = []
    for module in public_modules():
        page = reference_page(module)
        if not page.is_file() or f"::: {module}" not in page.read_text():
            missing.append(f"{module} -> {page.relative_to(ROOT)}")
    assert missing == []


def test_every_reference_page_is_in_the_nav():
    in_nav = set(nav_files(load_mkdocs_yml()["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in REFERENCE.rglob("*.md")}
    assert sorted(pages - in_nav) == []
