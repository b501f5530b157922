"""The recorded results that figures are drawn from are what the code computes today."""

from __future__ import annotations

import json

import pytest

from paper2code import figures


def assert_same(recorded, fresh, where):
    """Equal structure, numbers equal to 1e-6 relative (floating-point noise across machines)."""
    if isinstance(recorded, dict):
        assert isinstance(fresh, dict) and recorded.keys() == fresh.keys(), where
        for key in recorded:
            assert_same(recorded[key], fresh[key], f"{where}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(fresh, list) and len(recorded) == len(fresh), where
        assert recorded == pytest.approx(fresh, rel=1e-6, abs=1e-9), where
    else:
        assert recorded == pytest.approx(fresh, rel=1e-6, abs=1e-9), where


@pytest.mark.parametrize("name", sorted(figures.QUICK))
def test_recorded_results_match_the_code(name):
    fresh = json.loads(json.dumps(figures.QUICK[name]()))  # the same float rounding as the file
    stale = f"docs/data/{name}.json is stale (run: uv run python -m paper2code.figures {name})"
    assert_same(figures.load(name), fresh, stale)


@pytest.mark.parametrize("name", ["lr_range", "transformer_schedule", "bias_correction", "adam_digits", "grokking",
                                  "resnet_degradation"])
def test_figure_draws(name):
    fig = getattr(figures, name)()
    assert fig.axes and all(ax.lines for ax in fig.axes)
