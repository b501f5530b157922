"""``paper2code exercise`` from the wheel, in a fresh environment, outside the repository.

As tests/wheel_check.py does for ``analyze`` and ``new``: ``uv build`` the
wheel (offline), install it with ``uv pip install --no-deps`` into a new
virtual environment, and make the test environment's third-party packages
(torch) importable there through a ``.pth`` line. ``paper2code`` itself,
its exercise stubs and the sources ``solution`` prints come from the wheel
(the test checks where it was imported from). Then, in an empty folder:
``list``, ``start``, ``check`` of the stub, of the printed solution and of a
catalogued bug, and ``start`` refusing to overwrite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    out = tmp_path_factory.mktemp("exercise-wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    subprocess.run([uv, "build", "--offline", "--wheel", "--out-dir", out / "dist", ROOT], cwd=out, env=env,
                   check=True, capture_output=True, timeout=300)
    wheel = sorted((out / "dist").glob("paper2code-*.whl"))[-1]
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", out / "venv"], check=True, timeout=120)
    python = out / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([uv, "pip", "install", "--offline", "--no-deps", "--python", python, wheel], cwd=out, env=env,
                   check=True, capture_output=True, timeout=300)
    purelib = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                      text=True).strip()
    (Path(purelib) / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    work = out / "work"
    work.mkdir()
    return python, work, env


def cli(installed, *argv: str) -> subprocess.CompletedProcess:
    python, work, env = installed
    return subprocess.run([python, "-m", "paper2code.cli", "exercise", *argv], cwd=work, env=env,
                          capture_output=True, text=True, timeout=240)


def test_the_package_comes_from_the_wheel(installed):
    python, work, env = installed
    where = subprocess.run([python, "-c", "import paper2code.exercises as e; print(e.__file__)"], cwd=work,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(python.parent.parent), where


def test_list_start_check_solution_from_the_wheel(installed):
    _, work, _ = installed
    listed = cli(installed, "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) >= 20

    assert cli(installed, "start", "gae").returncode == 0
    stub = cli(installed, "check", "gae", "gae.py")
    assert stub.returncode == 1 and "not implemented yet" in stub.stdout

    again = cli(installed, "start", "gae")
    assert again.returncode == 2 and "not overwritten" in again.stderr and "raise NotImplementedError" in (work / "gae.py").read_text()

    solution = cli(installed, "solution", "gae")
    assert solution.returncode == 0
    (work / "solution.py").write_text(solution.stdout)
    passed = cli(installed, "check", "gae", "solution.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    lines = passed.stdout.splitlines()
    assert lines[-1] == f"gae: all {len(lines) - 1} checks passed" and len(lines) >= 8

    (work / "bug.py").write_text("import torch\n\n\n"
                                 "def gae(rewards, values, next_values, terminated, truncated, gamma, lam):\n"
                                 "    adv, running = torch.zeros_like(rewards), torch.zeros_like(rewards[0])\n"
                                 "    for t in reversed(range(len(rewards))):\n"
                                 "        ended = torch.maximum(terminated[t], truncated[t])\n"
                                 "        delta = rewards[t] + gamma * next_values[t] * (1 - ended) - values[t]\n"
                                 "        running = delta + gamma * lam * (1 - ended) * running\n"
                                 "        adv[t] = running\n"
                                 "    return adv, adv + values\n")
    named = cli(installed, "check", "gae", "bug.py")
    assert named.returncode == 1, named.stderr
    assert "truncation treated as termination" in named.stdout and "PPO §" in named.stdout
