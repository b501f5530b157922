"""``paper2code new``: create a paper-implementation project, as the Setup chapter lays it out.

The project is rendered from the templates in ``paper2code/project/templates/project``
(``*.tmpl`` files; ``__PROJECT__`` in a path or text is the package name).
It is written to a temporary folder beside the destination and renamed into
place at the end, so a failure writes nothing.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import sys
from pathlib import Path

__all__ = ["TORCH_CPU_INDEX", "ScaffoldError", "create_project", "validate_name", "with_torch_cpu"]

TEMPLATES = Path(__file__).parent / "templates" / "project"
_RENAMES = {"gitignore": ".gitignore", "python-version": ".python-version"}


# --8<-- [start:torch_cpu]
#: PyTorch's own wheel index for the CPU build of torch.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_TORCH_CPU_SOURCE = (
    "# torch's CPU build on Linux, from PyTorch's own index (PyPI's Linux torch is the CUDA build, with\n"
    "# ~5 GB of nvidia-* packages); macOS and Windows keep PyPI's torch, which is CPU-only there.\n"
    "# See https://docs.astral.sh/uv/guides/integration/pytorch/\n"
    "torch = [{ index = \"pytorch-cpu\", marker = \"sys_platform == 'linux'\" }]\n"
)
_TORCH_CPU_INDEX_TABLE = f'''
[[tool.uv.index]]
name = "pytorch-cpu"
url = "{TORCH_CPU_INDEX}"
explicit = true  # used for torch only: everything else still comes from PyPI
'''


def with_torch_cpu(pyproject: str) -> str:
    """``pyproject`` (a generated project's) set to take torch's CPU build from PyTorch's index on Linux.

    uv's documented configuration (its PyTorch guide): an ``explicit`` index,
    so that only the packages pinned to it come from it, and a
    ``[tool.uv.sources]`` entry for torch with a ``sys_platform`` marker.
    An existing ``[tool.uv.sources]`` table gets the entry; else one is added.
    """
    if "\n[tool.uv.sources]\n" in pyproject:
        pyproject = pyproject.replace("\n[tool.uv.sources]\n", "\n[tool.uv.sources]\n" + _TORCH_CPU_SOURCE, 1)
    else:
        pyproject = pyproject.rstrip("\n") + "\n\n[tool.uv.sources]\n" + _TORCH_CPU_SOURCE
    return pyproject + _TORCH_CPU_INDEX_TABLE
# --8<-- [end:torch_cpu]


class ScaffoldError(Exception):
    """A project that cannot be created; the message is one line for the user."""


def validate_name(name: str) -> None:
    """Refuse a name that is not a valid, safe Python package name.

    Examples:
        >>> validate_name("lora_repro")
        >>> validate_name("my-paper")
        Traceback (most recent call last):
        ...
        paper2code.project.scaffold.ScaffoldError: 'my-paper' is not a valid Python package name (letters, digits and _, not starting with a digit); try 'my_paper'
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or not name.isascii():
        hint = re.sub(r"\W", "_", name).lstrip("0123456789") or "my_paper"
        raise ScaffoldError(
            f"{name!r} is not a valid Python package name "
            f"(letters, digits and _, not starting with a digit); try {hint.lower()!r}"
        )
    if keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is a Python keyword")
    if name in sys.stdlib_module_names or name in {"torch", "numpy", "yaml", "tests", "test"}:
        raise ScaffoldError(f"{name!r} would shadow an installed module of the same name")


def _escape(text: str, suffix: str) -> str:
    if suffix == ".toml":
        return text.replace("\\", "\\\\").replace('"', '\\"')
    if suffix == ".py":
        return text.replace("\\", "/").replace('"', "'")
    if suffix == ".ipynb":
        return text.replace("\\", "\\\\").replace('"', '\\"')
    return text


def _render(name: str, description: str, paper_url: str) -> dict[Path, str]:
    files = {}
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        rel = template.relative_to(TEMPLATES).with_suffix("")  # drop .tmpl
        rel = Path(*(_RENAMES.get(part, part) for part in rel.parts))
        rel = Path(str(rel).replace("__PROJECT__", name))
        text = template.read_text(encoding="utf-8")
        for token, value in (
            ("__DESCRIPTION__", description),
            ("__PAPER_URL__", paper_url),
            ("__DIST__", name.replace("_", "-")),
            ("__PROJECT__", name),
        ):
            text = text.replace(token, _escape(value, rel.suffix))
        files[rel] = text
    return files


def create_project(
    name: str,
    dest: str | Path | None = None,
    description: str = "",
    paper_url: str = "",
    analysis: str | Path | None = None,
    paper2code: str | None = None,
    torch_cpu: bool = False,
) -> Path:
    """Create the project ``name`` in ``dest`` (default ``./name``); return its path.

    With ``analysis`` (a folder written by ``paper2code analyze``), the
    project is seeded from the paper: see `paper2code.project.seed`. It installs
    paper2code from ``paper2code`` (a version, requirement, wheel or folder:
    see `paper2code.project.origin`), by default from where this copy came from.
    With ``torch_cpu``, its pyproject.toml takes torch's CPU build from
    PyTorch's index on Linux (`with_torch_cpu`).

    Raises:
        ScaffoldError: for an invalid name, a destination that exists and
            is not an empty folder, an analysis folder that cannot seed
            the project, or a ``paper2code`` that names no version, wheel
            or folder. Nothing is written then.
    """
    validate_name(name)
    if "\n" in description:
        raise ScaffoldError("the description must be one line")
    description = description or f"A from-scratch implementation of a paper, as the package {name}."
    given_url, paper_url = paper_url, paper_url or "https://arxiv.org/abs/XXXX.XXXXX"
    dest = Path(dest) if dest is not None else Path(name)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ScaffoldError(f"{dest} already exists and is not an empty folder")
    parent = dest.resolve().parent
    if not parent.is_dir():
        raise ScaffoldError(f"{parent} is not a folder")

    seeded = {}
    if paper2code is not None and analysis is None:
        raise ScaffoldError("--paper2code needs --from: only a seeded project installs paper2code")
    if analysis is not None:
        from paper2code.project.origin import OriginError, installed_source, parse_source
        from paper2code.project.seed import SeedError, pyproject_with_plugin, seed_files

        try:
            source = installed_source() if paper2code is None else parse_source(paper2code)
            seeded = seed_files(name, analysis, given_url)
        except (SeedError, OriginError) as err:
            raise ScaffoldError(str(err)) from None
    files = _render(name, description, paper_url)
    if seeded:
        files.update(seeded)
        files[Path("pyproject.toml")] = pyproject_with_plugin(files[Path("pyproject.toml")], source)
    if torch_cpu:
        files[Path("pyproject.toml")] = with_torch_cpu(files[Path("pyproject.toml")])
    tmp = parent / f".{dest.name}.creating-{os.getpid()}"
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if dest.exists():
            dest.rmdir()  # the empty folder we were asked to fill
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def run_new(name: str, dest: str | None, description: str, paper_url: str,
            analysis: str | None = None, paper2code: str | None = None, torch_cpu: bool = False) -> int:
    """The ``paper2code new`` command; returns the exit code."""
    try:
        path = create_project(name, dest, description, paper_url, analysis, paper2code, torch_cpu)
    except ScaffoldError as err:
        print(f"paper2code new: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"paper2code new: error: {err.filename or dest or name}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"created {path}/: cd {path} && uv run pytest && uv run python train.py --config small --steps 200")
    if torch_cpu:
        print(f"torch comes from {TORCH_CPU_INDEX} on Linux (the CPU build); see [tool.uv.sources] in pyproject.toml")
    if analysis is not None:
        print(f"seeded from {analysis}: rubric.yaml, docs/ALGORITHMS.md, configs/paper.yaml, "
              "tests/test_paper.py; `uv run paper2code report` shows the scorecard")
        from paper2code.project.origin import installed_source, parse_source

        source = installed_source() if paper2code is None else parse_source(paper2code)
        print(f"it installs paper2code from {source.described} (another: --paper2code)")
    return 0
