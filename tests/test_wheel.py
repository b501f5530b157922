"""The install route for readers: the wheel works on a fresh machine, outside this repository, without torch.

tests/wheel_check.py (a background job, see tests/conftest.py) builds the
wheel with ``uv build``, installs it with its dependencies (no torch) into a
fresh virtual environment, and, in an empty folder outside the repository,
runs ``paper2code analyze`` on a PDF, ``paper2code new`` (plain and ``--from``
the analysis), the seeded project's own ``uv run pytest`` and ``paper2code
report``. Here we check what it recorded.
"""

from __future__ import annotations

import json
import re
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
    _ok(report["steps"]["dependencies"])
    _ok(report["steps"]["install"])
    _ok(report["steps"]["check"])  # what is installed is what the wheel requires


def test_torch_is_not_installed_with_the_tools(report):
    _ok(report["steps"]["torch"])
    assert report["steps"]["torch"]["stdout"].strip() == "False"
    print(f"the tools' environment: {report['venv_bytes'] / 2**20:.0f} MiB")


def test_the_installed_package_is_the_wheel_not_the_repository(report):
    _ok(report["steps"]["where"])
    imported_from = Path(report["steps"]["where"]["stdout"].strip())
    assert imported_from.is_relative_to(report["venv"]), imported_from


def test_analyze_works_on_a_pdf_outside_the_repository(report):
    _ok(report["steps"]["analyze"])
    for name in ("paper.md", "checklist.md", "rubric.yaml"):
        assert f"paper-analysis/{name}" in report["files"]


def test_analyze_reads_an_arxiv_id_from_a_stand_in_for_arxiv(report):
    step = report["steps"]["analyze arXiv"]
    assert step["returncode"] == 0, step["stderr"]
    # from the LaTeX source: the equations are the paper's LaTeX, not text read off the PDF
    import yaml

    rubric = yaml.safe_load(report["arxiv rubric"])
    assert rubric["paper"]["arxiv"] == "2401.00001"
    assert "\\sqrt{d_k}" in report["arxiv rubric"]


def test_new_creates_a_project_from_the_templates_in_the_wheel(report):
    _ok(report["steps"]["new"])
    for name in ("pyproject.toml", "src/demo_repro/models/model.py", "tests/test_model.py",
                 "notebooks/quickstart.ipynb", ".gitignore"):
        assert f"demo_repro/{name}" in report["files"]


def test_new_from_the_analysis_installs_paper2code_from_this_wheel(report):
    _ok(report["steps"]["new --from"])
    assert f"it installs paper2code from the wheel {report['venv'].removesuffix('venv')}dist/{report['wheel']}" in (
        report["steps"]["new --from"]["stdout"])
    for name in ("rubric.yaml", "tests/test_paper.py", "configs/paper.yaml", "docs/ALGORITHMS.md"):
        assert f"seeded_repro/{name}" in report["files"]


def test_the_seeded_project_passes_its_own_tests_with_every_stub_skipped(report):
    step = report["steps"]["project pytest"]
    _ok(step)
    summary = step["stdout"].strip().splitlines()[-1]
    passed, skipped = re.fullmatch(r"(\d+) passed, (\d+) skipped in .*", summary).groups()
    stubs = len(re.findall(r"^def test_", report["stubs"], re.MULTILINE))
    assert int(skipped) == stubs > 0 and int(passed) > 0, summary
    if report["network"]:
        print("the project's `uv run` needed the package index: uv's cache lacked a page")


def test_report_runs_in_the_project_and_says_so_in_one_line_without_pytest(report):
    tool = report["steps"]["report, tool"]
    assert tool["returncode"] == 2 and tool["stderr"].strip() == (
        "paper2code report: error: pytest is not installed here; run the report in your project's "
        "environment: uv run paper2code report (or pip install pytest)")
    project = report["steps"]["report, project"]
    assert project["argv"][1:] == ["run", "paper2code", "report"]
    assert "cd seeded_repro && uv run paper2code report" in report["readme"].replace("my_repro", "seeded_repro")
    _ok(project)
    assert re.search(r"^implementation: (\d+) leaves — \1 not implemented$", project["stdout"], re.MULTILINE), (
        project["stdout"][-1000:])
    assert "Warning" not in project["stderr"], project["stderr"][-2000:]  # no PytestAssertRewriteWarning
    # stubs of one group take one line: the scorecard is short
    assert len(project["stdout"].splitlines()) < 20, project["stdout"]


def test_new_from_a_rubric_file_and_the_cpu_option(report):
    _ok(report["steps"]["new --from rubric"])
    assert "from_rubric/tests/test_paper.py" in report["files"]
    _ok(report["steps"]["new --torch-cpu"])
    import tomllib

    from tests.test_scaffold_torch_cpu import check_uv_config

    check_uv_config(tomllib.loads(report["cpu pyproject"]))
