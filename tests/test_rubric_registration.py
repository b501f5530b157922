"""Registration bound to the code: each planted change fails until a `changed:` entry is written.

A temporary project: a metric module (``planted_metric.py``), a rubric whose
criterion names it in ``produced_by`` with its fingerprint, a test judging
the criterion, and a recordings folder. Planted: a changed metric text, a
changed margin, a changed seed list, a changed function body, a changed
constant behind a default argument. Each fails the suite with one line; each
is then fixed the only accepted way (a `changed:` entry, then the new
fingerprint, then re-recording).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from paper2code.scoring.registration import check_leaf, drift, fingerprint, main
from paper2code.scoring.rubric import parse_rubric

METRIC = '''\
LAST = 5


def stability(run, last=LAST):
    """The mean of the last evaluations."""
    return sum(run[-last:]) / last
'''
RUBRIC = """\
paper: {{title: Registered, arxiv: ""}}
items:
  - id: claim-x
    kind: result
    text: "x beats y"
    where: "Table 1"
    criterion:
      test: paired
      arms: [x, y]
      seeds: {seeds}
      seen: [0]
      metric: "{metric}"
      expect: higher
      produced_by: ["planted_metric:stability"]
{extra}"""
TESTS = """\
import pytest
from planted_metric import stability

def test_x(paper_result):
    x = {s: stability([0.5 + 0.1 * s, 0.9, 0.9 + 0.01 * s, 0.95, 0.92, 0.93, 0.9, 0.91]) for s in SEEDS}
    y = {s: stability([0.4, 0.7, 0.7 + 0.02 * s, 0.75, 0.71, 0.72, 0.7, 0.69]) for s in SEEDS}
    paper_result("claim-x", x, baseline=y)
