"""CORRECT: numpy arrays: d = a - b, std(ddof=1) / sqrt(n)."""
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


import numpy as np


def paired_difference(a, b, confidence=0.95):
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = d.size
    se = d.std(ddof=1) / np.sqrt(n)
    q = t_quantile(1 - (1 - confidence) / 2, n - 1)
    return float(d.mean()), float(q * se)
