"""MISTAKE: Uses the normal quantile instead of Student's t with n - 1 degrees of freedom."""
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


from statistics import NormalDist


def paired_difference(a, b, confidence=0.95):
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    m = sum(d) / n
    s = math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1))
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    return m, z * s / math.sqrt(n)
