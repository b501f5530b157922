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


def stale(name):
    return f"docs/data/{name}.json is stale (run: uv run python -m paper2code.figures {name})"


@pytest.mark.parametrize("name", sorted(set(figures.QUICK) - {"lr_range"}))
def test_recorded_results_match_the_code(name):
    fresh = json.loads(json.dumps(figures.QUICK[name]()))  # the same float rounding as the file
    assert_same(figures.load(name), fresh, stale(name))


def test_recorded_lr_range_test_matches_the_code():
    # The sweep ends where training blows up, and a blow-up amplifies rounding
    # differences between CPUs: the stopping step may move by one, and the last
    # losses differ more than the early ones. Compare what rounding cannot move.
    recorded, fresh = figures.load("lr_range"), figures.QUICK["lr_range"]()
    n = min(len(recorded["lrs"]), len(fresh["lrs"]))
    assert abs(len(recorded["lrs"]) - len(fresh["lrs"])) <= 1, stale("lr_range")
    assert recorded["lrs"][:n] == pytest.approx(fresh["lrs"][:n], rel=1e-9), stale("lr_range")
    assert recorded["losses"][: n - 5] == pytest.approx(fresh["losses"][: n - 5], rel=1e-3), stale("lr_range")
    step = recorded["lrs"][1] / recorded["lrs"][0]  # one step of the sweep
    assert 1 / step <= recorded["suggested"] / fresh["suggested"] <= step, stale("lr_range")


@pytest.mark.parametrize("name", ["lr_range", "transformer_schedule", "bias_correction", "adam_digits", "grokking"])
def test_figure_draws(name):
    fig = getattr(figures, name)()
    assert fig.axes and all(ax.lines for ax in fig.axes)
