r"""Power before the runs: how often an equivalence test *can* succeed at n seeds.

The two one-sided tests (`paper2code.statistics.paired.equivalence`) call
arms equivalent when the $1 - 2\alpha$ interval of the mean difference lies
inside $\pm\delta$:

$$|\bar{d}| + t_{1-\alpha,\,n-1}\,\frac{s_d}{\sqrt{n}} < \delta \tag{1}$$

Its power is the probability of that event when the differences are
$d_i \sim \mathcal{N}(\mu, \sigma^2)$, with $\mu$ the true difference (0 when
the arms are alike). Both $\bar{d}$ and $s_d$ vary, so "the half-width with
the pilot's spread is below $\delta$" is *not* enough: at that $n$ the
test often succeeds far less than 80% of the time (a quarter or less when
the margin is below the spread). `tost_power` estimates the
power by simulation: ``sims`` experiments of $n$ seeds each, drawn with
``random.Random(seed)`` (seed $k$ of every experiment drawn before seed
$k + 1$ of any, so that $n$ and $n + 1$ seeds share their first $n$), and
counts Eq. (1). Its standard error is $\sqrt{P(1 - P)/\text{sims}}$.
`seeds_for_power` returns the smallest $n$ whose simulated power reaches
the target. Pure Python: the same numbers on every machine.
"""

from __future__ import annotations

import math
import random

from paper2code.statistics.intervals import check_margin
from paper2code.statistics.student_t import t_quantile

__all__ = ["seeds_for_power", "tost_power"]


def _check(sd: float, alpha: float, sims: int, true_diff: float) -> None:
    if not (math.isfinite(sd) and sd > 0):
        raise ValueError(f"sd must be a positive, finite spread of the differences, got {sd!r}")
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if isinstance(sims, bool) or not isinstance(sims, int) or sims < 1:
        raise ValueError(f"sims must be a whole number >= 1, got {sims!r}")
    if not math.isfinite(true_diff):
        raise ValueError(f"true_diff must be finite, got {true_diff}")


def _powers(sd, margin, true_diff, alpha, sims, seed, ns):
    """Yield (n, power) for n = 2, 3, ... up to max(ns), by Welford updates per experiment."""
    rng = random.Random(seed)
    count, mean, m2 = 0, [0.0] * sims, [0.0] * sims
    for n in range(1, max(ns) + 1):
        for i in range(sims):  # one more seed for every experiment
            x = rng.gauss(true_diff, sd)
            delta = x - mean[i]
            mean[i] += delta / n
            m2[i] += delta * (x - mean[i])
        count = n
        if n >= 2 and n in ns:
            factor = t_quantile(1.0 - alpha, n - 1) / math.sqrt(n)
            hits = sum(abs(mean[i]) + factor * math.sqrt(m2[i] / (n - 1)) < margin for i in range(sims))
            yield count, hits / sims


def tost_power(
    n: int, sd: float, margin: float, true_diff: float = 0.0, alpha: float = 0.05,
    sims: int = 4000, seed: int = 0,
) -> float:
    r"""The simulated probability that the TOST at ``n`` seeds says "equivalent", Eq. (1).

    ``sd``: the spread $\sigma$ of the per-seed differences (a pilot's, stated);
    ``true_diff``: the true mean difference $\mu$ (0: the arms are alike; at
    $\mu = \pm\delta$ the power is at most $\alpha$, the test's error rate).

    Examples:
        >>> tost_power(5, 1.0, 0.5)  # five seeds rarely show a margin of half a spread
        0.021
        >>> tost_power(40, 1.0, 0.5)
        0.86075
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be a whole number of seeds >= 2, got {n!r}")
    margin = check_margin(margin)
    _check(sd, alpha, sims, true_diff)
    return next(_powers(sd, margin, true_diff, alpha, sims, seed, {n}))[1]


def seeds_for_power(
    sd: float, margin: float, power: float = 0.8, true_diff: float = 0.0, alpha: float = 0.05,
    sims: int = 4000, seed: int = 0, max_n: int = 500,
) -> int:
    """The smallest ``n`` whose `tost_power` reaches ``power``; `ValueError` if none up to ``max_n``.

    The same draws as `tost_power` with the same ``seed`` and ``sims``, so
    ``tost_power(seeds_for_power(...), ...)`` reaches the target.

    Examples:
        >>> seeds_for_power(1.0, 1.0)
        11
    """
    margin = check_margin(margin)
    _check(sd, alpha, sims, true_diff)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")
    for n, p in _powers(sd, margin, true_diff, alpha, sims, seed, set(range(2, max_n + 1))):
        if p >= power:
            return n
    raise ValueError(f"no n up to {max_n} reaches power {power:g} (sd {sd:g}, margin {margin:g}, "
                     f"true difference {true_diff:g}): a larger margin or a less noisy metric")
