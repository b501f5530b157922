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

The t quantile comes from `paper2code.statistics.student_t` (no SciPy needed).

A paper's number is usually **one run**, and comparing it with the interval
of *our mean* is the wrong yardstick: that interval shrinks as $1/\sqrt{n}$,
the paper's run does not. `prediction_interval`, `compare_to_paper`,
`paired_difference`, `compare_arms` and `equivalence` are the comparisons a
reproduction needs, each with its equation; the tests measure their error
rates by simulation.

Differences from the paper: not applicable (a method, not a paper); the
interval says nothing about differences between *data sets* or *code*.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paper2code.statistics.student_t import t_quantile

if TYPE_CHECKING:  # torch only for the annotation: the statistics import without it
    from torch import nn

__all__ = [
    "Interval", "Verdict", "compare_arms", "compare_to_paper", "equivalence", "eval_mode",
    "mean_ci", "over_seeds", "paired_difference", "prediction_interval", "t_quantile",
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
    xs, ys = list(a), list(b)
    if len(xs) != len(ys):
        raise ValueError(f"paired arms need the same seeds: {len(xs)} runs against {len(ys)}")
    d = _runs((x - y for x, y in zip(xs, ys, strict=True)), "a paired difference")
    iv = mean_ci(d, confidence)
    return Interval(iv.mean, iv.half_width, iv.n, confidence, "paired CI")


# --8<-- [end:paired_difference]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a comparison fixed before the runs: a word, its interval, the rule."""

    verdict: str
    interval: Interval
    criterion: str

    @property
    def n(self) -> int:
        return self.interval.n

    def format(self, digits: int = 3) -> str:
        return f"{self.verdict}: {self.interval.format(digits)}; {self.criterion}"

    __str__ = format


# --8<-- [start:compare_to_paper]
def compare_to_paper(
    values: Iterable[float], paper: float, confidence: float = 0.95,
    margin: float | None = None, paper_runs: int = 1,
) -> Verdict:
    r"""Our ``n`` runs against the paper's single run, by the prediction interval, Eq. (2).

    The paper's number is taken as **one draw** of what our runs sample; a paper
    that reports the mean of $k$ runs passes ``paper_runs=k``, and
    $\sqrt{1/k + 1/n}$ replaces $\sqrt{1 + 1/n}$ below. (The best of $k$ runs, or a
    checkpoint chosen on the test set, is biased, which no interval corrects.)

    * ``"differs"``: the paper's value is outside the ``confidence``
      prediction interval. A faithful reproduction gets this with
      probability ``1 - confidence``, whatever ``n``.
    * ``"consistent"``: with a ``margin`` $\delta$ (the smallest difference
      that matters, stated before the runs), only when a difference of
      $\delta$ is ruled out, by two one-sided tests on the single-run
      statistic: $|x_p - \bar{x}| + t_{1-\alpha,\,n-1}\,s\sqrt{1 + 1/n} <
      \delta$ with $\alpha = 1 -$ ``confidence``. A paper whose method
      really differs by $\delta$ is called consistent at most $\alpha$ of the
      time. As $s\sqrt{1 + 1/n} \ge s$ for every $n$, runs that vary by more than
      about $\delta / t$ never show it: the paper's own run is that noisy.
      Without a margin, ``"consistent"`` only means *not rejected*: it says
      nothing about differences smaller than the interval.
    * ``"cannot tell"``: with a margin, neither of the above.

    Examples:
        >>> compare_to_paper([27.1, 27.5, 26.9, 27.4, 27.2], 27.3).verdict
        'consistent'
        >>> compare_to_paper([27.1, 27.5, 26.9, 27.4, 27.2], 28.4).verdict
        'differs'
        >>> compare_to_paper([27.1, 27.5, 26.9, 27.4, 27.2], 27.3, margin=0.5).verdict
        'cannot tell'
        >>> compare_to_paper([27.1, 27.5, 26.9, 27.4, 27.2], 27.3, margin=1.0).verdict
        'consistent'
    """
    paper = float(paper)
    if not math.isfinite(paper):
        raise ValueError(f"the paper's value must be a finite number, got {paper}")
    pi = prediction_interval(values, confidence, draws=paper_runs)
    level = f"{100 * confidence:g}%"
    if paper not in pi:
        word = "differs"
    elif margin is None:
        word = "consistent"
    else:
        if not margin > 0:
            raise ValueError(f"margin must be positive, got {margin}")
        t_one = t_quantile(confidence, pi.n - 1)  # one-sided, level 1 - confidence
        se = pi.half_width / t_quantile(1.0 - (1.0 - confidence) / 2.0, pi.n - 1)
        word = "consistent" if abs(paper - pi.mean) + t_one * se < margin else "cannot tell"
    runs = f" (a mean of {paper_runs} runs)" if paper_runs > 1 else ""
    rule = f"the paper's {paper:g}{runs} inside the {level} prediction interval"
    if margin is None:
        rule += " (no margin stated: not rejected)"
    else:
        more = "one more run" if paper_runs == 1 else f"the mean of {paper_runs} more runs"
        rule += f", and a difference of ±{margin:g} ruled out (TOST on {more})"
    return Verdict(word, pi, rule)


# --8<-- [end:compare_to_paper]


# --8<-- [start:compare_arms]
def compare_arms(
    a: Iterable[float], b: Iterable[float], confidence: float = 0.95
) -> Verdict:
    """Arm ``a`` against arm ``b`` over the same seeds: ``"higher"``, ``"lower"`` or ``"cannot tell"``.

    ``"higher"`` when the paired interval of ``a - b`` lies above 0, ``"lower"`` when
    below; ``"cannot tell"`` is *not* evidence that the arms are alike (`equivalence` is).

    Examples:
        >>> compare_arms([0.82, 0.80, 0.85, 0.79, 0.84], [0.70, 0.71, 0.69, 0.75, 0.72]).verdict
        'higher'
    """
    iv = paired_difference(a, b, confidence)
    word = "higher" if iv.low > 0 else "lower" if iv.high < 0 else "cannot tell"
    rule = f"the {100 * confidence:g}% paired interval of the difference excludes 0"
    return Verdict(word, iv, rule)


# --8<-- [end:compare_arms]


# --8<-- [start:equivalence]
def equivalence(
    a: Iterable[float], b: Iterable[float] | float = 0.0, *, margin: float,
    alpha: float = 0.05,
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
    runs; an interval of differences that merely contains 0 is not.

    Examples:
        >>> equivalence([0.51, 0.49, 0.50, 0.52, 0.50], [0.50, 0.50, 0.49, 0.51, 0.51],
        ...             margin=0.02).verdict
        'equivalent'
    """
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    xs = list(a)
    if isinstance(b, numbers.Real):
        if not math.isfinite(b):
            raise ValueError(f"the value to compare with must be finite, got {b}")
        iv = mean_ci(_runs((x - b for x in xs), "an equivalence test"), 1.0 - 2.0 * alpha)
    else:
        iv = paired_difference(xs, b, 1.0 - 2.0 * alpha)
    iv = Interval(iv.mean, iv.half_width, iv.n, iv.confidence, "CI of the difference")
    inside = -margin < iv.low and iv.high < margin
    rule = f"the {100 * (1 - 2 * alpha):g}% interval of the difference within ±{margin:g} (TOST, α={alpha:g})"
    return Verdict("equivalent" if inside else "not shown equivalent", iv, rule)


# --8<-- [end:equivalence]


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
