"""The project's .gitignore, checked the way git reads it.

The rules are applied in a scratch repository (so the check does not depend
on what this checkout tracks) with ``git check-ignore --no-index``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

IGNORED = [
    ".venv/bin/python",
    "venv/lib/x.py",
    "__pycache__/x.cpython-311.pyc",
    "src/paper2code/__pycache__/utils.cpython-311.pyc",
    ".pytest_cache/v/cache",
    ".ruff_cache/x",
    ".mypy_cache/x",
    ".hypothesis/examples/x",
    "site/index.html",
    ".cache/mkdocs-jupyter/x.json",
    "node_modules/katex/package.json",
    ".env",
    ".env.local",
    ".env.production",
    "configs/prod.env",
    "credentials.json",
    "gcp-credentials.yaml",
    "secrets.json",
    "client_secret.txt",
    "server.pem",
    "checkpoints/step_100.pt",
    "wandb/run-1/files",
    "train.log",
]

KEPT = [
    "pyproject.toml",
    "uv.lock",
    "mkdocs.yml",
    "package.json",
    "package-lock.json",
    ".python-version",
    "README.md",
    "docs/notebooks/quickstart.ipynb",
    "docs/index.md",
    "docs/hooks/katex.py",
    "docs/config/settings.json",
    "configs/small.yaml",
    "configs/large.json",
    "src/paper2code/utils.py",
    "tests/test_gitignore.py",
    ".github/workflows/ci.yml",
    ".ci/run",
]


def check_ignore(repo: Path, paths: list[str]) -> set[str]:
    """Return the subset of ``paths`` that git ignores in ``repo``."""
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=repo,
        input="\n".join(paths) + "\n",
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1):  # 1: none of them is ignored
        raise RuntimeError(result.stderr)
    return set(result.stdout.split())


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("gitignore")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    return repo


def test_ignores_environments_caches_outputs_and_secrets(scratch_repo):
    ignored = check_ignore(scratch_repo, IGNORED)
    assert sorted(set(IGNORED) - ignored) == []


def test_keeps_project_files_configs_and_notebooks(scratch_repo):
    ignored = check_ignore(scratch_repo, KEPT)
    assert sorted(ignored & set(KEPT)) == []


def test_no_pattern_carries_a_trailing_comment():
    # "*.json  # comment" is one pattern that matches nothing useful.
    for number, line in enumerate((ROOT / ".gitignore").read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            assert " #" not in line, f".gitignore:{number}: {line!r} has a trailing comment"
