"""Project hygiene that a reader on another machine depends on."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_PATH = re.compile(r"(?<![\w.])(/opt/|/root/|/work/|/tmp/|/home/|[A-Z]:\\\\|file://)")


def test_lock_and_project_name_no_path_of_this_machine():
    for name in ("pyproject.toml", "uv.lock", "package-lock.json"):
        text = (ROOT / name).read_text(encoding="utf-8")
        hits = [line for line in text.splitlines() if LOCAL_PATH.search(line)]
        assert hits == [], f"{name} names a local path: {hits[:3]}"
    uv = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("uv", {})
    assert "find-links" not in uv


def _docstring_tokens(path: Path):
    """Yield (line, token text) for each string token that is a docstring."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    lines.add(body[0].lineno)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.start[0] in lines:
            yield tok.start[0], tok.string


def test_docstrings_with_backslashes_are_raw_strings():
    # "\frac", "\beta", "\theta" in a plain string are a form feed, a
    # backspace and a tab: the math in the API reference would be corrupt.
    offenders = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for line, text in _docstring_tokens(path):
            prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))]
            if "\\" in text and "r" not in prefix.lower():
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []


def test_ruff_finds_nothing():
    import shutil
    import subprocess

    import pytest

    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the dev group: uv sync --group dev)")
    result = subprocess.run(
        [ruff, "check", "--output-format", "concise", "src", "tests", "conftest.py", "docs/conftest.py", "docs/hooks"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_imports_keep_the_layout():
    # The contracts in pyproject.toml ([tool.importlinter]): layers, no circle, teaching code
    # never imports a tool. A planted `from paper2code.scoring.rubric import ...` in nn/norm.py,
    # and a planted circle inside scoring/, each made lint-imports exit 1.
    import shutil
    import subprocess
    import sys

    import pytest

    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (it is in the dev group: uv sync --group dev)")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]



MAX_LINES = 350


def test_no_module_over_350_lines():
    # A module that grows past this is split along a real seam (what changes together stays together).
    long = []
    for path in sorted((ROOT / "src" / "paper2code").rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert long == []
