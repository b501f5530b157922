"""The tools work without torch (and `report` without pytest says so in one line).

torch is the ``torch`` extra (``pip install "paper2code[torch]"``): `analyze`,
`new` and `report` never import it. These tests hide torch from a fresh
interpreter with ``sys.modules["torch"] = None``, which makes every import of
it fail as on a machine without it; tests/test_wheel.py checks the same on a
real environment without torch, under --integration.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import paper2code
from paper2code import TORCH_INSTALL, _NeedsTorch
from paper2code.analysis import sample_paper
from paper2code.cli import main


def _without(modules: list[str], code: str, cwd) -> subprocess.CompletedProcess:
    hide = "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run([sys.executable, "-c", f"import sys\n{hide}{code}"], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_the_tools_run_without_torch(tmp_path):
    code = (
        "from paper2code.cli import main\n"
        f"assert main(['analyze', {str(sample_paper('tex'))!r}, '-o', 'out']) == 0\n"
        "assert main(['new', 'demo', '--from', 'out', '--paper2code', 'paper2code==0.1.0']) == 0\n"
        "import paper2code.scoring.pytest_plugin, paper2code.tracking, paper2code.diagnostics.deviations\n"
        "assert 'torch' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}\n"
        "import paper2code.losses\n"
    )
    proc = _without(["torch"], code, tmp_path)
    assert (tmp_path / "demo" / "tests" / "test_paper.py").is_file(), proc.stderr
    # The last import is an example implementation: one line says what to install.
    assert proc.stderr.strip().splitlines()[-1] == (
        f"ModuleNotFoundError: paper2code.losses needs torch, which is not installed here: {TORCH_INSTALL}")


def test_only_modules_that_import_torch_are_refused():
    finder, path = _NeedsTorch(), paper2code.__path__  # as the import system calls it
    with pytest.raises(ModuleNotFoundError, match=r'paper2code.optim needs torch.*paper2code\[torch\]'):
        finder.find_spec("paper2code.optim", path)
    for name in ("paper2code.scoring.rubric", "paper2code.analysis", "paper2code.nn", "paper2code.nope"):
        assert finder.find_spec(name, path) is None, name
    assert finder.find_spec("numpy", None) is None


def test_report_without_pytest_is_one_line_and_exit_2(tmp_path):
    proc = _without(["pytest", "_pytest"], "from paper2code.cli import main\nsys.exit(main(['report']))",
                    tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "paper2code report: error: pytest is not installed here; run the report in your project's "
        "environment: uv run paper2code report (or pip install pytest)")


def test_a_command_that_needs_torch_says_how_to_install_it(monkeypatch, capsys):
    def needs_torch(*args):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    monkeypatch.setattr("paper2code.project.scaffold.run_new", needs_torch)
    assert main(["new", "demo"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"paper2code new: error: this command needs torch, which is not installed here: {TORCH_INSTALL}")


def test_another_missing_module_is_not_disguised(monkeypatch):
    def needs_yaml(*args):
        raise ModuleNotFoundError("No module named 'yaml'", name="yaml")

    monkeypatch.setattr("paper2code.project.scaffold.run_new", needs_yaml)
    with pytest.raises(ModuleNotFoundError, match="yaml"):
        main(["new", "demo"])
