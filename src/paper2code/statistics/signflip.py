r"""The exact sign-flip (permutation) test of a paired mean, for few seeds.

Under $H_0$: "the per-seed differences $d_i$ are symmetric about $\mu_0$", each
$d_i - \mu_0$ is as likely positive as negative, so each of the $2^n$ sign
patterns $\varepsilon \in \{-1, 1\}^n$ is equally likely, and

$$p = \frac{1}{2^n}\,\#\Bigl\{\varepsilon : \bigl|\textstyle\sum_i \varepsilon_i |d_i - \mu_0|\bigr|
\ge \bigl|\sum_i (d_i - \mu_0)\bigr|\Bigr\} \tag{1}$$

(two-sided; one-sided counts $\sum_i \varepsilon_i |d_i - \mu_0| \ge \sum_i (d_i - \mu_0)$, or $\le$).
It needs no normality, only symmetry and independent seeds (Fisher, 1935,
*The Design of Experiments*, Section 21). Its price: with $n$ seeds the
smallest two-sided $p$ is $2/2^n$, 0.0625 for 5 seeds, so no 5-seed
comparison can reach $p < 0.05$ by it, whatever the data. Exact enumeration
for $n \le 16$ (65,536 patterns); above, a seeded Monte Carlo estimate
$(1 + \#\{\text{as extreme}\}) / (1 + B)$ over $B$ random patterns.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["EXACT_UP_TO", "SignFlip", "min_sign_flip_p", "sign_flip_test"]

EXACT_UP_TO = 16  # seeds: 2^16 = 65,536 patterns, enumerated exactly
ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class SignFlip:
    """A sign-flip test's result: its p-value, how it was computed, and the smallest p it could give."""

    p: float
    n: int
    exact: bool
    alternative: str
    min_p: float

    def format(self) -> str:
        how = f"exact over {2 ** self.n} sign patterns" if self.exact else "Monte Carlo"
        return f"sign-flip p = {self.p:.4g} ({how})"

    __str__ = format


def min_sign_flip_p(n: int, alternative: str = "two-sided") -> float:
    """The smallest p-value an exact sign-flip test on ``n`` nonzero differences can give.

    Examples:
        >>> min_sign_flip_p(5), min_sign_flip_p(5, "greater")
        (0.0625, 0.03125)
    """
    return (2.0 if alternative == "two-sided" else 1.0) / 2.0**n


def _sums(magnitudes: list[float]) -> list[float]:
    """Every signed sum of ``magnitudes``: 2^n of them, built one value at a time."""
    sums = [0.0]
    for m in magnitudes:
        sums = [s + m for s in sums] + [s - m for s in sums]
    return sums


def sign_flip_test(
    d: Iterable[float], mu0: float = 0.0, alternative: str = "two-sided",
    samples: int = 20_000, seed: int = 0,
) -> SignFlip:
    """The sign-flip test of "the differences ``d`` are symmetric about ``mu0``", Eq. (1).

    ``alternative``: ``"two-sided"``, ``"greater"`` (the mean difference is above
    ``mu0``) or ``"less"``. Exact for up to `EXACT_UP_TO` differences; above, a
    Monte Carlo estimate from ``samples`` patterns drawn with ``random.Random(seed)``.
    A sum within ``1e-12`` (relative) of the observed one counts as equal, so that
    rounding cannot hide a tie.

    Examples:
        >>> sign_flip_test([0.3, -0.1, 0.5, 0.2, 0.4]).p
        0.125
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")
    xs = [float(x) - mu0 for x in d]
    if len(xs) < 1 or not all(math.isfinite(x) for x in xs):
        raise ValueError(f"a sign-flip test needs finite differences, got {xs}")
    n = len(xs)
    observed = math.fsum(xs)
    magnitudes = [abs(x) for x in xs]
    tol = 1e-12 * max(1.0, math.fsum(magnitudes))

    def extreme(s: float) -> bool:
        if alternative == "greater":
            return s >= observed - tol
        if alternative == "less":
            return s <= observed + tol
        return abs(s) >= abs(observed) - tol

    min_p = min_sign_flip_p(sum(1 for m in magnitudes if m > tol), alternative)  # zeros cannot flip
    if n <= EXACT_UP_TO:
        count = sum(1 for s in _sums(magnitudes) if extreme(s))
        return SignFlip(count / 2.0**n, n, True, alternative, min_p)
    rng = random.Random(seed)
    count = sum(extreme(math.fsum(m if rng.random() < 0.5 else -m for m in magnitudes))
                for _ in range(samples))
    return SignFlip((1 + count) / (1 + samples), n, False, alternative, min_p)
