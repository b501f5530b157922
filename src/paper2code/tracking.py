"""Track experiments offline: config, code version and metrics of every run, as JSON lines.

A result you cannot trace back to the exact config and commit that produced
it is an anecdote. [`Run`][paper2code.tracking.Run] appends one JSON object
per line to a file (``runs.jsonl``): a ``start`` event with the config, the
git commit and whether the working tree had uncommitted changes, one
``metrics`` event per logged step, and an ``end`` event with the summary.
Several runs share a file; [`read_runs`][paper2code.tracking.read_runs]
groups them back. Plain text: it diffs, greps (``jq``), survives a crash
mid-run (every line is flushed), and needs no server or account.

Non-finite numbers (a NaN loss is worth logging) are written as the strings
``"nan"``, ``"inf"``, ``"-inf"``, which strict JSON readers accept, and read
back as floats, in lists too (so a string value ``"nan"`` comes back as a float).

Differences from the paper: not applicable (tooling). TensorBoard's
``SummaryWriter`` and hosted trackers do the same job with a viewer; this
module is the minimum that makes a run reproducible.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Run", "RunRecord", "git_state", "read_runs"]


# --8<-- [start:git_state]
def git_state(repo: str | Path = ".") -> dict[str, Any]:
    """The commit checked out in ``repo`` and whether the tree is dirty.

    ``{"commit": None, "dirty": None}`` outside a git repository (or without
    git): a run outside version control is recorded as such, not refused.
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        # Untracked files count: a train.py that imports a model.py never added
        # runs code the commit does not have. Files git ignores do not count.
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


# --8<-- [end:git_state]


def _encode(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # 'nan', 'inf', '-inf'
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if hasattr(value, "item") and callable(
        value.item
    ):  # a 0-d tensor or NumPy scalar
        return _encode(value.item())
    return value


def _decode(value: Any) -> Any:
    if value in ("nan", "inf", "-inf"):
        return float(value)
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


# --8<-- [start:run]
class Run:
    """One run, appended to a JSON-lines file as it happens.

    Args:
        path: The ``.jsonl`` file (created with its folder if missing).
        config: The run's config: a dataclass or a JSON-serialisable dict.
        name: A run id; default a timestamp plus a random suffix.
        repo: Where to read the git state from.

    Raises:
        TypeError: a config that cannot be written as JSON (checked before
            anything is written).
    """

    def __init__(
        self,
        path: str | Path,
        config: Any,
        name: str | None = None,
        repo: str | Path = ".",
    ):
        if dataclasses.is_dataclass(config) and not isinstance(config, type):
            config = dataclasses.asdict(config)
        config = _encode(config)
        json.dumps(config, allow_nan=False)  # fail before writing anything
        self.path = Path(path)
        self.name = (
            name or time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        )
        start = {
            "event": "start",
            "run": self.name,
            "time": time.time(),
            "config": config,
            "git": git_state(repo),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write(start)

    def _write(self, record: dict) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(_encode(record), allow_nan=False) + "\n")

    def log(self, step: int, **metrics: float) -> None:
        """Record metrics at a step (a loss, an accuracy, the learning rate)."""
        self._write(
            {"event": "metrics", "run": self.name, "step": step, **metrics}
        )

    def finish(self, **summary: Any) -> None:
        """Record the final results; a run without ``end`` crashed or runs."""
        self._write(
            {"event": "end", "run": self.name, "time": time.time(), **summary}
        )


# --8<-- [end:run]


# --8<-- [start:read_runs]
@dataclass
class RunRecord:
    """A run read back: its config, git state, metric rows and summary."""

    name: str
    config: dict
    git: dict
    metrics: list[dict] = field(default_factory=list)
    summary: dict | None = None  # None: the run never finished

    def history(self, key: str) -> list[tuple[int, float]]:
        """``(step, value)`` of one metric, in logging order."""
        return [(m["step"], m[key]) for m in self.metrics if key in m]


def read_runs(path: str | Path) -> dict[str, RunRecord]:
    """Every run in a JSON-lines file, by name, in the order they started.

    A last line without its newline is a write cut short (a crash, a full
    disk): it is left out with a warning naming it, and the runs before it
    are read. Anywhere else, a line that is not an event is corruption.

    Raises:
        ValueError: a complete line that is not JSON, or an event for an
            unknown run, named by its line number.
    """
    runs: dict[str, RunRecord] = {}
    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")  # every complete line ends with "\n": the last piece is "" or cut short
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = _decode(json.loads(line))
            kind, name = event.pop("event"), event.pop("run")
        except (json.JSONDecodeError, KeyError, AttributeError) as err:
            if number == len(lines):
                warnings.warn(f"{path}:{number}: a last line cut short, left out ({err})", stacklevel=2)
                break
            raise ValueError(
                f"{path}:{number}: not a tracking event ({err})"
            ) from None
        if kind == "start":
            runs[name] = RunRecord(name, event["config"], event["git"])
        elif name not in runs:
            raise ValueError(
                f"{path}:{number}: event for run {name!r} before its start"
            )
        elif kind == "metrics":
            runs[name].metrics.append(event)
        elif kind == "end":
            event.pop("time", None)
            runs[name].summary = event
    return runs


# --8<-- [end:read_runs]
