"""The recorded results that figures are drawn from are what the code computes today."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from paper2code.figures import building_blocks, case_studies, load, workflow
from paper2code.figures.record import QUICK, main


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


@pytest.mark.parametrize("name", sorted(set(QUICK) - {"lr_range"}))
def test_recorded_results_match_the_code(name):
    fresh = json.loads(json.dumps(QUICK[name]()))  # the same float rounding as the file
    assert_same(load(name), fresh, stale(name))


def test_recorded_lr_range_test_matches_the_code():
    # The sweep ends where training blows up, and a blow-up amplifies rounding
    # differences between CPUs: the stopping step may move by one, and the last
    # losses differ more than the early ones. Compare what rounding cannot move.
    recorded, fresh = load("lr_range"), QUICK["lr_range"]()
    n = min(len(recorded["lrs"]), len(fresh["lrs"]))
    assert abs(len(recorded["lrs"]) - len(fresh["lrs"])) <= 1, stale("lr_range")
    assert recorded["lrs"][:n] == pytest.approx(fresh["lrs"][:n], rel=1e-9), stale("lr_range")
    assert recorded["losses"][: n - 5] == pytest.approx(fresh["losses"][: n - 5], rel=1e-3), stale("lr_range")
    step = recorded["lrs"][1] / recorded["lrs"][0]  # one step of the sweep
    assert 1 / step <= recorded["suggested"] / fresh["suggested"] <= step, stale("lr_range")


ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!--\s*plot:\s*([\w.]+):(\w+)\s*-->\s*$", re.MULTILINE)  # docs/hooks/plots.py's
ON_PAGES = sorted({m.groups() for page in (ROOT / "docs").rglob("*.md") for m in MARKER.finditer(page.read_text())})


def test_every_figure_is_on_a_page():
    # Each figure function (the public names of the three modules, less the *_data that compute
    # the recordings) is drawn by a page's plot marker, and every marker names one of them.
    drawn = {(module.__name__, name) for module in (building_blocks, case_studies, workflow)
             for name in module.__all__ if not name.endswith("_data")}
    assert set(ON_PAGES) == drawn


@pytest.mark.parametrize(("module", "name"), ON_PAGES)
def test_figure_draws(module, name):
    fig = getattr(importlib.import_module(module), name)()
    plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert plots and all(ax.lines or ax.images or ax.collections for ax in plots)


# --- What the building-block figures claim, checked on the recordings ---------------


def test_masked_attention_weights_are_zero_and_rows_sum_to_one():
    d = load("attention_masks")
    causal, padded, n = d["causal"], d["padding"], d["length"]
    for i, row in enumerate(causal):
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
        assert all(w == 0.0 for w in row[i + 1:]), f"query {i} attends to a future key"
    for row in padded:
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
        assert all(w == 0.0 for w in row[n:]), "a padding key got weight"
        assert all(w > 0.0 for w in row[:n])


def test_rope_scores_depend_on_relative_position_only():
    scores = list(load("positional")["rope_scores"].values())
    assert len(scores) == 2 and max(abs(a) for a in scores[0]) > 1  # not a flat line
    assert scores[0] == pytest.approx(scores[1], abs=1e-9)


def test_schedules_peak_at_the_end_of_warm_up():
    d = load("schedules")
    for name in ("noam", "cosine"):
        peak = d["step"][max(range(len(d[name])), key=d[name].__getitem__)]
        assert abs(peak - 4000) <= 100, name  # recorded every 100th step


def test_layernorm_recentres_and_rmsnorm_does_not():
    d = load("norms")
    assert max(abs(m) for m in d["layernorm_mean"]) < 1e-6
    assert d["rmsnorm_mean"][0] == pytest.approx(0, abs=0.05)  # x itself is centred
    assert d["rmsnorm_mean"][-1] > 0.99  # at shift 10, the output is mostly the shift
    for name in ("layernorm_rms", "rmsnorm_rms"):
        assert d[name] == pytest.approx([1.0] * len(d[name]), abs=1e-3), name


def test_record_refuses_an_unknown_name(capsys, monkeypatch):
    written = []
    monkeypatch.setattr("paper2code.figures.record.record", lambda names: written.append(names) or [])
    with pytest.raises(SystemExit) as exit_:
        main(["lr_range", "no_such_figure"])
    assert exit_.value.code == 2 and written == []
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "'no_such_figure'" in err[0]
