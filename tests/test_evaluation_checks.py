"""The assumption checks, verdict words, families and power of paper2code.statistics.

Every error rate is measured by a seeded simulation and compared with its
target within 4 binomial standard errors; every formula that SciPy also has
is compared with SciPy at 1e-10.
"""

from __future__ import annotations

import math
import random

import pytest

from paper2code.statistics.evaluation import (
    compare_arms,
    compare_to_paper,
    equivalence,
    holm,
    judge_family,
    seeds_for_power,
    sign_flip_test,
    tost_power,
)
from paper2code.statistics.family import conjunction
from paper2code.statistics.signflip import min_sign_flip_p
from paper2code.statistics.student_t import t_cdf


def _band(p: float, reps: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / reps)


def _scaled(n: int, sd: float, seed: int = 0) -> list[float]:
    """n values with mean exactly 0 and standard deviation exactly ``sd`` (up to rounding)."""
    rng = random.Random(seed)
    z = [rng.gauss(0, 1) for _ in range(n)]
    m = sum(z) / n
    s = math.sqrt(sum((x - m) ** 2 for x in z) / (n - 1))
    return [sd * (x - m) / s for x in z]


# --- compare_to_paper: precedence and margins ---

def test_a_successful_equivalence_is_never_called_differs():
    """The issue's case: n = 10, spread 0.07, paper 0.3, margin 1. The paper's value is outside
    the prediction interval, and a difference of ±1 is ruled out: consistent (it said "differs")."""
    ours = _scaled(10, 0.07)
    v = compare_to_paper(ours, 0.3, margin=1.0)
    assert 0.3 not in v.interval  # outside the 95% prediction interval ...
    assert v.verdict == "consistent"  # ... and yet shown within the margin
    assert "lies inside ±1" in str(v) and "lies outside our" in str(v)
    assert compare_to_paper(ours, 0.3).verdict == "differs"  # without a margin: differs
    assert compare_to_paper(ours, 0.3, margin=0.2).verdict == "differs"  # the margin not shown


@pytest.mark.parametrize("margin", [0, -1.0, math.nan, math.inf, "0.1", True])
@pytest.mark.parametrize("paper", [0.0, 5.0])  # inside the interval, and far outside it
def test_margins_must_be_positive_and_finite(margin, paper):
    with pytest.raises(ValueError, match="^margin must be a positive, finite number") as err:
        compare_to_paper([0.1, -0.2, 0.05, 0.0], paper, margin=margin)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="^margin must be"):
        equivalence([0.1, -0.2, 0.05], margin=margin)


def test_tost_p_values_match_scipy():
    from scipy import stats

    d, m = [0.012, -0.004, 0.009, 0.001, 0.006, -0.002], 0.02
    v = equivalence(d, margin=m)
    lower = stats.ttest_1samp(d, -m, alternative="greater").pvalue
    upper = stats.ttest_1samp(d, m, alternative="less").pvalue
    assert v.p == pytest.approx(max(lower, upper), rel=1e-10, abs=1e-12)
    a, b = [0.82, 0.80, 0.85, 0.79, 0.84], [0.70, 0.71, 0.69, 0.75, 0.72]
    assert compare_arms(a, b).p == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-10)
    for t, df in [(2.1, 4), (-0.7, 9), (0.0, 3), (6.0, 2)]:
        assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-10, abs=1e-12)


# --- the verdict states what was found ---

def test_verdict_strings_state_the_finding():
    cannot = compare_arms([0.51, 0.48, 0.53, 0.50, 0.49], [0.50, 0.50, 0.50, 0.50, 0.50])
    assert cannot.verdict == "cannot tell"
    text = cannot.format(3)
    assert text.startswith("cannot tell: a − b = +0.002 [-0.022, 0.026] (95% paired CI, n=5) includes 0")
    assert "excludes" not in text and "not evidence of no difference" in text
    wide = equivalence([0.51, 0.48, 0.53, 0.50, 0.49], [0.50] * 5, margin=0.01)
    assert wide.format(3).startswith(
        "not shown equivalent: a − b = +0.002 [-0.016, 0.020] (90% CI of the difference, n=5) "
        "reaches beyond ±0.01, and is wider than the margin")


# --- the sign-flip test ---

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_sign_flip_matches_scipy_exactly(seed, alternative):
    import numpy as np
    from scipy import stats

    rng = random.Random(seed)
    d = [rng.gauss(0.3, 1) for _ in range(3 + 2 * seed)]
    ref = stats.permutation_test((np.array(d),), np.mean, permutation_type="samples",
                                 n_resamples=np.inf, alternative=alternative).pvalue
    assert sign_flip_test(d, alternative=alternative).p == pytest.approx(ref, rel=1e-10, abs=1e-12)


