"""MISTAKE: Treats the confidence argument as alpha, taking t_{1 - confidence/2} (a 5%-ish interval when 0.95 is passed)."""
r"""Exercise `prediction_interval`: where one more run (or the mean of k more) would fall.

For n runs x_1..x_n with mean m and sample standard deviation s (divide by n - 1):
    m +/- t_{1 - alpha/2, n - 1} * s * sqrt(1/draws + 1/n),   alpha = 1 - confidence.
draws = 1: one new run; draws = k: the mean of k new runs (a paper's mean over k seeds).

values: a list of floats (n >= 2). Return (mean, half_width) as two floats.
Student's t quantile: paper2code.statistics.student_t.t_quantile(p, df) (imported below).

What the checks hold you to: n = 2 works; confidence other than 0.95; draws > 1;
values near 1e6 with a spread of 1 (compute the spread around the mean); values is
not modified (no in-place sort).

Check it with: paper2code exercise check prediction_interval THIS_FILE
"""

import math

from paper2code.statistics.student_t import t_quantile


def prediction_interval(values, confidence=0.95, draws=1):
    n = len(values)
    m = sum(values) / n
    s = math.sqrt(sum((x - m) ** 2 for x in values) / (n - 1))
    alpha = confidence
    t = t_quantile(1 - alpha / 2, n - 1)
    return m, t * s * math.sqrt(1 / draws + 1 / n)
