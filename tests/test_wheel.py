"""The install route for readers: the wheel works outside this repository.

tests/wheel_check.py (a background job, see tests/conftest.py) builds the
wheel with ``uv build``, installs it into a fresh virtual environment, and
runs ``paper2code analyze`` on a PDF and ``paper2code new`` in an empty
folder outside the repository. Here we check what it recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# Run with `uv run pytest --integration` (tests/conftest.py).
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def report(background_job) -> dict:
    job, result = background_job("wheel")
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((job.output / "report.json").read_text())
    if "skip" in data:
        pytest.skip(data["skip"])
    return data


def _ok(step: dict) -> None:
    assert step["returncode"] == 0, f"{' '.join(step['argv'])}\n{step['stderr']}"


def test_the_wheel_builds_and_installs(report):
    _ok(report["steps"]["build"])
    assert report["wheel"].startswith("paper2code-") and report["wheel"].endswith(".whl")
    _ok(report["steps"]["install"])


def test_the_installed_package_is_the_wheel_not_the_repository(report):
    _ok(report["steps"]["where"])
    imported_from = Path(report["steps"]["where"]["stdout"].strip())
    assert imported_from.is_relative_to(report["venv"]), imported_from


def test_analyze_works_on_a_pdf_outside_the_repository(report):
    _ok(report["steps"]["analyze"])
    for name in ("paper.md", "checklist.md", "rubric.yaml"):
        assert f"paper-analysis/{name}" in report["files"]


def test_new_creates_a_project_from_the_templates_in_the_wheel(report):
    _ok(report["steps"]["new"])
    for name in ("pyproject.toml", "src/demo_repro/models/model.py", "tests/test_model.py",
                 "notebooks/quickstart.ipynb", ".gitignore"):
        assert f"demo_repro/{name}" in report["files"]
