"""CORRECT: Explicit two-pass loop (mean first, then squared deviations around it)."""
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
    n = 0
    total = 0.0
    for x in values:
        total += x
        n += 1
    m = total / n
    ss = 0.0
    for x in values:
        ss += (x - m) * (x - m)
    s = math.sqrt(ss / (n - 1))
    q = t_quantile((1.0 + confidence) / 2.0, n - 1)
    return m, q * s * math.sqrt(1.0 / draws + 1.0 / n)
