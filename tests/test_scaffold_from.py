"""`paper2code new NAME --from ANALYSIS_DIR`: a project seeded from the paper, graded by its rubric."""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from paper2code.analysis import analyze, sample_paper, write_outputs
from paper2code.cli import main
from paper2code.scoring.rubric import load_rubric

NAME = "demo_repro"

EQ2 = '''
import math

import torch


def read_memory(M, q, d_k):
    # r_t = M_t q_t / sqrt(d_k)   (Equation 2)
    return M @ q / math.sqrt(d_k)
'''

EQ2_TEST = '''
@pytest.mark.paper("eq-2")
def test_eq_2():
    """Equation (2) against an explicit sum."""
    import torch

    from demo_repro.memory import read_memory

    M, q = torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    expected = torch.stack([sum(M[i, j] * q[j] for j in range(4)) for i in range(3)]) / 2.0
    torch.testing.assert_close(read_memory(M, q, 4), expected)
'''


@pytest.fixture(scope="module")
def analysis(tmp_path_factory) -> Path:
    """`paper2code analyze` of the sample paper (read only: every test seeds from it)."""
    out = tmp_path_factory.mktemp("analysis") / "out"
    write_outputs(analyze(sample_paper("pdf")), out)
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, analysis) -> Path:
    root = tmp_path_factory.mktemp("seed")
    assert main(["new", NAME, "--dir", str(root / NAME), "--from", str(analysis)]) == 0
    return root / NAME


def report(project: Path, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project / "src"))
    # each run imports the project afresh, as a new process would
    for name, module in list(sys.modules.items()):
        here = str(getattr(module, "__file__", None) or "").startswith(str(project))
        if here or name.split(".")[0] == NAME or name in ("test_paper", "tests.test_paper"):
            monkeypatch.delitem(sys.modules, name)
    # The stubs' file only: tests/test_scaffold.py runs the starter tests.
    code = main(["report", "--", "tests/test_paper.py", "--import-mode=importlib", "-p", "no:randomly"])
    captured = capsys.readouterr()
    assert code != 2, captured.err
    return code, captured.out


def equation_states(scorecard: str) -> list[str]:
    """The first word of the state of eq-1 ... eq-6 in a text scorecard.

    A run of stubs of one group is one line ("2 Method: 8 leaves not implemented
    (eq-3 … claim-2-1)"): an equation without a line of its own is in such a run.
    """
    states = {int(line.split()[0][3:]): line.split()[2] for line in scorecard.splitlines()
              if line.startswith("eq-")}
    if len(states) < 6:
        assert re.search(r"^.+: \d+ leaves not implemented \(.+ … .+\)$", scorecard, re.MULTILINE), scorecard
    return [states.get(k, "not") for k in range(1, 7)]


def test_seeded_files(seeded):
    rubric = load_rubric(seeded / "rubric.yaml")
    algorithms = (seeded / "docs/ALGORITHMS.md").read_text()
    for n in range(1, 7):
        assert f"## Equation ({n})" in algorithms
    assert "## Algorithm 1: Decayed Memory Attention, one sequence" in algorithms
    assert "rt = Mt qt / √dk" in algorithms and "Mt ← γ Mt-1 + (1 - γ) vt ktT" in algorithms
    config = yaml.safe_load((seeded / "configs/paper.yaml").read_text())["paper"]
    assert config["warmup_steps"] == 4000 and config["epsilon"] == 1e-9 and config["learning_rate"] == 3e-4
    assert "learning rate of 3 × 10-4" in (seeded / "configs/paper.yaml").read_text()
    stubs = (seeded / "tests/test_paper.py").read_text()
    assert stubs.count('@pytest.mark.skip(reason="not implemented') == len(rubric.leaves)
    meta = tomllib.loads((seeded / "pyproject.toml").read_text())
    assert meta["tool"]["pytest"]["ini_options"]["paper_rubric"] == "rubric.yaml"
    assert "paper2code" in meta["dependency-groups"]["dev"]


def test_stubs_skip_and_the_report_shows_nothing_verified(seeded, monkeypatch, capsys):
    code, out = report(seeded, monkeypatch, capsys)
    assert code == 0
    n = len(load_rubric(seeded / "rubric.yaml").leaves)
    assert f"implementation: {n} leaves — {n} not implemented" in out
    assert not [line for line in out.splitlines() if "  verified  " in line]  # no leaf verified


