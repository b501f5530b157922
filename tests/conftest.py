"""Shared test machinery: long subprocess jobs that run in the background.

Three checks run whole programs: the strict site build (tests/test_site.py),
a 2-process torchrun job (tests/test_distributed.py), and building the wheel
and using it outside the repository (tests/wheel_check.py for
tests/test_wheel.py). Each takes several seconds, mostly starting Python and
importing. Right after collection, if
their tests were selected, they are started in the background, so that they
use the machine's other core while this process runs the other tests; the
tests then wait for them with the `background_job` fixture. A job that was
not started early (under pytest-xdist, say) is started by its fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="paper2code-jobs-"))


def _job_specs() -> dict[str, dict]:
    env = {k: v for k, v in os.environ.items()}
    return {
        "site": {
            "needed_by": "test_site.py",
            "argv": [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(_TMP / "site")],
            "env": {**env, "NO_MKDOCS_2_WARNING": "1"},
            "output": _TMP / "site",
        },
        "ddp": {
            "needed_by": "test_distributed.py",
            "argv": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                     "-m", "paper2code.distributed", "--steps", "20", "--out", str(_TMP / "ddp")],
            "env": {**env, "OMP_NUM_THREADS": "1", **({"GLOO_SOCKET_IFNAME": "lo"} if sys.platform == "linux" else {})},
            "output": _TMP / "ddp",
        },
        "wheel": {
            "needed_by": "test_wheel.py",
            "argv": [sys.executable, str(ROOT / "tests" / "wheel_check.py"), str(_TMP / "wheel")],
            "env": env,
            "output": _TMP / "wheel",
        },
    }


class Job:
    """A program started with Popen, its output captured to files."""

    def __init__(self, name: str, spec: dict):
        self.name, self.spec = name, spec
        self.stdout = open(_TMP / f"{name}.out", "w+")  # noqa: SIM115 - closed in finish()
        self.stderr = open(_TMP / f"{name}.err", "w+")  # noqa: SIM115
        # Lower priority: the jobs fill the time the test process leaves idle instead of
        # slowing it down (it is the critical path of the run).
        nice = (lambda: os.nice(10)) if hasattr(os, "nice") else None
        self.proc = subprocess.Popen(
            spec["argv"], cwd=ROOT, env=spec["env"], stdout=self.stdout, stderr=self.stderr, preexec_fn=nice
        )

    @property
    def output(self) -> Path:
        return self.spec["output"]

    def wait(self, timeout: float = 300) -> subprocess.CompletedProcess:
        code = self.proc.wait(timeout=timeout)
        self.stdout.seek(0)
        self.stderr.seek(0)
        return subprocess.CompletedProcess(self.spec["argv"], code, self.stdout.read(), self.stderr.read())

    def finish(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stdout.close()
        self.stderr.close()


_jobs: dict[str, Job] = {}
# The session that started the jobs. Some tests run pytest in-process on part of
# this suite (tests/test_case_study_scorecards.py); such a nested session loads this
# conftest too, and must neither start the jobs nor close them when it ends.
_owner: list[pytest.Config] = []


def start_job(name: str) -> Job:
    if name not in _jobs:
        _jobs[name] = Job(name, _job_specs()[name])
    return _jobs[name]


def pytest_collection_modifyitems(session, config, items):
    if os.environ.get("PYTEST_XDIST_WORKER") or config.getoption("collectonly"):
        return  # under xdist, each job starts in the worker that runs its test
    if _owner and _owner[0] is not config:
        return  # a nested, in-process session
    _owner.append(config)
    selected = {item.path.name for item in items}
    for name, spec in _job_specs().items():
        if spec["needed_by"] in selected:
            start_job(name)


def pytest_sessionfinish(session, exitstatus):
    if _owner and _owner[0] is not session.config:
        return  # a nested, in-process session: the jobs belong to the outer one
    for job in _jobs.values():
        job.finish()
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def background_job():
    """``background_job(name)`` -> the finished job (started now if it was not yet)."""

    def get(name: str) -> tuple[Job, subprocess.CompletedProcess]:
        job = start_job(name)
        return job, job.wait()

    return get
