"""Mean ± Student-t interval over seeds: against SciPy and closed forms; eval mode."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from paper2code.statistics.evaluation import eval_mode, mean_ci, over_seeds, t_quantile

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


# --- The comparisons a reproduction needs, with their error rates measured by simulation ---
# Each rate is estimated from R simulated experiments (seeded), and compared with its
# target within 4 binomial standard errors, sqrt(p(1-p)/R): a correct implementation
# misses that band with probability ~1e-4, a planted bug (the CI instead of the
# prediction interval, 1-alpha instead of 1-2*alpha in TOST) lands far outside it.

import random  # noqa: E402

from paper2code.statistics.evaluation import (  # noqa: E402
    compare_arms,
    compare_to_paper,
    equivalence,
    paired_difference,
    prediction_interval,
)


def _band(p: float, reps: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / reps)


def _normal_runs(rng: random.Random, n: int, mu: float = 0.0, sigma: float = 1.0) -> list[float]:
    return [rng.gauss(mu, sigma) for _ in range(n)]


def test_prediction_interval_matches_scipy_and_eq_2():
    from scipy import stats

    xs = [27.1, 27.5, 26.9, 27.4, 27.2]
    pi = prediction_interval(xs)
    s = stats.tstd(xs)
    half = stats.t.ppf(0.975, 4) * s * math.sqrt(1 + 1 / 5)
    assert pi.half_width == pytest.approx(half, rel=1e-12)
    assert pi.half_width == pytest.approx(mean_ci(xs).half_width * math.sqrt(5 + 1), rel=1e-12)
    for k in (2, 3, 5):  # a paper value that is a mean of k runs: sqrt(1/k + 1/n)
        half = stats.t.ppf(0.975, 4) * s * math.sqrt(1 / k + 1 / 5)
        assert prediction_interval(xs, draws=k).half_width == pytest.approx(half, rel=1e-12)


@pytest.mark.parametrize("n", [3, 5, 10, 20])
def test_a_faithful_reproduction_is_called_consistent_at_the_stated_rate(n):
    """The paper's run and ours come from one distribution: 'differs' ~5% of the time, for every n."""
    rng, reps = random.Random(n), 3000
    wrong = sum(
        compare_to_paper(_normal_runs(rng, n), rng.gauss(0, 1)).verdict == "differs"
        for _ in range(reps)
    )
    assert abs(wrong / reps - 0.05) < _band(0.05, reps)


@pytest.mark.parametrize("n, k", [(5, 5), (10, 3)])
def test_a_paper_mean_of_k_runs_is_called_differs_at_the_stated_rate_with_paper_runs(n, k):
    """A faithful paper value that is the mean of k runs: 'differs' ~5% of the time with
    paper_runs=k; taken as one run (the default), far less often: the check loses its power."""
    rng, reps = random.Random(200 + n), 3000
    papers = [(_normal_runs(rng, n), sum(_normal_runs(rng, k)) / k) for _ in range(reps)]
    wrong = sum(compare_to_paper(ours, paper, paper_runs=k).verdict == "differs" for ours, paper in papers)
    assert abs(wrong / reps - 0.05) < _band(0.05, reps)
    as_one_run = sum(compare_to_paper(ours, paper).verdict == "differs" for ours, paper in papers)
    assert as_one_run / reps < 0.02


def test_paper_runs_must_be_a_whole_number_of_runs():
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="whole number of runs"):
            prediction_interval([1.0, 2.0, 3.0], draws=bad)


@pytest.mark.parametrize("n", [5, 10, 20])
def test_the_mean_ci_is_the_wrong_yardstick_and_gets_worse_with_more_seeds(n):
    """The paper's single run lands outside our mean's 95% CI far more than 5% of the time."""
    rng, reps = random.Random(100 + n), 3000
    outside = sum(rng.gauss(0, 1) not in mean_ci(_normal_runs(rng, n)) for _ in range(reps))
    # P(|x - mean| > t * s / sqrt(n)) with x - mean ~ N(0, 1 + 1/n): 0.32 / 0.51 / 0.65 (the numbers)
    expected = {5: 0.32, 10: 0.51, 20: 0.65}[n]
    assert abs(outside / reps - expected) < 0.03


def test_a_real_shift_is_detected():
    """A paper value 4 run-standard-deviations away is called 'differs' almost always with 10 seeds."""
    rng, reps = random.Random(7), 1000
    found = sum(compare_to_paper(_normal_runs(rng, 10), 4.0).verdict == "differs" for _ in range(reps))
    assert found / reps > 0.9


@pytest.mark.parametrize("n", [5, 20])
def test_with_a_margin_a_paper_that_differs_by_the_margin_is_called_consistent_at_most_alpha(n):
    """The margin path is an equivalence test on one more run: at a true shift of the margin,
    'consistent' with probability <= 1 - confidence (exactly, at the boundary)."""
    rng, reps, margin = random.Random(50 + n), 3000, 2.5
    called = sum(
        compare_to_paper(_normal_runs(rng, n), rng.gauss(margin, 1), margin=margin).verdict == "consistent"
        for _ in range(reps)
    )
    assert abs(called / reps - 0.05) < _band(0.05, reps)


