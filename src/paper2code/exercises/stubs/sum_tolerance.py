r"""Exercise `sum_tolerance`: a tolerance derived for a float32 sum.

Bound |fl(sum x) - sum x| for n numbers added in `dtype`, in any order:
gamma_{n-1} * sum |x_i|, gamma_k = k u / (1 - k u), u = torch.finfo(dtype).eps / 2
(Higham, Accuracy and Stability of Numerical Algorithms, Section 4.2).
x: a float tensor whose values are exact in `dtype`. Return a float.

Check it with: paper2code exercise check sum_tolerance THIS_FILE
"""

import torch


def sum_tolerance(x, dtype=torch.float32):
    raise NotImplementedError("write sum_tolerance")
