r"""Exercise `rotary`: rotary position embedding (Su et al., RoFormer, 2021, Section 3.2).

Rotate each adjacent pair (x_2i, x_2i+1) of the last dimension of x at position m
by the angle m * theta_i, theta_i = base^(-2i / d), i = 0 .. d/2 - 1:
    (x_2i, x_2i+1) -> (x_2i cos - x_2i+1 sin, x_2i sin + x_2i+1 cos).

x: (..., T, d), d even; positions: (T,) integers. Return x's shape and dtype.

Check it with: paper2code exercise check rotary THIS_FILE
"""

import torch


def apply_rotary(x, positions, base=10000.0):
    raise NotImplementedError("write apply_rotary")
