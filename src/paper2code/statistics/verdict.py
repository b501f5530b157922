r"""A comparison's outcome in words that state what was found, and its warnings.

A `Verdict` holds the word (``"higher"``, ``"cannot tell"``, ``"equivalent"``,
``"consistent"``, ...), the interval it rests on, the rule that was fixed before
the runs, the p-value of the test behind the word (Student t), the exact
sign-flip test beside it (`paper2code.statistics.signflip`) and the warnings
on its assumptions. Its one line says the *finding*, e.g. ``higher: a − b =
+0.120 [0.050, 0.190] (95% paired CI, n=5) lies above 0``, never the rule
alone. The warnings (`assumption_notes`) are raised when

* the t interval and the sign-flip test disagree at the same level $\alpha$;
* the sign-flip test cannot reach $\alpha$ at all: its smallest $p$ is $2/2^n$
  (two-sided), 0.0625 for 5 seeds, and the verdict then rests on the
  t interval's normality alone;
* values sit at a bound of the metric (``bounds=(lo, hi)``, e.g. an accuracy
  of 1.0): the spread is truncated, not normal;
* the interval reaches past what the bounds allow: the mean difference of
  arm $a$ over arm $b$ cannot exceed $\min(hi - \bar{b},\ \bar{a} - lo)$ on these runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from paper2code.statistics.intervals import Interval
from paper2code.statistics.signflip import SignFlip
from paper2code.statistics.student_t import t_cdf

__all__ = ["Verdict", "assumption_notes", "t_p_value"]


def t_p_value(mean: float, se: float, df: int, alternative: str = "two-sided") -> float:
    r"""The Student-t p-value of $H_0: \mu = 0$ from $t = \bar{x} / \mathrm{se}$.

    ``alternative``: ``"two-sided"``, ``"greater"`` or ``"less"``. With ``se``
    = 0 (every difference equal), $p$ is 0 when the mean is on the
    alternative's side of 0 and 1 otherwise.
    """
    if se == 0.0:
        side = {"greater": mean > 0, "less": mean < 0}.get(alternative, mean != 0)
        return 0.0 if side else 1.0
    t = mean / se
    if alternative == "greater":
        return 1.0 - t_cdf(t, df)
    if alternative == "less":
        return t_cdf(t, df)
    return min(1.0, 2.0 * (1.0 - t_cdf(abs(t), df)))


def _at(values: Sequence[float], bound: float) -> int:
    return sum(abs(v - bound) <= 1e-12 * max(1.0, abs(bound)) for v in values)


def assumption_notes(
    t_rejects: bool, sign_flip: SignFlip | None, alpha: float,
    arms: dict[str, Sequence[float]] | None = None, bounds: tuple[float, float] | None = None,
    reach: tuple[float, float] | None = None, feasible: tuple[float, float] | None = None,
) -> tuple[str, ...]:
    """The warnings on a verdict's assumptions (see the module docstring).

    ``t_rejects``: the t interval decided for the claim; ``arms``: name ->
    values, checked against ``bounds``; ``reach``: the interval's ends,
    checked against ``feasible``, the range the bounds allow.
    """
    notes = []
    if sign_flip is not None:
        if sign_flip.min_p > alpha:
            notes.append(f"with {sign_flip.n} seeds the sign-flip test cannot reach p ≤ {alpha:g} "
                         f"(its smallest p is {sign_flip.min_p:.4g}): the verdict rests on the "
                         "t interval's normality assumption alone")
        elif t_rejects != (sign_flip.p <= alpha):
            notes.append(f"the t interval and the sign-flip test disagree at α = {alpha:g} "
                         f"(sign-flip p = {sign_flip.p:.4g}): the verdict rests on the t interval's "
                         "normality assumption")
    if bounds is not None:
        lo, hi = bounds
        for name, values in (arms or {}).items():
            for bound in (lo, hi):
                hits = _at(values, bound)
                if hits:
                    notes.append(f"{hits} of {len(values)} values of {name} sit at the bound {bound:g}: "
                                 "their spread is truncated, not normal")
        if reach is not None and feasible is not None:
            if reach[1] > feasible[1] + 1e-12:
                notes.append(f"the interval reaches {reach[1]:+.4g}, above {feasible[1]:+.4g}, "
                             f"the most the bounds [{lo:g}, {hi:g}] allow on these runs")
            if reach[0] < feasible[0] - 1e-12:
                notes.append(f"the interval reaches {reach[0]:+.4g}, below {feasible[0]:+.4g}, "
                             f"the least the bounds [{lo:g}, {hi:g}] allow on these runs")
    return tuple(notes)


def check_bounds(bounds) -> tuple[float, float] | None:
    """``bounds`` as ``(lo, hi)`` with lo < hi, or None; `ValueError` otherwise."""
    if bounds is None:
        return None
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be (lo, hi), two numbers, got {bounds!r}") from None
    if not lo < hi:
        raise ValueError(f"bounds must be (lo, hi) with lo < hi, got {bounds!r}")
    return lo, hi


@dataclass(frozen=True)
class Verdict:
    """The outcome of a comparison fixed before the runs: a word, the finding, the rule, the checks.

    ``test``: ``"paired"``, ``"equivalence"`` or ``"paper"``; ``p``: the
    Student-t p-value of the test behind the word (two-sided for a paired
    comparison, the larger of the two one-sided ones for an equivalence; for
    ``paper`` without a margin, of "the paper's run differs"); ``gap``: for
    ``paper`` with a margin, the interval of the paper's value minus our mean
    that the equivalence test used.
    """

    verdict: str
    interval: Interval
    criterion: str
    test: str = ""
    p: float | None = None
    margin: float | None = None
    paper: float | None = None
    gap: Interval | None = None
    sign_flip: SignFlip | None = None
    notes: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return self.interval.n

    def finding(self, digits: int = 3) -> str:
        """What the runs showed, in one phrase, at ``digits`` decimals."""
        iv, m = self.interval, self.margin
        what = f"({100 * iv.confidence:g}% {iv.kind}, n={iv.n})"
        if self.test == "paired":
            end = {"higher": "lies above 0", "lower": "lies below 0"}.get(
                self.verdict, "includes 0: no direction shown, which is not evidence of no difference")
            return f"a − b = {iv.bracket(digits)} {what} {end}"
        if self.test == "equivalence":
            if self.verdict == "equivalent":
                return f"a − b = {iv.bracket(digits)} {what} lies inside ±{m:g}"
            wide = (", and is wider than the margin: these seeds could not have shown it"
                    if iv.half_width >= m else "")
            return f"a − b = {iv.bracket(digits)} {what} reaches beyond ±{m:g}{wide}"
        inside = self.paper in iv
        where = (f"the paper's {self.paper:g} lies {'inside' if inside else 'outside'} our "
                 f"{iv.bracket(digits, sign=False)} {what}")
        if m is None or self.gap is None:
            return where + ("; no margin stated: not rejected, not shown alike" if inside else "")
        g = self.gap
        gap = f"the paper's − ours = {g.bracket(digits)} ({100 * g.confidence:g}% interval, {g.kind})"
        if self.verdict == "consistent":
            return f"{gap} lies inside ±{m:g}" + (
                "" if inside else f"; {where}: a difference smaller than the margin")
        wide = (", and is wider than the margin: a single run is that noisy"
                if g.half_width >= m else "")
        return f"{gap} reaches beyond ±{m:g}{wide}; {where}"

    def format(self, digits: int = 3) -> str:
        """The verdict's one line: the word, the finding, the p-values, the warnings."""
        parts = [f"{self.verdict}: {self.finding(digits)}"]
        tests = []
        if self.p is not None and math.isfinite(self.p):
            tests.append(f"t p = {self.p:.2g}")
        if self.sign_flip is not None:
            tests.append(str(self.sign_flip))
        if tests:
            parts.append(", ".join(tests))
        parts += [f"warning: {note}" for note in self.notes]
        return "; ".join(parts)

    __str__ = format
