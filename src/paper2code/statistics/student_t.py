r"""Student's t distribution without SciPy: its CDF and quantile.

$$P(T \le t) = 1 - \tfrac{1}{2} I_{\nu/(\nu + t^2)}\!\left(\tfrac{\nu}{2}, \tfrac{1}{2}\right),
\qquad t \ge 0,$$

with $I_x(a, b)$ the regularised incomplete beta function (a continued
fraction, modified Lentz), and the quantile by bisection on the CDF. The tests
check it against ``scipy.stats.t.ppf`` and the closed forms for 1 and 2
degrees of freedom. The intervals and tests of `paper2code.statistics` use it.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = ["t_cdf", "t_quantile"]


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
    """P(T <= t) for t >= 0; t_cdf and t_quantile use the symmetry below 0."""
    # P(T <= t) = 1 - I_{df/(df+t²)}(df/2, 1/2) / 2 for t >= 0
    return 1.0 - 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom, any real ``t``.

    Examples:
        >>> round(t_cdf(2.776445105197793, 4), 6)
        0.975
    """
    if df <= 0 or math.isnan(t):
        raise ValueError(f"need df > 0 and a number t, got t={t}, df={df}")
    return _t_cdf(t, df) if t >= 0 else 1.0 - _t_cdf(-t, df)


# --8<-- [start:t_quantile]
@lru_cache(maxsize=1024)  # a simulation asks for the same quantile 10^4 times
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
