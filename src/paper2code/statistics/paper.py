r"""Our runs against the paper's number: the prediction interval and a margin.

A paper's number is usually **one run**, and comparing it with the interval
of *our mean* is the wrong yardstick: that interval shrinks as $1/\sqrt{n}$,
the paper's run does not. `compare_to_paper` uses the prediction interval,
Eq. (2) of `paper2code.statistics.intervals`, and with a margin the
equivalence test on one more run; a successful equivalence test is reported
as ``"consistent"`` even when the paper's value lies outside the prediction
interval (a difference that is real and smaller than the margin).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from paper2code.statistics.intervals import Interval, check_margin, prediction_interval
from paper2code.statistics.student_t import t_quantile
from paper2code.statistics.verdict import Verdict, assumption_notes, check_bounds, t_p_value

__all__ = ["compare_to_paper"]


# --8<-- [start:compare_to_paper]
def compare_to_paper(
    values: Iterable[float], paper: float, confidence: float = 0.95,
    margin: float | None = None, paper_runs: int = 1, *,
    bounds: tuple[float, float] | None = None,
) -> Verdict:
    r"""Our ``n`` runs against the paper's single run, by the prediction interval, Eq. (2).

    The paper's number is taken as **one draw** of what our runs sample; a paper
    that reports the mean of $k$ runs passes ``paper_runs=k``, and
    $\sqrt{1/k + 1/n}$ replaces $\sqrt{1 + 1/n}$ below. (The best of $k$ runs, or a
    checkpoint chosen on the test set, is biased, which no interval corrects.)
    With $\mathrm{se} = s\sqrt{1 + 1/n}$ and $\alpha = 1 -$ ``confidence``:

    * with a ``margin`` $\delta$ (the smallest difference that matters, stated
      before the runs; positive and finite, else `ValueError`), first the two
      one-sided tests on the single-run statistic: ``"consistent"`` when
      $|x_p - \bar{x}| + t_{1-\alpha,\,n-1}\,\mathrm{se} < \delta$, i.e. the
      $1 - 2\alpha$ interval of the gap $x_p - \bar{x}$ lies inside $\pm\delta$.
      A paper whose method really differs by $\delta$ is called consistent at
      most $\alpha$ of the time. This wins over the next rule: a gap shown
      smaller than $\delta$ is consistent even when it is shown nonzero.
    * ``"differs"``: the paper's value is outside the ``confidence``
      prediction interval, $|x_p - \bar{x}| > t_{1-\alpha/2,\,n-1}\,\mathrm{se}$.
      A faithful reproduction gets this with probability $\alpha$, whatever $n$.
    * ``"cannot tell"``: with a margin, neither. As $\mathrm{se} \ge s$ for every
      $n$, runs that vary by more than about $\delta / t$ never show
      consistency: the paper's own run is that noisy.
    * without a margin, ``"consistent"`` only means *not rejected*: it says
      nothing about differences smaller than the interval.

    $p$: the TOST's (the larger one-sided t p-value) with a margin, except for
    "differs", whose p is always the two-sided p of "the paper's run differs"
    (so that a family of comparisons never reads a TOST p near 1 as "cannot tell"). ``bounds=(lo, hi)``: warn when our
    values sit at a bound or the prediction interval reaches past one.

    Examples:
        >>> runs = [27.1, 27.5, 26.9, 27.4, 27.2]
        >>> [compare_to_paper(runs, 27.3).verdict, compare_to_paper(runs, 28.4).verdict]
        ['consistent', 'differs']
        >>> [compare_to_paper(runs, 27.3, margin=m).verdict for m in (0.5, 1.0)]
        ['cannot tell', 'consistent']
    """
    paper = float(paper)
    if not math.isfinite(paper):
        raise ValueError(f"the paper's value must be a finite number, got {paper}")
    if margin is not None:
        margin = check_margin(margin)  # before anything else: a NaN margin never passes silently
    bounds = check_bounds(bounds)
    xs = [float(v) for v in values]
    pi = prediction_interval(xs, confidence, draws=paper_runs)
    alpha = 1.0 - confidence
    se = pi.half_width / t_quantile(1.0 - alpha / 2.0, pi.n - 1)
    gap, outside = None, paper not in pi
    if margin is None:
        word, p = ("differs" if outside else "consistent"), t_p_value(paper - pi.mean, se, pi.n - 1)
    else:
        more = "one more run" if paper_runs == 1 else f"a mean of {paper_runs} more runs"
        gap = Interval(paper - pi.mean, t_quantile(confidence, pi.n - 1) * se, pi.n,
                       1.0 - 2.0 * alpha, f"TOST on {more}")
        shown = -margin < gap.low and gap.high < margin
        word = "consistent" if shown else "differs" if outside else "cannot tell"
        p = max(t_p_value(gap.mean + margin, se, pi.n - 1, "greater"),
                t_p_value(gap.mean - margin, se, pi.n - 1, "less"))
        if word == "differs":  # "differs" is the prediction interval's finding: its p, not the TOST's
            p = t_p_value(paper - pi.mean, se, pi.n - 1)
    runs = f" (a mean of {paper_runs} runs)" if paper_runs > 1 else ""
    rule = f"the paper's {paper:g}{runs} inside the {100 * confidence:g}% prediction interval"
    if margin is None:
        rule += " (no margin stated: not rejected)"
    else:
        rule = f"a difference of ±{margin:g} ruled out (TOST), else differs when outside {rule[4:]}"
    notes = assumption_notes(word != "consistent", None, alpha, {"ours": xs}, bounds,
                             (pi.low, pi.high), bounds)
    return Verdict(word, pi, rule, "paper", p, margin=margin, paper=paper, gap=gap, notes=notes)


# --8<-- [end:compare_to_paper]
