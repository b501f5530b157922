"""A pytest plugin that links tests to a paper's rubric and writes its scorecard.

Installed with ``paper2code`` (entry point ``pytest11``), so it is active in
any project whose environment has the package. It adds:

* the marker ``@pytest.mark.paper("eq-3", "hp-warmup_steps")``: the test
  checks these leaves of the rubric (see `paper2code.scoring.rubric`);
* the marker ``pytest.mark.paper_rubric(PATH)`` (usually as a module's
  ``pytestmark``): the rubric of this module's tests, when one run covers
  several papers;
* the fixture ``paper_result``: ``paper_result("tab-3-base-params", ours)``
  checks ``ours`` against the leaf's value and tolerance, fails the test if it
  is off, and records ``ours`` for the scorecard; with per-seed values
  (``paper_result("res-x", [v0, v1, v2], baseline=[...])``) the leaf's
  ``criterion`` decides, by `paper2code.statistics.evaluation`, after checking
  that its code and fields still give its registered ``fingerprint``
  (`paper2code.scoring.registration`: one line and a failed test if not);
* the options ``--paper-rubric PATH`` (ini ``paper_rubric``), the rubric of
  tests without a ``paper_rubric`` marker; ``--paper-scorecard OUT``, write
  the scorecard after the run (``.md`` Markdown, ``.json`` the recording,
  else text); ``paper_recordings`` (ini, a folder) with ``--paper-record``,
  write the recording ``FOLDER/RUBRIC-STEM.json`` of each rubric (refused
  over a criterion changed without a new ``changed:`` entry); without it,
  compare each recording with this run and fail the run if they differ
  (`paper2code.scoring.recording`).

A marker naming a leaf that is not in the rubric (a leaf the reader pruned)
gets a one-line warning at the end of the run; the test still runs. A rubric
that does not validate is a usage error (pytest exit code 4). Links and
values travel in the test reports (``user_properties``), so pytest-xdist
works; a test deselected with ``-k`` shows its leaf as *not run* in a run
without xdist (xdist's workers do not report deselected tests).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from paper2code.scoring.judging import expected_verdict, judge
from paper2code.scoring.recording import Recorder
from paper2code.scoring.registration import check_leaf, fingerprint
from paper2code.scoring.rubric import Rubric, RubricError, load_rubric
from paper2code.scoring.scorecard import Scorecard

__all__ = ["scorecards"]

_STATE = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paper2code", "reproduction scorecard (paper2code)")
    group.addoption("--paper-rubric", metavar="PATH", help="the paper's rubric (YAML)")
    group.addoption("--paper-scorecard", metavar="OUT",
                    help="write the scorecard to OUT after the run (.md, .json or text)")
    group.addoption("--paper-record", action="store_true",
                    help="rewrite the recordings in the paper_recordings folder")
    parser.addini("paper_rubric", "the paper's rubric, relative to the rootdir")
    parser.addini("paper_recordings", "folder of recorded scorecards to compare with")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "paper(*ids): links a test to leaves of a paper's rubric")
    config.addinivalue_line("markers", "paper_rubric(path): the rubric of these tests")
    # rubric path -> Rubric; node id -> outcome per rubric; results per rubric
    config.stash[_STATE] = {
        "rubrics": {}, "links": {}, "results": {}, "mismatch": [], "ran": set(),
        "unknown": [], "deselected": {},
    }
    default = config.getoption("--paper-rubric") or config.getini("paper_rubric")
    config.stash[_STATE]["default"] = _resolve(config, default) if default else None
    if default:
        _rubric(config, config.stash[_STATE]["default"])
    config.pluginmanager.register(Recorder(config, _STATE, scorecards), "paper2code-recorder")


def _resolve(config: pytest.Config, path: str | Path) -> str:
    path = Path(path)
    return str(path if path.is_absolute() else config.rootpath / path)


def _rubric(config: pytest.Config, path: str) -> Rubric:
    rubrics = config.stash[_STATE]["rubrics"]
    if path not in rubrics:
        try:
            rubrics[path] = load_rubric(path)
        except RubricError as err:
            raise pytest.UsageError(str(err)) from None
    return rubrics[path]


def _rubric_path(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("paper_rubric")
    if marker is not None:
        return _resolve(item.config, marker.args[0])
    return item.config.stash[_STATE]["default"]


def _links(item: pytest.Item) -> tuple[str, list[str]] | None:
    """The item's rubric and the leaf ids its markers name that the rubric has."""
    path = _rubric_path(item)
    if path is None:
        return None
    ids = [i for m in item.iter_markers("paper") for i in m.args]
    known = {leaf.id for leaf in _rubric(item.config, path).leaves}
    return path, [i for i in ids if i in known]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put each test's links in its reports; note markers naming a leaf the rubric lacks."""
    for item in items:
        found = _links(item)
        if found is None:
            continue
        path, ids = found
        for leaf_id in [i for m in item.iter_markers("paper") for i in m.args]:
            if leaf_id not in ids:
                # in the reports, so that pytest-xdist's controller sees it too
                item.user_properties.append(("paper_unknown", (
                    f"{item.nodeid}: @pytest.mark.paper names {leaf_id!r}, which is not a leaf "
                    f"of {Path(path).name} (pruned?); the test ran, the link is ignored")))
        item.user_properties.append(("paper_links", [path, ids]))


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Deselected tests (``-k``, ``-m``): their leaves are *not run*, not *not implemented*."""
    for item in items:
        found = _links(item)
        if found:
            path, ids = found
            item.config.stash[_STATE]["deselected"].setdefault(path, {})[item.nodeid] = ids


def _runs(ours) -> float | list[float]:
    """A number, or per-seed values (a list, tuple, array or tensor of them)."""
    try:
        return float(ours)
    except TypeError:
        return [float(v) for v in ours]


def _seed_key(leaf_id: str, what: str, key) -> int:
    """A seed as a dict key: an int, or its decimal string ("3"); nothing else."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and re.fullmatch(r"-?(0|[1-9][0-9]*)", key):
        return int(key)
    pytest.fail(f"{leaf_id}: {what} by seed needs integer seeds as keys, got {key!r}", pytrace=False)