"""
QUICK = ("-q", "-p", "no:unraisableexception", "-p", "no:randomly", "-p", "no:cacheprovider",
         "--import-mode=importlib", "-n", "0")


class Project:
    def __init__(self, root: Path):
        self.root = root
        self.seeds, self.metric, self.extra = [0, 1, 2, 3, 4, 5], "the mean of the last 5 evaluations", ""
        (root / "planted_metric.py").write_text(METRIC)
        (root / "pytest.ini").write_text("[pytest]\npaper_rubric = rubric.yaml\npaper_recordings = rec\n")
        self.write(register=True)

    def text(self, fp: str | None = None) -> str:
        extra = self.extra + (f'      fingerprint: "{fp}"\n' if fp else "")
        return RUBRIC.format(seeds=self.seeds, metric=self.metric, extra=extra)

    def leaf(self, fp: str | None = None):
        return parse_rubric(__import__("yaml").safe_load(self.text(fp))).leaf("claim-x")

    def write(self, register: bool = False, fp: str | None = None) -> None:
        """Write the rubric; ``register``: with the fingerprint the code gives now."""
        self.reload()
        self.fp = fingerprint(self.leaf().criterion) if register else (fp or self.fp)
        (self.root / "rubric.yaml").write_text(self.text(self.fp))
        (self.root / "test_reg.py").write_text(TESTS.replace("SEEDS", str(self.seeds)))

    def reload(self) -> None:
        # an edit of the same size within a second would reuse the stale .pyc
        shutil.rmtree(self.root / "__pycache__", ignore_errors=True)
        sys.modules.pop("planted_metric", None)
        importlib.invalidate_caches()
        importlib.import_module("planted_metric")

    def run(self, *args: str) -> tuple[int, str]:
        sys.modules.pop("test_reg", None)
        self.reload()
        code = pytest.main([str(self.root / "test_reg.py"), *QUICK, "--rootdir", str(self.root),
                            "-c", str(self.root / "pytest.ini"), "-rf", *args])
        return int(code), ""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    p = Project(tmp_path)
    yield p
    for name in ("planted_metric", "test_reg"):
        sys.modules.pop(name, None)


def _recorded(p: Project) -> dict:
    return next(d for d in json.loads((p.root / "rec" / "rubric.json").read_text())["leaves"]
                if d["id"] == "claim-x")


def test_the_recording_stores_the_fingerprint_it_ran_with(project, capsys):
    assert check_leaf(project.leaf(project.fp)) is None
    assert project.run("--paper-record")[0] == 0
    assert _recorded(project)["ran_with"] == project.fp
    assert project.run()[0] == 0  # a plain run agrees with its recording


@pytest.mark.parametrize("plant", ["metric", "margin-free seeds", "body", "constant"])
def test_each_planted_change_fails_until_a_changed_entry_is_written(project, capsys, plant):
    assert project.run("--paper-record")[0] == 0
    old = project.fp
    if plant == "metric":  # the registered metric's words (the issue: last 5 -> last 8)
        project.metric = "the mean of the last 8 evaluations"
    elif plant == "margin-free seeds":  # a changed seed list
        project.seeds = [0, 1, 2, 3, 4, 5, 6]
    elif plant == "body":  # a changed function body in produced_by
        (project.root / "planted_metric.py").write_text(METRIC.replace("run[-last:]", "run[-last - 3:]"))
    else:  # a changed constant behind a default argument: LAST = 5 -> 8
        (project.root / "planted_metric.py").write_text(METRIC.replace("LAST = 5", "LAST = 8"))
    project.write(fp=old)  # the rubric still registers the old fingerprint
    now = fingerprint(project.leaf().criterion)
    line = check_leaf(project.leaf(old))
    assert line == (f"claim-x: the code or criterion that produces its metric changed since registration "
                    f"(fingerprint {old} -> {now}): add a `changed:` entry saying why, then update "
                    "`fingerprint:`")
    code, _ = project.run()
    assert code == 1 and line in capsys.readouterr().out  # the suite fails, with that line
    # updating the fingerprint alone is not enough: the recording says no reason was given
    project.write(fp=now)
    code, _ = project.run("--paper-record")
    out = capsys.readouterr().out
    assert code == 1 and "with no new `changed:` entry" in out and f"fingerprint {old!r} -> {now!r}" in out
    assert _recorded(project)["ran_with"] == old  # refused: nothing written
    assert project.run()[0] == 1
    # with a reason, the criterion may be re-recorded, and then the suite passes
    project.extra = '      changed: "why it changed after the data were seen"\n'
    project.write(register=True)
    code, _ = project.run()
    assert code == 1 and "re-record" in capsys.readouterr().out
    assert project.run("--paper-record")[0] == 0 and project.run()[0] == 0
    assert _recorded(project)["ran_with"] == project.fp != old


def test_a_changed_margin_is_refused_without_a_changed_entry():
    """``drift``, the check behind --paper-record's refusal, on a changed margin."""
    before = {"test": "equivalence", "margin": 0.05, "seeds": [0, 1], "fingerprint": "0" * 12}
    after = {**before, "margin": 0.2, "fingerprint": "1" * 12}
    kind, line = drift("claim-m", before, after)
    assert kind == "refuse" and "margin 0.05 -> 0.2" in line and "add a `changed:` entry" in line
    assert drift("claim-m", before, {**after, "changed": "the margin was vacuous"})[0] == "re-record"
    assert drift("claim-m", before, before) is None
    unregistered = {k: v for k, v in before.items() if k != "fingerprint"}
    assert drift("claim-m", unregistered, before)[0] == "re-record"  # a first registration
    assert drift("claim-m", unregistered, {**before, "margin": 0.2})[0] == "refuse"
    leaf = parse_rubric({"paper": {"title": "t"}, "items": [{"id": "m", "kind": "result", "text": "t",
                         "where": "w", "criterion": after}]}).leaf("m")
    assert fingerprint(leaf.criterion) != fingerprint({**leaf.criterion, "margin": 0.05})


def test_formatting_and_comments_keep_the_fingerprint(project):
    old = project.fp
    (project.root / "planted_metric.py").write_text(
        METRIC.replace("def stability", "# a comment\n\n\ndef stability").replace("    return", "\n    return"))
    project.reload()
    assert fingerprint(project.leaf().criterion) == old


def test_the_fingerprint_command(project, capsys):
    assert main([str(project.root / "rubric.yaml")]) == 0
    assert capsys.readouterr().out == f"claim-x  {project.fp}  (registered)\n"
    (project.root / "planted_metric.py").write_text(METRIC.replace("/ last", "/ (last + 1)"))
    project.reload()
    assert main([str(project.root / "rubric.yaml")]) == 1
    assert "differs" in capsys.readouterr().out
    assert main([str(project.root / "missing.yaml")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_seen_seeds_are_exploratory(project, capsys):
    from paper2code.scoring.judging import exploratory, judge

    leaf = project.leaf(project.fp)
    values, base = [0.9, 0.8, 0.85, 0.95, 0.9, 0.88], [0.7, 0.72, 0.69, 0.75, 0.71, 0.7]
    assert judge(leaf, values, base).n == 5  # seed 0 left out of the verdict
    assert exploratory(leaf, values, base) == (
        "exploratory, seeds [0] seen before registration: 0.9 vs 0.7")
    with pytest.raises(ValueError):
        parse_rubric({"paper": {"title": "t"}, "items": [{"id": "m", "kind": "result", "text": "t",
                      "where": "w", "criterion": {"test": "paired", "expect": "higher",
                                                  "seeds": [0, 1, 2], "seen": [0, 1]}}]})
