"""`paper2code new`: the generated project passes its own tests, trains, and ignores secrets."""

from __future__ import annotations

import contextlib
import io
import runpy
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from paper2code.cli import main
from paper2code.project.scaffold import create_project

from .test_gitignore import check_ignore

NAME = "lora_repro"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("projects") / NAME
    return create_project(NAME, dest, description='LoRA, "from scratch"', paper_url="https://arxiv.org/abs/2106.09685")


@pytest.fixture
def scratch(project, tmp_path) -> Path:
    """A copy of the project for a test that runs it: running writes __pycache__,
    which the shared project must not get (test_layout reads every file, in any order)."""
    return Path(shutil.copytree(project, tmp_path / NAME))


def test_layout(project):
    expected = {
        ".gitignore", ".python-version", "pyproject.toml", "README.md", "train.py",
        "configs/small.yaml", "configs/medium.yaml", "configs/large.yaml", "docs/ALGORITHMS.md",
        "docs/IMPLEMENTATION_LOG.md", "docs/REPRODUCTION.md", "docs/deviations.yaml",
        "demo/app.py", "notebooks/quickstart.ipynb", "tests/test_model.py",
        f"src/{NAME}/__init__.py", f"src/{NAME}/core/__init__.py", f"src/{NAME}/core/layers.py",
        f"src/{NAME}/models/__init__.py", f"src/{NAME}/models/model.py",
    }
    assert {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()} == expected


def test_pyproject_has_groups_and_the_options(project):
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "lora-repro"
    assert meta["project"]["description"] == 'LoRA, "from scratch"'
    assert meta["project"]["urls"]["Paper"] == "https://arxiv.org/abs/2106.09685"
    assert set(meta["dependency-groups"]) >= {"dev", "demo"}
    assert (project / ".python-version").read_text().strip() == "3.11"
    readme = (project / "README.md").read_text()
    assert readme.index("## Quickstart") < readme.index("## What is implemented")


def test_readme_and_documentation_templates_have_the_sections(project):
    readme = (project / "README.md").read_text()
    headings = [line for line in readme.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Quickstart", "## What is the method?", "## Architecture", "## Components",
        "## What is implemented", "## Layout", "## Reproduction status", "## Citation",
    ]
    assert "@article{" in readme and "https://arxiv.org/abs/2106.09685" in readme
    report = (project / "docs/REPRODUCTION.md").read_text()
    for section in ("**Official code**", "## Known differences from the paper",
                    "## Reproduction status", "## External code consulted"):
        assert section in report, section
    log = (project / "docs/IMPLEMENTATION_LOG.md").read_text()
    steps = ["### Goal", "### Prerequisites check", "### Code", "### Checkpoint questions",
             "### Verification steps", "### Common bugs at this stage", "### What's next"]
    template, example = log.split("## Step 1:")
    for part in (template, example):  # the blank template and the filled-in example
        assert [line for line in part.splitlines() if line in steps] == steps
    # the example names a test that exists in the generated project
    assert "def test_residual_block_is_identity_when_its_branch_is_zero" in (
        project / "tests/test_model.py").read_text()


def test_generated_deviation_log_is_valid(project):
    from paper2code.diagnostics.deviations import load_deviations

    assert [d.id for d in load_deviations(project / "docs/deviations.yaml")] == ["dev-init"]


def test_generated_tests_pass(scratch, monkeypatch):
    # In this process (no network, no new environment): the same torch, no second import.
    monkeypatch.syspath_prepend(str(scratch / "src"))
    code = pytest.main([str(scratch / "tests"), "-q", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
                        "--rootdir", str(scratch)])
    assert code == 0


def test_train_runs_with_the_small_preset(scratch, monkeypatch):
    monkeypatch.syspath_prepend(str(scratch / "src"))
    monkeypatch.setattr(sys, "argv", ["train.py", "--config", "small", "--steps", "5"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(scratch / "train.py"), run_name="__main__")
    assert exit_.value.code == 0
    assert "step      5  loss" in out.getvalue() and "done: 5 steps" in out.getvalue()


def test_generated_notebook_is_valid_json_without_outputs(project):
    import json

    nb = json.loads((project / "notebooks/quickstart.ipynb").read_text())
    assert nb["nbformat"] == 4 and all(not c.get("outputs") for c in nb["cells"])


def test_gitignore_of_the_generated_project(project, tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text((project / ".gitignore").read_text())
    ignored = [".env", "secrets.json", "credentials.json", ".venv/bin/python", "checkpoints/last.pt"]
    kept = ["pyproject.toml", "uv.lock", "configs/small.yaml", "notebooks/quickstart.ipynb"]
    assert check_ignore(repo, ignored) == set(ignored)
    assert check_ignore(repo, kept) == set()


@pytest.mark.parametrize("name", ["my-paper", "1paper", "class", "json", "papér"])
def test_invalid_names_are_refused_with_one_line(tmp_path, capsys, name):
    assert main(["new", name, "--dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("paper2code new: error:")
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_non_empty_folder_and_writes_nothing(tmp_path, capsys):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["new", "proj", "--dir", str(target)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_fills_an_empty_folder(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    create_project("proj", target)
    assert (target / "src" / "proj" / "models" / "model.py").is_file()


def test_a_failure_part_way_leaves_nothing(tmp_path, monkeypatch):
    calls = {"n": 0}
    original = Path.write_text

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(OSError):
        create_project("proj", tmp_path / "proj")
    assert list(tmp_path.iterdir()) == []
