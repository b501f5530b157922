"""The recorded results that figures are drawn from are what the code computes today."""

from __future__ import annotations

import json

import pytest

from paper2code import figures


@pytest.mark.parametrize("name", sorted(figures.QUICK))
def test_recorded_results_match_the_code(name):
    recorded = figures.load(name)
    fresh = json.loads(json.dumps(figures.QUICK[name]()))  # the same float rounding as the file
    stale = f"docs/data/{name}.json is stale: run uv run python -m paper2code.figures {name}"
    assert recorded.keys() == fresh.keys(), stale
    for key in recorded:
        assert recorded[key] == pytest.approx(fresh[key], rel=1e-6, abs=1e-9), f"{stale} ({key})"


@pytest.mark.parametrize("name", sorted(figures.QUICK))
def test_figure_draws(name):
    fig = getattr(figures, name)()
    assert fig.axes and fig.axes[0].lines
