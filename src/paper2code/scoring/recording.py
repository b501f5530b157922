"""Recordings of scorecards: write them (``--paper-record``), or compare a run with them.

Part of the plugin (`paper2code.scoring.pytest_plugin`). A recording
(``FOLDER/RUBRIC-STEM.json``) keeps the facts of a run: tests, outcomes,
values, and for each registered criterion the fingerprint it ran with
(``ran_with``). Without ``--paper-record`` a run fails when a leaf it covered
changed state or tests, when a criterion differs from the recorded one
(`paper2code.scoring.registration.drift`), or when the recording ran with
another fingerprint than the rubric registers ("re-record"). With it, the
recording is rewritten, except that a criterion whose registered fields
changed with no new ``changed:`` entry is refused: nothing is written for
that rubric, and the run fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paper2code.scoring.registration import drift
from paper2code.scoring.scorecard import Scorecard

__all__ = ["Recorder", "recording_problems"]

NOT_IMPLEMENTED = "not implemented"


def _outcome(report: pytest.TestReport) -> str:
    if report.failed:
        return "failed"
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        if reason.removeprefix("Skipped: ").lower().startswith(NOT_IMPLEMENTED):
            return NOT_IMPLEMENTED
        return "skipped"
    return "passed"


def recording_problems(recorded: Scorecard, fresh: Scorecard, refuse_only: bool = False) -> list[str]:
    """Criteria that drifted from the recording, and recordings run with another fingerprint.

    ``refuse_only``: only the drifts that ``--paper-record`` must refuse.
    """
    old = {r.leaf.id: r for r in recorded.rows}
    out = []
    for row in fresh.rows:
        before = old.get(row.leaf.id)
        if before is None or not row.leaf.criterion:
            continue
        found = drift(row.leaf.id, before.leaf.criterion, row.leaf.criterion)
        if found and (found[0] == "refuse" or not refuse_only):
            out.append(found[1])
        elif not refuse_only and not found:
            registered = row.leaf.criterion.get("fingerprint")
            if registered and before.ran_with and before.ran_with != registered:
                out.append(f"{row.leaf.id}: recorded with fingerprint {before.ran_with}, the rubric "
                           f"registers {registered}: re-record")
    return out


def _compare(recorded: Scorecard, fresh: Scorecard, ran: set[str]) -> list[str]:
    """Leaves whose state or tests differ, among those this run covered.

    A leaf is covered when every test the recording links to it ran now (so
    a run of one file or with ``-k`` compares only what it ran).
    """
    old = {r.leaf.id: r for r in recorded.rows}
    diffs = []
    for row in fresh.rows:
        before = old.get(row.leaf.id)
        if before is None:
            diffs.append(f"{row.leaf.id}: not in the recording")
            continue
        covered = set(before.outcomes) <= ran and "not run" not in row.outcomes.values()
        if covered and (set(before.outcomes) != set(row.outcomes)
                        or before.state[0] != row.state[0]):
            diffs.append(f"{row.leaf.id}: recorded {before.state[0]} with "
                         f"{len(before.outcomes)} tests, now {row.state[0]} "
                         f"with {len(row.outcomes)}")
    gone = set(old) - {r.leaf.id for r in fresh.rows}
    return diffs + [f"{i}: no longer in the rubric" for i in sorted(gone)]


class Recorder:
    """Collects the outcomes of linked tests, then writes or compares scorecards."""

    def __init__(self, config: pytest.Config, state_key, scorecards):
        self.config, self._key, self._scorecards = config, state_key, scorecards

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self.config.stash[self._key]
        # Ran: the test body ran (or a phase failed). A skipped test did not run, so the
        # leaves it is linked to are not compared (an integration test without --integration).
        if (report.when == "call" and not report.skipped) or report.failed:
            state["ran"].add(report.nodeid)
        for name, value in report.user_properties:
            if name == "paper_links":
                path, ids = value
                entry = state["links"].setdefault(path, {}).setdefault(report.nodeid, (ids, {}))
                entry[1][report.when] = _outcome(report)
            elif name == "paper_unknown" and report.when == "setup":
                if value not in state["unknown"]:
                    state["unknown"].append(value)
            elif name == "paper_result" and report.when == "call":
                path, leaf_id, ours = value
                state["results"].setdefault(path, {})[leaf_id] = ours
                ids, phases = state["links"].setdefault(path, {}).setdefault(
                    report.nodeid, ([], {"call": _outcome(report)}))
                if leaf_id not in ids:
                    ids.append(leaf_id)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = self.config
        if session.exitstatus in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED):
            return  # nothing written on bad input or Ctrl-C
        if hasattr(config, "workerinput"):
            return  # a pytest-xdist worker: its controller sees every report
        cards = self._scorecards(config)
        out = config.getoption("--paper-scorecard")
        if out and cards:
            if len(cards) == 1:
                text = _render(next(iter(cards.values())), out)
            else:
                text = json.dumps({p: c.to_dict() for p, c in cards.items()}, indent=1)
            Path(out).write_text(text, encoding="utf-8")
        folder = config.getini("paper_recordings")
        if not folder:
            return
        for path, card in cards.items():
            recording = config.rootpath / folder / f"{Path(path).stem}.json"  # an absolute folder wins
            recorded = (Scorecard.from_dict(json.loads(recording.read_text("utf-8")))
                        if recording.exists() else None)
            if config.getoption("--paper-record"):
                refused = recording_problems(recorded, card, refuse_only=True) if recorded else []
                if refused:  # nothing written over a criterion changed without a reason
                    config.stash[self._key]["mismatch"] += [f"{recording.name}: {d}" for d in refused]
                    continue
                recording.parent.mkdir(parents=True, exist_ok=True)
                recording.write_text(_render(card, ".json"), encoding="utf-8")
            elif recorded is not None:
                config.stash[self._key]["mismatch"] += [
                    f"{recording.name}: {d}"
                    for d in _compare(recorded, card, config.stash[self._key]["ran"])
                    + recording_problems(recorded, card)
                ]
        if config.stash[self._key]["mismatch"] and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        for line in self.config.stash[self._key]["unknown"]:
            terminalreporter.write_line(f"paper2code: warning: {line}", yellow=True)
        mismatch = self.config.stash[self._key]["mismatch"]
        if mismatch:
            terminalreporter.section("paper2code: scorecards differ from their recordings",
                                     red=True)
            for line in mismatch:
                terminalreporter.line(line)
            terminalreporter.line("Fix the code or the tests, or re-record with --paper-record.")


def _render(card: Scorecard, out: str) -> str:
    if out.endswith(".json"):
        return json.dumps(card.to_dict(), indent=1, ensure_ascii=False) + "\n"
    return card.render_markdown() if out.endswith(".md") else card.render_text()