def test_sign_flip_above_16_seeds_is_a_seeded_monte_carlo_estimate():
    import numpy as np
    from scipy import stats

    rng = random.Random(17)
    d = [rng.gauss(0.4, 1) for _ in range(17)]
    exact = stats.permutation_test((np.array(d),), np.mean, permutation_type="samples",
                                   n_resamples=np.inf).pvalue
    got = sign_flip_test(d)
    assert not got.exact and abs(got.p - exact) < _band(exact, 20_000) + 1 / 20_001
    assert got == sign_flip_test(d)  # seeded: the same p on every call


@pytest.mark.parametrize("n", [6, 8])
def test_sign_flip_error_rate_is_its_exact_level(n):
    """Symmetric differences: P(p <= 0.05) is the largest attainable level <= 0.05, exactly."""
    rng, reps = random.Random(n), 3000
    level = math.floor(0.05 * 2**n / 2) * 2 / 2**n  # two-sided p is a multiple of 2 / 2^n
    hits = sum(sign_flip_test([rng.gauss(0, 1) for _ in range(n)]).p <= 0.05 for _ in range(reps))
    assert abs(hits / reps - level) < _band(level, reps)


def test_five_seeds_warn_that_the_sign_flip_test_cannot_reach_5_percent():
    assert min_sign_flip_p(5) == 0.0625
    v = compare_arms([0.9, 0.8, 0.85, 0.95, 0.9], [0.7, 0.72, 0.69, 0.75, 0.71])
    assert v.verdict == "higher" and v.sign_flip.p == 0.0625
    assert any("cannot reach p ≤ 0.05 (its smallest p is 0.0625)" in n for n in v.notes)
    assert not any("cannot reach" in n for n in compare_arms([1, 2, 3, 4, 5, 6], [0] * 6).notes)


def test_a_warning_when_the_t_interval_and_the_sign_flip_test_disagree():
    """Eight seeds, seven small positive differences and one large negative one: the sign-flip
    test sees 7 of 8 positive-but-outweighed, the t interval includes 0 (planted: an outlier)."""
    d = [0.10, 0.11, 0.12, 0.10, 0.13, 0.11, 0.12, 0.02]
    v = compare_arms(d, [0.0] * 8)
    assert v.verdict == "higher" and v.sign_flip.p <= 0.05 and v.notes == ()
    skew = [0.01, 0.012, 0.011, 0.013, 0.01, 0.012, 0.011, 1.5]
    w = compare_arms(skew, [0.0] * 8)
    assert w.verdict == "cannot tell" and w.sign_flip.p <= 0.05
    assert any("disagree" in n for n in w.notes)


def test_a_ceiling_is_warned_about():
    """Grokking's shape: one arm at the 1.0 ceiling in 4 of 5 seeds."""
    high, low = [1.0, 1.0, 0.98, 1.0, 1.0], [0.62, 0.95, 0.71, 0.99, 0.80]
    v = compare_arms(high, low, bounds=(0.0, 1.0))
    assert any("4 of 5 values of a sit at the bound 1" in n for n in v.notes)
    assert any("above" in n and "the most the bounds [0, 1] allow" in n for n in v.notes)
    assert not any("bound" in n for n in compare_arms(high, low).notes)  # no bounds, no check
    with pytest.raises(ValueError, match="lo < hi"):
        compare_arms(high, low, bounds=(1.0, 0.0))


# --- families: Holm ---

def test_holm_against_its_definition():
    assert holm([0.01, 0.04, 0.03]) == [(0.03, True), (0.06, False), (0.06, False)]
    assert holm([0.01, 0.02, 0.03]) == [(0.03, True), (0.04, True), (0.04, True)]
    assert holm([0.5]) == [(0.5, False)]


def test_holm_is_closed_testing_with_bonferroni():
    """Holm rejects H_i exactly when every intersection containing i is rejected by Bonferroni
    (Marcus et al., 1976): brute force over all subsets, for random p-values."""
    from itertools import combinations

    rng = random.Random(9)
    for _ in range(300):
        m = rng.randint(1, 6)
        ps = [rng.random() ** 3 for _ in range(m)]
        closed = [all(min(ps[j] for j in sub) <= 0.05 / len(sub)
                      for k in range(1, m + 1) for sub in combinations(range(m), k) if i in sub)
                  for i in range(m)]
        assert [r for _, r in holm(ps)] == closed


def test_compare_to_paper_p_values_match_scipy():
    from scipy import stats

    ours, paper, margin = [27.1, 27.5, 26.9, 27.4, 27.2], 27.3, 1.0
    n, s = len(ours), stats.tstd(ours)
    se = s * math.sqrt(1 + 1 / n)
    gap = paper - sum(ours) / n
    tost = max(stats.t.sf((gap + margin) / se, n - 1), stats.t.cdf((gap - margin) / se, n - 1))
    assert compare_to_paper(ours, paper, margin=margin).p == pytest.approx(tost, rel=1e-10)
    assert compare_to_paper(ours, paper).p == pytest.approx(2 * stats.t.sf(abs(gap) / se, n - 1), rel=1e-10)


