"""The JSON-lines tracker: config, git state and metrics per run, read back intact."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass

import pytest
import torch

from paper2code.tracking import Run, git_state, read_runs


@dataclass
class Cfg:
    lr: float = 1e-3
    layers: int = 2


def git_repo(path):
    run = lambda *a: subprocess.run(["git", *a], cwd=path, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (path / "train.py").write_text("print('v1')\n")
    run("add", "train.py")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    return run


def test_runs_round_trip_with_git_state(tmp_path):
    git = git_repo(tmp_path)
    head = git("rev-parse", "HEAD").stdout.decode().strip()
    log = tmp_path / "runs" / "runs.jsonl"
    a = Run(log, Cfg(), name="a", repo=tmp_path)
    for step in (1, 2):
        a.log(step, loss=1.0 / step, lr=torch.tensor(0.5))
    a.finish(accuracy=0.9)
    (tmp_path / "train.py").write_text("print('v2')\n")  # an uncommitted change
    b = Run(log, {"lr": 3e-3, "layers": 2}, name="b", repo=tmp_path)
    b.log(1, loss=float("nan"))
    runs = read_runs(log)
    assert list(runs) == ["a", "b"]
    assert runs["a"].config == {"lr": 1e-3, "layers": 2}
    assert runs["a"].git == {"commit": head, "dirty": False}
    assert runs["b"].git == {"commit": head, "dirty": True}
    assert runs["a"].history("loss") == [(1, 1.0), (2, 0.5)]
    assert runs["a"].metrics[0]["lr"] == 0.5 and runs["a"].summary == {"accuracy": 0.9}
    assert math.isnan(runs["b"].history("loss")[0][1]) and runs["b"].summary is None
    for line in log.read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))


def test_outside_a_repository_the_commit_is_none(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}


def test_a_config_that_is_not_json_writes_nothing(tmp_path):
    log = tmp_path / "runs.jsonl"
    with pytest.raises(TypeError):
        Run(log, {"model": object()})
    assert not log.exists()


def test_a_corrupt_line_is_named(tmp_path):
    log = tmp_path / "runs.jsonl"
    Run(log, {}, name="a", repo=tmp_path)
    with log.open("a") as f:
        f.write("{not json\n")
    with pytest.raises(ValueError, match=r"runs.jsonl:2: not a tracking event"):
        read_runs(log)
