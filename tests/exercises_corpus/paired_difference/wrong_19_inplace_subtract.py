"""MISTAKE: Computes the differences in place in a (a[i] -= b[i]), modifying the caller's list."""
r"""Exercise `paired_difference`: compare two arms run on the same seeds.

d_i = a_i - b_i (seed i of arm a minus seed i of arm b); with their mean m and
sample standard deviation s (divide by n - 1):
    m +/- t_{1 - alpha/2, n - 1} * s / sqrt(n),   alpha = 1 - confidence.

a, b: lists of floats of the same length n >= 2. Return (mean, half_width) as two floats.
Student's t quantile: paper2code.statistics.student_t.t_quantile(p, df) (imported below).

What the checks hold you to: the sign is a - b; n = 2 works; confidence other
than 0.95; a and b are not modified.

Check it with: paper2code exercise check paired_difference THIS_FILE
"""

import math

from paper2code.statistics.student_t import t_quantile


def paired_difference(a, b, confidence=0.95):
    n = len(a)
    for i in range(n):
        a[i] -= b[i]
    m = sum(a) / n
    s = math.sqrt(sum((x - m) ** 2 for x in a) / (n - 1))
    t = t_quantile(1 - (1 - confidence) / 2, n - 1)
    return m, t * s / math.sqrt(n)
