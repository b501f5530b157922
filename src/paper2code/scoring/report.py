"""The ``paper2code report`` command: run the linked tests, print the scorecard.

It needs pytest, which the wheel does not install (a project's test
environment has it); without it, one line says how to get it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

__all__ = ["run_report"]

# `report` runs the project's own tests, so it belongs in the project's
# environment, which has pytest and the project's dependencies.
MISSING_PYTEST = ("pytest is not installed here; run the report in your project's environment: "
                  "uv run paper2code report (or pip install pytest)")


def _error(message: str) -> int:
    print(f"paper2code report: error: {message}", file=sys.stderr)
    return 2


def run_report(rubric: str | None, markdown: bool, pytest_args: list[str]) -> int:
    """The ``paper2code report`` command: run the linked tests, print the scorecard.

    Returns 0, 1 when a linked test failed, 2 on bad input (or no pytest).
    pytest's own output goes to stderr; stdout holds only the scorecard.
    """
    try:
        import pytest
    except ImportError:
        return _error(MISSING_PYTEST)
    from paper2code.scoring.pytest_plugin import scorecards
    from paper2code.scoring.rubric import RubricError, load_rubric

    class Grab:
        """Handed to the in-process pytest run: keeps its scorecards and warnings."""

        cards = None

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(self, session: pytest.Session) -> None:
            self.cards = scorecards(session.config)

    if rubric is None and Path("rubric.yaml").is_file():
        rubric = "rubric.yaml"
    if rubric is not None:
        try:
            load_rubric(rubric)  # a bad rubric: one line, before any test runs
        except RubricError as err:
            return _error(str(err))
    # The command itself imported paper2code, whose pytest plugin pytest would then
    # like to assert-rewrite: a warning on every run about our import, not the reader's code.
    quiet = "ignore:Module already imported so cannot be rewritten; paper2code:pytest.PytestAssertRewriteWarning"
    args = ["-q", "-p", "no:cacheprovider", "-W", quiet, *pytest_args]
    if rubric is not None:
        args += ["--paper-rubric", str(Path(rubric).resolve())]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "paper2code.scoring.pytest_plugin"]
    # pytest's output is held back, so that bad input gives one line only
    grab, output, errors = Grab(), io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(errors):
        code = pytest.main(args, plugins=[grab])
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        lines = [ln.removeprefix("ERROR: ") for ln in errors.getvalue().splitlines() if ln.strip()]
        return _error(lines[0] if lines else f"pytest exited with code {int(code)}")
    if not grab.cards:
        return _error("no rubric: pass --rubric PATH, add rubric.yaml, or mark the tests "
                      "with paper_rubric")
    sys.stderr.write(output.getvalue() + errors.getvalue())
    for card in grab.cards.values():
        print(card.render_markdown() if markdown else card.render_text(), end="")
    return 1 if code == pytest.ExitCode.TESTS_FAILED else 0
