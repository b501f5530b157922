"""Build the wheel and use it as a reader would: a fresh environment, outside this repository, no torch.

Run by tests/conftest.py as a background job (the ``wheel`` job); the test
is tests/test_wheel.py, which reads the JSON this script writes:

1. ``uv build --wheel`` into OUT/dist (offline: hatchling from uv's cache);
2. a fresh virtual environment in OUT/venv, from this interpreter, with the
   wheel's dependencies (no extra: no torch) at the versions of this
   repository's ``uv.lock`` (``uv export --format pylock.toml``, so they come
   from uv's cache with no network), then the wheel; ``uv pip check`` confirms
   that they are what the wheel requires;
3. in an empty folder outside the repository: ``paper2code analyze`` on a copy
   of the sample paper, ``paper2code new`` of a plain project and of one seeded
   ``--from`` the analysis (which installs paper2code from this wheel), that
   project's own ``uv run pytest`` (every stub skipped) and ``paper2code
   report``, from the tool's environment (no pytest there: one line, exit 2)
   and from the project's exactly as the README says (``uv run paper2code report``);
4. ``new --from`` a rubric file, and ``new --torch-cpu`` (its pyproject.toml is
   checked by tests/test_wheel.py; its install needs download.pytorch.org).

The project's ``uv run`` resolves its dependencies (torch among them) with
``--offline`` first, from uv's cache; where the cache lacks an index page it
runs again with the network (the package index only), and the report says so.

usage: python tests/wheel_check.py OUT
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
    steps["lock"] = _run([uv, "export", "--frozen", "--format", "pylock.toml", "--no-default-groups",
                          "--no-emit-project", "-q", "-o", out / "pylock.toml"], cwd=ROOT, env=env)
    steps["dependencies"] = _run([uv, "pip", "install", "--offline", "--python", python, "-r",
                                  out / "pylock.toml"], cwd=out, env=env)
    steps["install"] = _run(
        [uv, "pip", "install", "--offline", "--no-deps", "--python", python, wheels[-1]], cwd=out, env=env
    )
    steps["check"] = _run([uv, "pip", "check", "--python", python], cwd=out, env=env)
    work.mkdir(exist_ok=True)
    shutil.copy(ROOT / "src/paper2code/analysis/sample/paper.pdf", work / "paper.pdf")
    bindir = python.parent
    run_env = {**env, "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}"}
    steps["where"] = _run([python, "-c", "import paper2code; print(paper2code.__file__)"], cwd=work, env=run_env)
    steps["torch"] = _run([python, "-c", "import importlib.util as u; print(u.find_spec('torch') is not None)"],
                          cwd=work, env=run_env)
    report["venv_bytes"] = sum(p.lstat().st_size for p in venv.rglob("*") if p.is_file())
    cli = bindir / ("paper2code.exe" if os.name == "nt" else "paper2code")
    steps["analyze"] = _run([cli, "analyze", "paper.pdf"], cwd=work, env=run_env)
    # arXiv:ID against a stand-in for arXiv on 127.0.0.1 serving the sample paper's source and PDF
    import gzip

    from paper2code.analysis import sample_paper
    from paper2code.analysis.arxiv import stand_in

    pair = (gzip.compress(sample_paper("tex").read_bytes()), sample_paper("pdf").read_bytes())
    with stand_in({"2401.00001": pair}) as base:
        arxiv_env = {**run_env, "PAPER2CODE_ARXIV_URL": base, "PAPER2CODE_CACHE": str(out / "cache")}
        steps["analyze arXiv"] = _run([cli, "analyze", "arXiv:2401.00001", "-o", "arxiv-analysis"],
                                      cwd=work, env=arxiv_env)
    rubric = work / "arxiv-analysis" / "rubric.yaml"
    report["arxiv rubric"] = rubric.read_text(encoding="utf-8") if rubric.is_file() else ""
    steps["new"] = _run([cli, "new", "demo_repro", "--paper", "https://arxiv.org/abs/1706.03762"],
                        cwd=work, env=run_env)
    steps["new --from"] = _run([cli, "new", "seeded_repro", "--from", "paper-analysis"], cwd=work, env=run_env)
    project = work / "seeded_repro"
    # The project's own environment, not this one nor the tool's.
    project_env = {k: v for k, v in env.items() if k != "UV_PROJECT_ENVIRONMENT"}
    report["network"] = False
    steps["project pytest"] = _run([uv, "run", "--offline", "pytest", "-q", "-p", "no:cacheprovider"],
                                   cwd=project, env=project_env)
    if steps["project pytest"]["returncode"] != 0 and "network" in steps["project pytest"]["stderr"]:
        report["network"] = True
        steps["project pytest"] = _run([uv, "run", "pytest", "-q", "-p", "no:cacheprovider"],
                                       cwd=project, env=project_env)
    stubs = project / "tests" / "test_paper.py"
    report["stubs"] = stubs.read_text(encoding="utf-8") if stubs.is_file() else ""
    steps["report, tool"] = _run([cli, "report"], cwd=project, env=run_env)
    # exactly as the README says: `cd my_repro && uv run paper2code report` (offline: uv's cache)
    steps["report, project"] = _run([uv, "run", "paper2code", "report"], cwd=project,
                                    env={**project_env, "UV_OFFLINE": "1"})
    # `new --from` a rubric file (what `rubric import` writes), and `--torch-cpu`
    shutil.copy(work / "paper-analysis" / "rubric.yaml", work / "imported.yaml")
    steps["new --from rubric"] = _run([cli, "new", "from_rubric", "--from", "imported.yaml"], cwd=work,
                                      env=run_env)
    steps["new --torch-cpu"] = _run([cli, "new", "cpu_repro", "--torch-cpu"], cwd=work, env=run_env)
    cpu = work / "cpu_repro" / "pyproject.toml"
    report["cpu pyproject"] = cpu.read_text(encoding="utf-8") if cpu.is_file() else ""
    readme = ROOT / "README.md"
    report["readme"] = readme.read_text(encoding="utf-8")
    files = []
    for folder, subfolders, names in os.walk(work):
        subfolders[:] = [d for d in subfolders if d not in (".venv", "__pycache__")]  # not torch's files
        files += [(Path(folder) / name).relative_to(work).as_posix() for name in names]
    report["files"] = sorted(files)
    report["venv"] = str(venv)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
