"""`paper2code report` of a fresh project: a group of stubs is one line, not one line per leaf."""

from __future__ import annotations

from paper2code.scoring.rubric import Leaf, Rubric
from paper2code.scoring.scorecard import COLLAPSE, Row, Scorecard


def card(groups: dict[str, int], verified: set[str] = frozenset()) -> str:
    leaves = [Leaf(f"{g[:2].lower()}-{k}", "implementation", "t", "w", group=g)
              for g, n in groups.items() for k in range(1, n + 1)]
    rows = [Row(leaf, {"t::x": "passed"} if leaf.id in verified else {}) for leaf in leaves]
    return Scorecard(Rubric("Paper", "", leaves), rows).render_text()


def test_stubs_of_a_group_take_one_line():
    text = card({"Method": 40, "Setup": 200})
    lines = text.splitlines()
    assert "Method: 40 leaves not implemented (me-1 … me-40)" in lines
    assert "Setup: 200 leaves not implemented (se-1 … se-200)" in lines
    assert len(lines) < 10
    assert "implementation: 240 leaves — 240 not implemented" in lines  # the totals are unchanged


def test_a_verified_leaf_splits_the_run_and_short_runs_stay_as_they_are():
    text = card({"Method": 6}, verified={"me-3"})
    lines = text.splitlines()
    assert lines[1].startswith("me-1 ") and lines[2].startswith("me-2 ")  # 2 < COLLAPSE: a line each
    assert "verified" in lines[3]
    assert lines[4] == f"Method: {6 - 3} leaves not implemented (me-4 … me-6)" and COLLAPSE <= 3
