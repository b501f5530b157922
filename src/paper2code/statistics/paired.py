r"""Two arms over the same seeds: which is higher, and whether they are alike.

`compare_arms` reads the paired Student-t interval of $d_i = a_i - b_i$
(`paper2code.statistics.intervals.paired_difference`): ``"higher"`` when it
lies above 0, ``"lower"`` below, else ``"cannot tell"``. `equivalence` is the
two one-sided tests (TOST) within a margin stated before the runs. Both
report, beside the t interval, the exact sign-flip test of the same question
(`paper2code.statistics.signflip`) when there are at most 16 seeds, and warn when the two disagree, when the
sign-flip test cannot reach the level at all (5 seeds: its smallest two-sided
$p$ is 0.0625), or when values sit at a bound of the metric
(`paper2code.statistics.verdict.assumption_notes`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from paper2code.statistics.intervals import (
    Interval,
    check_margin,
    differences,
    mean_ci,
)
from paper2code.statistics.signflip import EXACT_UP_TO, SignFlip, sign_flip_test
from paper2code.statistics.student_t import t_quantile
from paper2code.statistics.verdict import Verdict, assumption_notes, check_bounds, t_p_value

__all__ = ["compare_arms", "equivalence"]


def _feasible(xs: list[float], ys: list[float] | None, bounds: tuple[float, float]) -> tuple[float, float]:
    """The range of the mean difference that the bounds allow on these runs."""
    lo, hi = bounds
    if ys is None:  # against a fixed number: the bounds minus that number are not known here
        return -math.inf, math.inf
    a, b = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    return max(lo - b, a - hi), min(hi - b, a - lo)


def _arms(a, b) -> tuple[list[float], list[float] | None]:
    xs = [float(x) for x in a]
    if isinstance(b, int | float) and not isinstance(b, bool):
        return xs, None
    return xs, [float(y) for y in b]


# --8<-- [start:compare_arms]
def compare_arms(
    a: Iterable[float], b: Iterable[float], confidence: float = 0.95, *,
    bounds: tuple[float, float] | None = None,
) -> Verdict:
    r"""Arm ``a`` against arm ``b`` over the same seeds: ``"higher"``, ``"lower"`` or ``"cannot tell"``.

    ``"higher"`` when the paired interval of ``a - b``, Eq. (1) of
    `paper2code.statistics.intervals`, lies above 0, ``"lower"`` when below;
    ``"cannot tell"`` is *not* evidence that the arms are alike (`equivalence`
    is). Its $p$ is the two-sided paired t-test's,
    $2\,(1 - F_{t,\,n-1}(|\bar{d}| \sqrt{n} / s_d))$; the exact sign-flip test
    of the same differences is reported beside it. ``bounds=(lo, hi)``: the
    metric's feasible range (an accuracy in [0, 1]), to warn when values sit
    at it.

    Examples:
        >>> v = compare_arms([0.82, 0.80, 0.85, 0.79, 0.84], [0.70, 0.71, 0.69, 0.75, 0.72])
        >>> v.verdict
        'higher'
        >>> print(v.format(2))  # doctest: +NORMALIZE_WHITESPACE
        higher: a − b = +0.11 [0.05, 0.16] (95% paired CI, n=5) lies above 0; t p = 0.006,
        sign-flip p = 0.0625 (exact over 32 sign patterns); warning: with 5 seeds the sign-flip
        test cannot reach p ≤ 0.05 (its smallest p is 0.0625): the verdict rests on the
        t interval's normality assumption alone
    """
    bounds = check_bounds(bounds)
    xs, ys = _arms(a, list(b))
    d = differences(xs, ys, "a paired difference")
    ci = mean_ci(d, confidence)
    iv = Interval(ci.mean, ci.half_width, ci.n, confidence, "paired CI")
    word = "higher" if iv.low > 0 else "lower" if iv.high < 0 else "cannot tell"
    se = ci.half_width / t_quantile(1.0 - (1.0 - confidence) / 2.0, ci.n - 1)
    alpha = 1.0 - confidence
    flip = sign_flip_test(d) if len(d) <= EXACT_UP_TO else None  # few seeds: where t is fragile
    notes = assumption_notes(word != "cannot tell", flip, alpha, {"a": xs, "b": ys}, bounds,
                             (iv.low, iv.high), _feasible(xs, ys, bounds) if bounds else None)
    rule = f"the {100 * confidence:g}% paired interval of a − b above 0 (higher) or below 0 (lower)"
    return Verdict(word, iv, rule, "paired", t_p_value(iv.mean, se, iv.n - 1), sign_flip=flip,
                   notes=notes)


# --8<-- [end:compare_arms]


# --8<-- [start:equivalence]
def equivalence(
    a: Iterable[float], b: Iterable[float] | float = 0.0, *, margin: float,
    alpha: float = 0.05, bounds: tuple[float, float] | None = None,
) -> Verdict:
    r"""Two one-sided tests (TOST): is the mean difference within ``± margin``?

    With $d_i = a_i - b_i$ over the same seeds (or $a_i - b$ for a number
    ``b`` known exactly, e.g. a value theory predicts; a paper's *run* is not
    known exactly: use `compare_to_paper` with a margin), both $H_0: \mu_d \le -\delta$ and $H_0: \mu_d \ge \delta$ are
    rejected at level $\alpha$ exactly when the $1 - 2\alpha$ interval of
    the mean difference lies inside $(-\delta, \delta)$ (Schuirmann, 1987):

    $$\bar{d} \pm t_{1-\alpha,\,n-1}\,\frac{s_d}{\sqrt{n}} \subset (-\delta, \delta) \tag{3}$$

    ``"equivalent"`` then, else ``"not shown equivalent"``. A claim that a
    choice "does not matter" is this test, with $\delta$ stated before the
    runs; an interval of differences that merely contains 0 is not. Its $p$
    is $\max(p_-, p_+)$, the larger one-sided t-test p-value; the sign-flip
    version is the larger of the one-sided sign-flip tests of $d_i + \delta$
    (``greater``) and $d_i - \delta$ (``less``). `paper2code.statistics.power.tost_power`
    says, before the runs, how often this test can succeed.

    Examples:
        >>> equivalence([0.51, 0.49, 0.50, 0.52, 0.50], [0.50, 0.50, 0.49, 0.51, 0.51],
        ...             margin=0.02).verdict
        'equivalent'
    """
    margin = check_margin(margin)
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    bounds = check_bounds(bounds)
    xs, ys = _arms(a, b)
    d = differences(xs, b if ys is None else ys, "an equivalence test")
    ci = mean_ci(d, 1.0 - 2.0 * alpha)
    iv = Interval(ci.mean, ci.half_width, ci.n, ci.confidence, "CI of the difference")
    inside = -margin < iv.low and iv.high < margin
    se = ci.half_width / t_quantile(1.0 - alpha, ci.n - 1)
    p = max(t_p_value(iv.mean + margin, se, iv.n - 1, "greater"),
            t_p_value(iv.mean - margin, se, iv.n - 1, "less"))
    flip = None
    if len(d) <= EXACT_UP_TO:  # few seeds: where the t interval's normality matters most
        lower, upper = sign_flip_test(d, -margin, "greater"), sign_flip_test(d, margin, "less")
        flip = SignFlip(max(lower.p, upper.p), lower.n, lower.exact, "TOST", lower.min_p)
    arms = {"a": xs} if ys is None else {"a": xs, "b": ys}
    notes = assumption_notes(inside, flip, alpha, arms, bounds, (iv.low, iv.high),
                             _feasible(xs, ys, bounds) if bounds else None)
    rule = f"the {100 * (1 - 2 * alpha):g}% interval of a − b within ±{margin:g} (TOST, α={alpha:g})"
    return Verdict("equivalent" if inside else "not shown equivalent", iv, rule, "equivalence", p,
                   margin=margin, sign_flip=flip, notes=notes)


# --8<-- [end:equivalence]
