"""Mean ± Student-t interval over seeds: against SciPy and closed forms; eval mode."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from paper2code.evaluation import eval_mode, mean_ci, over_seeds, t_quantile

PS = [0.5, 0.6, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995, 0.025]


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 29, 100, 1000])
def test_t_quantile_matches_scipy(df):
    from scipy import stats  # here, not at collection: it takes a second to import

    for p in PS:
        assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-12)


def test_t_quantile_closed_forms():
    for p in PS:
        # df = 1 is the Cauchy distribution; df = 2 has an algebraic inverse
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), abs=1e-9)
        two = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
        assert t_quantile(p, 2) == pytest.approx(two, abs=1e-9)


def test_mean_ci_matches_scipy_interval():
    from scipy import stats  # here, not at collection: it takes a second to import

    scores = [27.1, 27.5, 26.9, 27.4, 27.2]
    iv = mean_ci(scores)
    low, high = stats.t.interval(0.95, len(scores) - 1, loc=sum(scores) / 5, scale=stats.sem(scores))
    assert (iv.low, iv.high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    assert str(iv) == "27.220 ± 0.296 (95% CI, Student t, n=5)"
    assert 27.3 in iv and 27.6 not in iv


def test_mean_ci_is_wider_than_the_normal_interval_with_few_seeds():
    iv = mean_ci([1.0, 2.0, 3.0])
    normal = 1.959963984540054 * 1.0 / math.sqrt(3)  # s = 1
    assert iv.half_width > 2 * normal


@pytest.mark.parametrize("bad", [[], [1.0]])
def test_mean_ci_refuses_fewer_than_two_runs(bad):
    with pytest.raises(ValueError, match="at least 2 runs"):
        mean_ci(bad)


def test_over_seeds_calls_every_seed():
    scores, iv = over_seeds(lambda s: float(s), [1, 2, 3])
    assert scores == [1.0, 2.0, 3.0] and iv.mean == 2.0 and iv.n == 3


def test_eval_mode_switches_and_restores_each_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
    model[2].eval()  # a frozen BatchNorm inside a training model stays frozen
    with eval_mode(model):
        assert not any(m.training for m in model.modules())
        x = torch.randn(4, 2)
        assert torch.equal(model(x), model(x))  # dropout off: deterministic
    assert model.training and model[1].training and not model[2].training
