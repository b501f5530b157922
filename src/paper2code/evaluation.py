r"""Evaluate like the paper: several seeds, a confidence interval, eval mode.

A single run's score is one draw from a distribution over seeds (initial
weights, data order, dropout). A paper's number is often one draw too, or a
mean over a few seeds. This module summarises runs over seeds as a mean and
a Student-t confidence interval:

$$\bar{x} \pm t_{1-\alpha/2,\,n-1}\,\frac{s}{\sqrt{n}}, \qquad
s^2 = \frac{1}{n-1}\sum_i (x_i - \bar{x})^2 \tag{1}$$

The interval is for the *mean* over seeds, assuming the scores are
independent and roughly normal (Student, 1908, *The probable error of a
mean*). With $n = 5$ seeds, $t_{0.975,4} \approx 2.776$, not the 1.96 of the
normal distribution: with few seeds, the normal interval is too narrow.

The t quantile is computed here (bisection on the t CDF, written with the
regularised incomplete beta function), so that the package needs no SciPy;
the tests check it against ``scipy.stats.t.ppf`` and against closed forms
for 1 and 2 degrees of freedom.

Differences from the paper: not applicable (a method, not a paper); the
interval says nothing about differences between *data sets* or *code*.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from torch import nn

__all__ = ["Interval", "eval_mode", "mean_ci", "over_seeds", "t_quantile"]


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    log_front = (
        math.lgamma(a + b)
        - math.lgamma(a)
        - math.lgamma(b)
        + a * math.log(x)
        + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    """P(T <= t) for t >= 0; t_quantile uses the symmetry for p < 1/2."""
    # P(T <= t) = 1 - I_{df/(df+t²)}(df/2, 1/2) / 2 for t >= 0
    return 1.0 - 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))


# --8<-- [start:t_quantile]
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom.

    Examples:
        >>> round(t_quantile(0.975, 4), 3)
        2.776
    """
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:  # bracket the quantile
        lo, hi = hi, 2.0 * hi
    for _ in range(200):  # bisection: the CDF is increasing
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _t_cdf(mid, df) < p else (lo, mid)
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


# --8<-- [end:t_quantile]


# --8<-- [start:mean_ci]
@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` runs with a two-sided Student-t confidence interval."""

    mean: float
    half_width: float
    n: int
    confidence: float

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
            f" ({level} CI, Student t, n={self.n})"
        )

    __str__ = format


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of independent runs, Eq. (1).

    Raises:
        ValueError: fewer than two values (no spread to estimate), or a
            confidence level outside (0, 1).
    """
    xs = [float(v) for v in values]
    n = len(xs)
    if n < 2:
        raise ValueError(
            f"a confidence interval needs at least 2 runs, got {n}"
        )
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    mean = math.fsum(xs) / n
    s = math.sqrt(
        math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    )  # n - 1: unbiased
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


# --8<-- [start:eval_mode]
@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model.eval()`` inside the block; each module's own mode restored after.

    ``torch.no_grad()`` does not switch dropout or BatchNorm to evaluation
    behaviour; ``model.eval()`` does, and forgetting ``model.train()``
    afterwards silently trains without dropout.
    """
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for m, training in modes.items():
            m.train(training)


# --8<-- [end:eval_mode]
