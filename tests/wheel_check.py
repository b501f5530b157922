"""Build the wheel and use it as a reader would, outside this repository.

Run by tests/conftest.py as a background job (the ``wheel`` job); the test
is tests/test_wheel.py, which reads the JSON this script writes:

1. ``uv build --wheel`` into OUT/dist (offline: hatchling from uv's cache);
2. a fresh virtual environment in OUT/venv, from this interpreter, and
   ``uv pip install --no-deps`` of the wheel into it;
3. in an empty folder outside the repository, ``paper2code analyze`` on a
   copy of the sample paper, and ``paper2code new`` of a project.

The environment's third-party dependencies (torch, markitdown, …) are made
importable from the test environment's site-packages through a ``.pth``
line, because installing 5 GB of torch again would take minutes and prove
nothing about this package; ``paper2code`` itself, its templates and its
sample paper come from the wheel alone (step 3 records where it was
imported from, and the test checks that). With network access the same
commands install the dependencies too: see docs/workflow/setup.md.

usage: python tests/wheel_check.py OUT
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(argv: list[str], cwd: Path, env: dict | None = None) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    return {
        "argv": [str(a) for a in argv],
        "returncode": proc.returncode,
        "stdout": proc.stdout[-4000:],
        "stderr": proc.stderr[-4000:],
        "seconds": round(time.perf_counter() - start, 1),
    }


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"steps": {}}
    steps = report["steps"]
    uv = shutil.which("uv")
    if uv is None:
        report["skip"] = "uv is not on PATH"
        (out / "report.json").write_text(json.dumps(report, indent=1))
        return 0
    dist, venv, work = out / "dist", out / "venv", out / "work"
    # A clean environment: no VIRTUAL_ENV or PYTHONPATH pointing back at the repository.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    steps["build"] = _run([uv, "build", "--offline", "--wheel", "--out-dir", dist, ROOT], cwd=out, env=env)
    wheels = sorted(dist.glob("paper2code-*.whl"))
    if steps["build"]["returncode"] != 0 or not wheels:
        (out / "report.json").write_text(json.dumps(report, indent=1))
        return 0
    report["wheel"] = wheels[-1].name
    steps["venv"] = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=out, env=env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    steps["install"] = _run(
        [uv, "pip", "install", "--offline", "--no-deps", "--python", python, wheels[-1]], cwd=out, env=env
    )
    # Third-party dependencies from the test environment (see the module docstring).
    purelib = Path(
        subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                text=True).strip()
    )
    (purelib / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    work.mkdir(exist_ok=True)
    shutil.copy(ROOT / "src/paper2code/analysis/sample/paper.pdf", work / "paper.pdf")
    bindir = python.parent
    run_env = {**env, "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}"}
    steps["where"] = _run([python, "-c", "import paper2code; print(paper2code.__file__)"], cwd=work, env=run_env)
    cli = bindir / ("paper2code.exe" if os.name == "nt" else "paper2code")
    steps["analyze"] = _run([cli, "analyze", "paper.pdf"], cwd=work, env=run_env)
    steps["new"] = _run([cli, "new", "demo_repro", "--paper", "https://arxiv.org/abs/1706.03762"],
                        cwd=work, env=run_env)
    report["files"] = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    report["venv"] = str(venv)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
