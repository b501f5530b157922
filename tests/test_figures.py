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
        if recorded and isinstance(recorded[0], list):  # a table: row by row
            for i, (row, fresh_row) in enumerate(zip(recorded, fresh, strict=True)):
                assert_same(row, fresh_row, f"{where}[{i}]")
            return
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


FIGURES = ["lr_range", "transformer_schedule", "bias_correction", "adam_digits", "grokking",
           "attention_masks", "positional", "schedules", "norms", "resnet_degradation",
           "ddpm_samples", "ppo_cartpole"]


@pytest.mark.parametrize("name", FIGURES)
def test_figure_draws(name):
    fig = getattr(figures, name)()
    plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert plots and all(ax.lines or ax.images or ax.collections for ax in plots)


# --- What the building-block figures claim, checked on the recordings ---------------


def test_masked_attention_weights_are_zero_and_rows_sum_to_one():
    d = figures.load("attention_masks")
    causal, padded, n = d["causal"], d["padding"], d["length"]
    for i, row in enumerate(causal):
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
        assert all(w == 0.0 for w in row[i + 1:]), f"query {i} attends to a future key"
    for row in padded:
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
        assert all(w == 0.0 for w in row[n:]), "a padding key got weight"
        assert all(w > 0.0 for w in row[:n])


def test_rope_scores_depend_on_relative_position_only():
    scores = list(figures.load("positional")["rope_scores"].values())
    assert len(scores) == 2 and max(abs(a) for a in scores[0]) > 1  # not a flat line
    assert scores[0] == pytest.approx(scores[1], abs=1e-9)


def test_schedules_peak_at_the_end_of_warm_up():
    d = figures.load("schedules")
    for name in ("noam", "cosine"):
        peak = d["step"][max(range(len(d[name])), key=d[name].__getitem__)]
        assert abs(peak - 4000) <= 100, name  # recorded every 100th step


def test_layernorm_recentres_and_rmsnorm_does_not():
    d = figures.load("norms")
    assert max(abs(m) for m in d["layernorm_mean"]) < 1e-6
    assert d["rmsnorm_mean"][0] == pytest.approx(0, abs=0.05)  # x itself is centred
    assert d["rmsnorm_mean"][-1] > 0.99  # at shift 10, the output is mostly the shift
    for name in ("layernorm_rms", "rmsnorm_rms"):
        assert d[name] == pytest.approx([1.0] * len(d[name]), abs=1e-3), name