def test_holm_keeps_the_family_wise_error_rate():
    """Three null comparisons of 5 seeds: any claim at all ~1 - (1 - 0.05/3)^3 with Holm,
    ~1 - 0.95^3 = 0.14 each at its own level (the handbook's own PPO headline case)."""
    rng, reps = random.Random(5), 2000
    holm_any = alone_any = 0
    for _ in range(reps):
        vs = {f"c{i}": compare_arms([rng.gauss(0, 1) for _ in range(5)], [0.0] * 5) for i in range(3)}
        alone_any += any(v.verdict != "cannot tell" for v in vs.values())
        holm_any += any(m.rejected for m in judge_family(vs).members)
    holm_rate, alone_rate = 1 - (1 - 0.05 / 3) ** 3, 1 - 0.95**3
    assert abs(holm_any / reps - holm_rate) < _band(holm_rate, reps)
    assert abs(alone_any / reps - alone_rate) < _band(alone_rate, reps)


def test_a_family_downgrades_a_word_that_does_not_survive_holm():
    a = compare_arms([3.0, 2.1, 2.9, 2.2, 3.3, 2.0, 2.8, 2.5], [0.0] * 8)  # p tiny
    b = compare_arms([0.9, -0.3, 1.1, 0.1, 0.8, 0.0, 0.9, 0.1], [0.0] * 8)  # p ~ 0.047
    c = compare_arms([0.3, -0.2, 0.1, -0.1, 0.2, -0.3, 0.1, 0.0], [0.0] * 8)
    assert a.verdict == b.verdict == "higher" and 0.025 < b.p < 0.05 and c.verdict == "cannot tell"
    fam = judge_family({"a": a, "b": b, "c": c})  # b is second: Holm asks p <= 0.05 / 2
    assert [m.word for m in fam.members] == ["higher", "cannot tell", "cannot tell"]
    assert "Holm over 3 registered comparisons, family-wise α = 0.05" in str(fam)
    assert "-> cannot tell (alone: higher)" in str(fam)


def test_a_conjunction_reports_both_halves():
    c = conjunction({"vs no clip": "higher", "vs KL": "cannot tell"},
                    {"vs no clip": "higher", "vs KL": "higher"})
    assert not c.holds and str(c) == "not shown: vs no clip: higher; vs KL: cannot tell (the claim needs higher)"
    assert conjunction({"x": "higher"}, {"x": "higher"}).holds


# --- power before the runs ---

def _exact_tost_power(n, sd, margin, mu=0.0, alpha=0.05):
    """P(|mean| + t s / sqrt(n) < margin) for normal differences, by integrating over s (SciPy)."""
    from scipy import integrate, stats

    t, se = stats.t.ppf(1 - alpha, n - 1), sd / math.sqrt(n)
    q_max = (n - 1) * (margin * math.sqrt(n) / (t * sd)) ** 2  # beyond it, c < 0: never equivalent

    def at(q):
        c = margin - t * sd * math.sqrt(q / (n - 1)) / math.sqrt(n)
        return stats.chi2.pdf(q, n - 1) * (stats.norm.cdf((c - mu) / se) - stats.norm.cdf((-c - mu) / se))

    return integrate.quad(at, 0, q_max, limit=200)[0]


@pytest.mark.parametrize("n, mu", [(7, 0.0), (16, 0.0), (12, 0.5), (20, 1.0)])
def test_tost_power_matches_the_exact_integral(n, mu):
    sims = 4000
    got = tost_power(n, 1.0, 1.0, true_diff=mu, sims=sims, seed=n)
    exact = _exact_tost_power(n, 1.0, 1.0, mu)
    assert abs(got - exact) < _band(exact, sims), (got, exact)


def test_the_half_width_heuristic_under_powers():
    """The ambiguity page's old advice: the n at which the 90% half-width at the pilot's spread
    first drops below the margin gives TOST success near a quarter of the time, not most."""
    from paper2code.statistics.student_t import t_quantile

    sd, margin = 0.013, 0.01
    heuristic = next(n for n in range(2, 100) if t_quantile(0.95, n - 1) * sd / math.sqrt(n) < margin)
    assert heuristic == 7
    assert 0.15 < tost_power(heuristic, sd, margin) < 0.35
    n = seeds_for_power(sd, margin, power=0.8)
    assert tost_power(n, sd, margin) >= 0.8 > tost_power(n - 1, sd, margin)


def test_power_refuses_bad_input():
    for call in (lambda: tost_power(1, 1.0, 1.0), lambda: tost_power(5, 0.0, 1.0),
                 lambda: tost_power(5, 1.0, math.nan), lambda: seeds_for_power(1.0, 1.0, power=1.0),
                 lambda: seeds_for_power(10.0, 0.01, max_n=5)):
        with pytest.raises(ValueError):
            call()
