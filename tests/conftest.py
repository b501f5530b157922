"""Shared test machinery: how the suite runs, and the whole programs it starts.

`uv run pytest` runs on every core with pytest-xdist (pyproject.toml): each
worker takes whole files, one torch thread each. Tests that start whole
programs are marked ``integration`` and run with ``--integration`` (.ci/run
does): the strict site build (tests/test_site.py), a 2-process torchrun job
(tests/test_distributed.py), building the wheel and using it outside the
repository (tests/wheel_check.py for tests/test_wheel.py), and the Gradio
server (tests/test_demo.py). The first three are started in the background
right after collection when their tests are selected and the run is in one
process, so that they use the machine's other core; the tests then wait for
them with the `background_job` fixture. Under pytest-xdist each is started by
its fixture, in the worker that runs its tests.
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

# How the suite writes bytecode and shares the cores: ../conftest.py, loaded before this one.
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


def pytest_configure(config):
    if not _owner:
        _owner.append(config)


def pytest_addoption(parser):
    parser.addoption(
        "--integration", action="store_true",
        help="also run the tests that start whole programs (marked integration): the strict "
             "site build in Chromium, the wheel in a fresh environment, torchrun, the Gradio "
             "server. .ci/run does.",
    )


INTEGRATION_SKIP = "starts a whole program: run `uv run pytest --integration` (.ci/run does)"

# The files that use the trained copy-task model, which trained_copy_model caches for
# the process: under pytest-xdist they run in one worker, which trains it once.
COPY_MODEL_USERS = {
    "docs/case-studies/attention-is-all-you-need.md",
    "docs/workflow/demo-and-docs.md",
    "tests/case_studies/test_attention_is_all_you_need.py",
    "tests/test_demo.py",
}


# The files that take longest: run first, so that the workers finish together instead
# of one waiting for the other's last long file. Measured (CPU seconds of the tests,
# subprocesses included, OMP_NUM_THREADS=1, -n 0): the copy model's users 8.7 (its
# training 6.4), debugging.md 5.4, test_exercises 4.8, resnet.md 4.7, test_scaffold_from
# 4.1, analyse-the-paper.md 4.0, testing.md 4.0, exercises.md 3.3, test_cli 3.2,
# test_resnet 3.1; the whole suite's tests 85 on a loaded machine. Re-measure when a
# file grows: `--durations=30`, or the CPU times, which a busy machine does not inflate.
LONGEST_FIRST = [
    "tests/case_studies/test_attention_is_all_you_need.py",
    "docs/workflow/debugging.md",
    "tests/test_exercises.py",
    "docs/case-studies/resnet.md",
    "tests/test_scaffold_from.py",
    "docs/workflow/analyse-the-paper.md",
    "docs/workflow/testing.md",
    "docs/workflow/exercises.md",
    "tests/analysis/test_cli.py",
    "tests/case_studies/test_resnet.py",
]


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's --dist loadfile (pyproject.toml), with the copy model's users as one file."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return "the copy model's users" if file in COPY_MODEL_USERS else file

    return Scheduling(config, log)


def pytest_collection_modifyitems(session, config, items):
    rank = {file: i for i, file in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable
    if not config.getoption("integration", default=False):
        for item in items:
            if item.get_closest_marker("integration"):
                item.add_marker(pytest.mark.skip(reason=INTEGRATION_SKIP))
        items = [item for item in items if not item.get_closest_marker("integration")]
    if _owner[0] is not config:
        return  # a nested, in-process session
    if os.environ.get("PYTEST_XDIST_WORKER") or config.getoption("collectonly"):
        return  # under xdist, each job starts in the worker that runs its test
    selected = {item.path.name for item in items}
    for name, spec in _job_specs().items():
        if spec["needed_by"] in selected:
            start_job(name)


def pytest_sessionfinish(session, exitstatus):
    if _owner[0] is not session.config:
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