def test_with_a_margin_a_faithful_reproduction_is_shown_consistent_when_runs_vary_little():
    rng, reps = random.Random(60), 1000
    shown = sum(compare_to_paper(_normal_runs(rng, 20), rng.gauss(0, 1), margin=4.0).verdict == "consistent"
                for _ in range(reps))
    assert shown / reps > 0.8


def test_cannot_tell_when_the_runs_vary_more_than_the_margin():
    wide = [0.0, 1.0, -1.0, 0.5, -0.5]
    assert compare_to_paper(wide, 0.0, margin=0.1).verdict == "cannot tell"
    assert compare_to_paper(wide, 0.0, margin=10.0).verdict == "consistent"
    assert compare_to_paper(wide, 9.0, margin=0.1).verdict == "differs"


def test_paired_difference_matches_scipy_ttest_rel():
    from scipy import stats

    a, b = [0.82, 0.80, 0.85, 0.79, 0.84], [0.70, 0.71, 0.69, 0.75, 0.72]
    iv = paired_difference(a, b)
    res = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (iv.low, iv.high) == (pytest.approx(res.low, rel=1e-10), pytest.approx(res.high, rel=1e-10))


def test_pairing_finds_a_difference_that_overlapping_intervals_hide():
    """Seeds shared by both arms: the arms' own intervals overlap, the paired one excludes 0."""
    base = [0.70, 0.80, 0.60, 0.90, 0.75]
    better = [x + 0.02 + 0.002 * i for i, x in enumerate(base)]
    assert mean_ci(better).low < mean_ci(base).high  # the two intervals overlap
    assert compare_arms(better, base).verdict == "higher"
    assert compare_arms(base, better).verdict == "lower"


def test_compare_arms_false_positive_rate():
    """Two arms from one distribution: 'higher' or 'lower' ~5% of the time together."""
    rng, reps = random.Random(3), 3000
    wrong = sum(
        compare_arms(_normal_runs(rng, 5), _normal_runs(rng, 5)).verdict != "cannot tell"
        for _ in range(reps)
    )
    assert abs(wrong / reps - 0.05) < _band(0.05, reps)


def test_equivalence_at_the_margin_is_claimed_at_most_alpha_of_the_time():
    """True difference exactly at the margin: TOST says 'equivalent' with probability alpha."""
    rng, reps, margin = random.Random(11), 3000, 0.5
    claimed = sum(
        equivalence(_normal_runs(rng, 20, mu=margin), margin=margin).verdict == "equivalent"
        for _ in range(reps)
    )
    assert abs(claimed / reps - 0.05) < _band(0.05, reps)


def test_equivalence_is_shown_when_the_arms_agree_and_enough_seeds_run():
    rng, reps = random.Random(12), 1000
    shown = sum(
        equivalence(_normal_runs(rng, 20), _normal_runs(rng, 20), margin=1.5).verdict == "equivalent"
        for _ in range(reps)
    )
    assert shown / reps > 0.9
    # An interval that merely contains 0 is not equivalence: few seeds, wide interval
    few = equivalence([0.3, -0.4, 0.5], margin=0.2)
    assert few.interval.low < 0 < few.interval.high and few.verdict == "not shown equivalent"


@pytest.mark.parametrize(
    "call",
    [
        lambda: prediction_interval([1.0]),
        lambda: prediction_interval([1.0, float("nan")]),
        lambda: paired_difference([1.0, 2.0], [1.0]),
        lambda: compare_to_paper([1.0, 2.0], 1.0, margin=0),
        lambda: equivalence([1.0, 2.0], margin=-1),
        lambda: equivalence([1.0, 2.0], margin=1, alpha=0.6),
    ],
)
def test_the_comparisons_refuse_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_verdicts_print_one_line():
    v = compare_to_paper([27.1, 27.5, 26.9, 27.4, 27.2], 27.3)
    assert str(v) == (
        "consistent: the paper's 27.3 lies inside our 27.220 [26.494, 27.946] "
        "(95% prediction interval, n=5); no margin stated: not rejected, not shown alike; t p = 0.77"
    )
    assert v.n == 5


def test_a_paper_value_that_differs_keeps_its_word_in_a_family():
    """With a margin, "differs" carries the prediction interval's p, not the TOST's (near 1 when
    the runs differ): a family then keeps "differs" (planted: the TOST p gave "cannot tell")."""
    from paper2code.statistics.family import judge_family
    from paper2code.statistics.paper import compare_to_paper

    runs = [27.1, 27.5, 26.9, 27.4, 27.2]
    v = compare_to_paper(runs, 31.0, margin=0.5)
    assert v.verdict == "differs" and v.p < 1e-3, (v.verdict, v.p)
    assert judge_family({"paper": v, "other": compare_to_paper(runs, 27.3)}).member("paper").word == "differs"


def test_zero_differences_cannot_flip_and_raise_the_sign_flip_floor():
    """Two of five differences are 0: the exact test has 3 signs to flip, its smallest p is 0.25
    (planted: counting the zeros gave 0.0625 and hid the 'cannot reach 0.05' warning)."""
    from paper2code.statistics.signflip import min_sign_flip_p, sign_flip_test

    assert sign_flip_test([0.0, 0.0, 1.0, 2.0, 3.0]).min_p == min_sign_flip_p(3) == 0.25
