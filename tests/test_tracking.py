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


def test_an_untracked_file_makes_the_tree_dirty_an_ignored_one_does_not(tmp_path):
    git_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("runs/\n.gitignore\n")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "runs.jsonl").write_text("")
    assert git_state(tmp_path)["dirty"] is False
    # train.py (committed) imports it: the commit alone does not have the code that ran
    (tmp_path / "model.py").write_text("WIDTH = 64\n")
    assert git_state(tmp_path)["dirty"] is True


def test_non_finite_numbers_in_a_list_come_back_as_floats(tmp_path):
    log = tmp_path / "runs.jsonl"
    Run(log, {"grid": [0.1, float("inf")]}, name="a", repo=tmp_path).log(1, losses=[1.0, float("nan")])
    run = read_runs(log)["a"]
    assert run.config["grid"] == [0.1, math.inf]
    assert run.metrics[0]["losses"][0] == 1.0 and math.isnan(run.metrics[0]["losses"][1])


def test_a_last_line_cut_short_is_left_out_with_a_warning(tmp_path):
    log = tmp_path / "runs.jsonl"
    run = Run(log, {}, name="a", repo=tmp_path)
    run.log(1, loss=0.5)
    with log.open("a") as f:
        f.write('{"event": "metrics", "run": "a", "st')  # the crash came mid-write
    with pytest.warns(UserWarning, match=r"runs.jsonl:3: a last line cut short, left out"):
        runs = read_runs(log)
    assert runs["a"].history("loss") == [(1, 0.5)] and runs["a"].summary is None