def _by_seed(leaf, what: str, given):
    """``{seed: value}`` -> the values in the order of the criterion's seeds, which it must match."""
    if not isinstance(given, Mapping):
        return given
    seeds = leaf.criterion.get("seeds") if leaf.criterion else None
    if not seeds:
        pytest.fail(f"{leaf.id}: {what} by seed, but the criterion lists no seeds to match them with",
                    pytrace=False)
    keyed: dict[int, object] = {}
    for key, value in given.items():
        seed = _seed_key(leaf.id, what, key)
        if seed in keyed:
            pytest.fail(f"{leaf.id}: {what} give seed {seed} twice ({key!r})", pytrace=False)
        keyed[seed] = value
    if set(keyed) != set(seeds):
        pytest.fail(f"{leaf.id}: {what} for seeds {sorted(keyed)}, but the criterion registered {seeds}",
                    pytrace=False)
    return [keyed[seed] for seed in seeds]


@pytest.fixture
def paper_result(request: pytest.FixtureRequest):
    """Check our value(s) for a result leaf against the paper's and record them.

    ``paper_result(leaf_id, ours)`` fails the test when the number ``ours``
    is outside the leaf's tolerance, and returns ``ours``. A leaf with no
    tolerance yet records ``ours`` without judging it (*needs a tolerance*).
    ``paper_result(leaf_id, values, baseline=None)`` with per-seed values (a
    list, or ``{seed: value}``, whose seeds must be the criterion's) judges them by the leaf's ``criterion`` (`paper2code.scoring.scorecard.judge`),
    fails the test unless the verdict reproduces the paper (consistent, the
    expected direction, equivalent), and returns the `Verdict`. With
    ``must_match=False`` nothing fails: for a known, reported difference,
    which the scorecard then shows with its numbers.
    """
    item = request.node
    path = _rubric_path(item)

    def check(leaf_id: str, ours, must_match: bool = True, *, baseline=None):
        if path is None:
            pytest.fail("paper_result needs a rubric: --paper-rubric, ini paper_rubric "
                        "or a paper_rubric marker", pytrace=False)
        try:
            leaf = _rubric(item.config, path).leaf(leaf_id)
        except KeyError as err:
            pytest.fail(str(err.args[0]), pytrace=False)
        if baseline is not None and isinstance(ours, Mapping) != isinstance(baseline, Mapping):
            pytest.fail(f"{leaf_id}: pass the values and the baseline both by seed ({{seed: value}}) "
                        "or both as lists in the same order", pytrace=False)
        runs = _runs(_by_seed(leaf, "values", ours))
        if leaf.kind != "result" or (leaf.value is None and not leaf.criterion):
            pytest.fail(f"{leaf_id} is not a result leaf with a value or criterion", pytrace=False)
        if isinstance(runs, float):
            if leaf.criterion or baseline is not None:
                pytest.fail(f"{leaf_id}: its criterion ({leaf.criterion.get('test', 'none')}) judges "
                            "per-seed values: pass a list, one per seed", pytrace=False)
            item.user_properties.append(("paper_result", [path, leaf_id, runs]))
            if leaf.tolerance:
                ok, detail = leaf.compare(runs)
                if must_match and not ok:
                    pytest.fail(f"{leaf_id}: ours {runs:.6g}, paper {leaf.value:.6g} ({leaf.where}): "
                                f"{detail}", pytrace=False)
            return runs
        if not leaf.criterion:
            pytest.fail(f"{leaf_id}: per-seed values need a criterion in the rubric "
                        "(e.g. criterion: {test: paper, margin: 0.01}), stated before the run", pytrace=False)
        problem = check_leaf(leaf)  # the code or criterion changed since registration
        if problem:
            pytest.fail(problem, pytrace=False)
        ran_with = fingerprint(leaf.criterion) if "fingerprint" in leaf.criterion else None
        base = None if baseline is None else _runs(_by_seed(leaf, "the baseline", baseline))
        if isinstance(base, float):
            base = [base]
        try:
            verdict = judge(leaf, runs, base)
        except ValueError as err:
            pytest.fail(f"{leaf_id}: {err}", pytrace=False)
        result = {"values": runs, "baseline": base}
        if ran_with:
            result["ran_with"] = ran_with
        item.user_properties.append(("paper_result", [path, leaf_id, result]))
        if must_match and verdict.verdict != expected_verdict(leaf):
            pytest.fail(f"{leaf_id}: {verdict.format(4)} (expected {expected_verdict(leaf)})",
                        pytrace=False)
        return verdict

    return check


def _final(phases: dict[str, str]) -> str:
    """One outcome from setup, call and teardown: a failure anywhere wins."""
    if "failed" in phases.values():
        return "failed"
    return phases.get("call") or phases.get("setup", "not run")


def scorecards(config: pytest.Config) -> dict[str, Scorecard]:
    """The scorecard of each rubric this run used, by rubric path."""
    state = config.stash[_STATE]
    cards = {}
    for path, rubric in state["rubrics"].items():
        by_leaf: dict[str, dict[str, str]] = {}
        for nodeid, ids in state["deselected"].get(path, {}).items():
            for leaf_id in ids:
                by_leaf.setdefault(leaf_id, {})[nodeid] = "not run"
        for nodeid, (ids, phases) in state["links"].get(path, {}).items():
            for leaf_id in ids:
                by_leaf.setdefault(leaf_id, {})[nodeid] = _final(phases)
        cards[path] = Scorecard.build(rubric, by_leaf, state["results"].get(path, {}))
    return cards