def test_implementing_one_equation_verifies_it_and_breaking_it_turns_it_red(seeded, tmp_path, monkeypatch,
                                                                           capsys):
    # A copy: this test edits the project, which the other tests read in any order.
    seeded = Path(shutil.copytree(seeded, tmp_path / NAME))
    (seeded / "src" / NAME / "memory.py").write_text(EQ2)
    stubs = (seeded / "tests/test_paper.py").read_text()
    start = stubs.index('@pytest.mark.paper("eq-2")')
    end = stubs.index("@pytest.mark.paper", start + 1)
    (seeded / "tests/test_paper.py").write_text(stubs[:start] + EQ2_TEST.lstrip() + "\n\n" + stubs[end:])
    code, out = report(seeded, monkeypatch, capsys)
    assert code == 0
    assert equation_states(out) == ["not", "verified", "not", "not", "not", "not"]
    assert "— 1 verified, " in out
    # The bug the test guards against: the 1/sqrt(d_k) scale left out.
    (seeded / "src" / NAME / "memory.py").write_text(EQ2.replace(" / math.sqrt(d_k)", ""))
    code, out = report(seeded, monkeypatch, capsys)
    assert code == 1
    assert equation_states(out) == ["not", "failed", "not", "not", "not", "not"]


def test_new_from_a_rubric_file(tmp_path, analysis, capsys):
    """`rubric import` writes a rubric file; `new --from` takes it as it takes an analysis folder."""
    rubric = tmp_path / "imported.yaml"
    rubric.write_text((analysis / "rubric.yaml").read_text())
    assert main(["new", NAME, "--dir", str(tmp_path / NAME), "--from", str(rubric)]) == 0
    assert (tmp_path / NAME / "rubric.yaml").read_text() == rubric.read_text()
    assert "@pytest.mark.paper(" in (tmp_path / NAME / "tests" / "test_paper.py").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("paper: {title: T}\nitems:\n  - {id: a, kind: nonsense, text: t, where: w}\n")
    capsys.readouterr()
    assert main(["new", "other", "--dir", str(tmp_path / "other"), "--from", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"paper2code new: error: {bad}: ") and "nonsense" in err[0]
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize("problem, message", [
    ("missing", "no such analysis folder"),
    ("no-rubric", "rubric.yaml: not found"),
    ("duplicate", "duplicate id 'eq-1'"),
])
def test_bad_analysis_folders_are_refused_with_one_line(tmp_path, capsys, problem, message):
    out = tmp_path / "out"
    if problem != "missing":
        out.mkdir()
    if problem == "duplicate":
        (out / "rubric.yaml").write_text(
            "paper: {title: T}\nitems:\n"
            "  - {id: eq-1, kind: implementation, text: a, where: b}\n"
            "  - {id: eq-1, kind: implementation, text: a, where: b}\n"
        )
    assert main(["new", NAME, "--dir", str(tmp_path / NAME), "--from", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / NAME).exists()


def _paper2code_of(project: Path) -> tuple[list[str], dict | None]:
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    dev = [r for r in meta["dependency-groups"]["dev"] if r.startswith("paper2code")]
    return dev, meta.get("tool", {}).get("uv", {}).get("sources", {}).get("paper2code")


def test_by_default_the_project_installs_paper2code_from_where_this_copy_came_from(seeded):
    # This suite runs paper2code from the clone, installed editable by `uv sync`.
    root = Path(__file__).resolve().parent.parent
    assert _paper2code_of(seeded) == (["paper2code"], {"path": root.as_posix(), "editable": True})


@pytest.mark.parametrize("spec, expected", [
    ("0.1.0", (["paper2code==0.1.0"], None)),
    ("paper2code>=0.1,<0.2", (["paper2code>=0.1,<0.2"], None)),
    ("WHEEL", (["paper2code"], {"path": "WHEEL"})),
])
def test_paper2code_option(analysis, tmp_path, capsys, spec, expected):
    wheel = tmp_path / "dist" / "paper2code-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    spec = spec.replace("WHEEL", str(wheel))
    assert main(["new", NAME, "--dir", str(tmp_path / NAME), "--from", str(analysis),
                 "--paper2code", spec]) == 0
    requirement, source = expected
    if source:
        source = {"path": wheel.as_posix()}
    assert _paper2code_of(tmp_path / NAME) == (requirement, source)
    assert "it installs paper2code from " in capsys.readouterr().out


@pytest.mark.parametrize("spec, message", [
    ("numpy==2.0", "'numpy==2.0': not a version (0.1.0), a requirement (paper2code==0.1.0), a wheel or a folder"),
    ("dist/paper2code-9.whl", "dist/paper2code-9.whl: no such wheel or folder"),
    ("NOFROM", "--paper2code needs --from"),
])
def test_bad_paper2code_option_is_one_line_and_writes_nothing(analysis, tmp_path, capsys, spec, message):
    argv = ["new", NAME, "--dir", str(tmp_path / NAME), "--paper2code", spec.replace("NOFROM", "0.1.0")]
    if spec != "NOFROM":
        argv += ["--from", str(analysis)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / NAME).exists()
