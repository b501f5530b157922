r"""Intervals over seeds: the mean's, the next run's, the paired difference's.

A single run's score is one draw from a distribution over seeds (initial
weights, data order, dropout). This module summarises runs over seeds as a
mean and a Student-t confidence interval:

$$\bar{x} \pm t_{1-\alpha/2,\,n-1}\,\frac{s}{\sqrt{n}}, \qquad
s^2 = \frac{1}{n-1}\sum_i (x_i - \bar{x})^2 \tag{1}$$

The interval is for the *mean* over seeds, assuming the scores are
independent and roughly normal (Student, 1908, *The probable error of a
mean*). With $n = 5$ seeds, $t_{0.975,4} \approx 2.776$, not the 1.96 of the
normal distribution: with few seeds, the normal interval is too narrow.
`prediction_interval` (Eq. 2) is where one more run would fall, the yardstick
for a paper's single run; `paired_difference` is Eq. (1) on per-seed
differences. The t quantile comes from `paper2code.statistics.student_t`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from paper2code.statistics.student_t import t_quantile

__all__ = [
    "Interval", "check_margin", "mean_ci", "over_seeds", "paired_difference", "prediction_interval",
]


# --8<-- [start:mean_ci]
@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` runs with a two-sided Student-t confidence interval."""

    mean: float
    half_width: float
    n: int
    confidence: float
    kind: str = "CI, Student t"  # or "prediction interval", "paired CI"

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def format(self, digits: int = 3) -> str:
        """``mean ± half-width`` at ``digits`` decimals, with level and n."""
        level = f"{100 * self.confidence:g}%"
        return (
            f"{self.mean:.{digits}f} ± {self.half_width:.{digits}f}"
            f" ({level} {self.kind}, n={self.n})"
        )

    def bracket(self, digits: int = 3, sign: bool = True) -> str:
        """``+0.120 [0.050, 0.190]``: the estimate and its interval's ends.

        Examples:
            >>> Interval(0.12, 0.07, 5, 0.95).bracket(2)
            '+0.12 [0.05, 0.19]'
        """
        plus = "+" if sign else ""

        def fix(x: float) -> float:  # no "-0.000" for a value that rounds to zero
            return 0.0 if round(x, digits) == 0 else x

        return f"{fix(self.mean):{plus}.{digits}f} [{fix(self.low):.{digits}f}, {fix(self.high):.{digits}f}]"

    __str__ = format


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of independent runs, Eq. (1).

    Raises:
        ValueError: fewer than two values (no spread to estimate), or a
            confidence level outside (0, 1).
    """
    _check_level(confidence)
    xs = _runs(values, "a confidence interval")
    n = len(xs)
    mean, s = _spread(xs)  # s with n - 1: unbiased
    t = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1)
    return Interval(mean, t * s / math.sqrt(n), n, confidence)


# --8<-- [end:mean_ci]


# --8<-- [start:over_seeds]
def over_seeds(
    run: Callable[[int], float], seeds: Sequence[int], confidence: float = 0.95
) -> tuple[list[float], Interval]:
    """Call ``run(seed)`` for every seed; return the scores and their interval.

    ``run`` must seed *everything* it uses from its argument (weights, data
    order, dropout), or the runs are not independent draws.
    """
    scores = [float(run(seed)) for seed in seeds]
    return scores, mean_ci(scores, confidence)


# --8<-- [end:over_seeds]


def _spread(xs: list[float]) -> tuple[float, float]:
    n = len(xs)
    mean = math.fsum(xs) / n
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))


def _runs(values: Iterable[float], what: str, least: int = 2) -> list[float]:
    xs = [float(v) for v in values]
    if len(xs) < least:
        raise ValueError(f"{what} needs at least {least} runs, got {len(xs)}")
    if not all(math.isfinite(x) for x in xs):
        raise ValueError(f"{what}: every run must be a finite number, got {xs}")
    return xs


def _check_level(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def check_margin(margin) -> float:
    """``margin`` as a float, or `ValueError` (one line) unless positive and finite.

    A margin is the smallest difference that matters, stated before the runs:
    0, a negative number, NaN or infinity cannot be one (an infinite margin
    makes every comparison "equivalent").

    Examples:
        >>> check_margin(float("nan"))
        Traceback (most recent call last):
        ...
        ValueError: margin must be a positive, finite number (the smallest difference that matters), got nan
    """
    value = float(margin) if isinstance(margin, numbers.Real) else math.nan
    if isinstance(margin, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError("margin must be a positive, finite number (the smallest difference "
                         f"that matters), got {margin!r}")
    return value


def differences(a: Iterable[float], b: Iterable[float] | float, what: str) -> list[float]:
    """``a_i - b_i`` over the same seeds (or ``a_i - b`` for a number ``b``), checked."""
    xs = list(a)
    if isinstance(b, int | float) and not isinstance(b, bool):
        if not math.isfinite(b):
            raise ValueError(f"the value to compare with must be finite, got {b}")
        return _runs((x - b for x in xs), what)
    ys = list(b)
    if len(xs) != len(ys):
        raise ValueError(f"paired arms need the same seeds: {len(xs)} runs against {len(ys)}")
    return _runs((x - y for x, y in zip(xs, ys, strict=True)), what)


# --8<-- [start:prediction_interval]
def prediction_interval(
    values: Iterable[float], confidence: float = 0.95, draws: int = 1
) -> Interval:
    r"""Where one more run would fall: the yardstick for a paper's single run.

    $$\bar{x} \pm t_{1-\alpha/2,\,n-1}\; s\,\sqrt{1 + \tfrac{1}{n}} \tag{2}$$

    A paper's number from one run carries the whole run-to-run spread $s$;
    the confidence interval of *our mean*, Eq. (1), shrinks as $1/\sqrt{n}$
    and would call a faithful reproduction wrong more often the more seeds we
    run. Eq. (2) is for a new draw $x_{n+1}$: $x_{n+1} - \bar{x}$ has variance
    $\sigma^2 (1 + 1/n)$. With ``draws`` $= k$ it is for the mean of $k$ new
    runs (a paper that reports a mean over $k$ seeds): $\sqrt{1/k + 1/n}$
    replaces $\sqrt{1 + 1/n}$.

    Examples:
        >>> print(prediction_interval([27.1, 27.5, 26.9, 27.4, 27.2]))
        27.220 ± 0.726 (95% prediction interval, n=5)
    """
    _check_level(confidence)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be a whole number of runs >= 1, got {draws!r}")
    xs = _runs(values, "a prediction interval")
    mean, s = _spread(xs)
    n = len(xs)
    t = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1)
    kind = "prediction interval" + (f" of a mean of {draws} runs" if draws > 1 else "")
    return Interval(mean, t * s * math.sqrt(1.0 / draws + 1.0 / n), n, confidence, kind)


# --8<-- [end:prediction_interval]


# --8<-- [start:paired_difference]
def paired_difference(
    a: Iterable[float], b: Iterable[float], confidence: float = 0.95
) -> Interval:
    r"""Mean of $d_i = a_i - b_i$ over the same seeds, with its Student-t interval, Eq. (1).

    Pairing by seed removes what both arms share (the data order, the
    initial weights a seed fixes), so the interval of the differences is
    often far narrower than the two arms' intervals side by side, and two
    overlapping intervals can still have a difference that excludes 0.
    """
    iv = mean_ci(differences(a, list(b), "a paired difference"), confidence)
    return Interval(iv.mean, iv.half_width, iv.n, confidence, "paired CI")


# --8<-- [end:paired_difference]
