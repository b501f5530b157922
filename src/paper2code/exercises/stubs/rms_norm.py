r"""Exercise `rms_norm`: RMSNorm (Zhang & Sennrich, 2019, Section 4).

y = weight * x / RMS(x), RMS(x) = sqrt(mean(x^2) + eps) over the last dimension.
No mean subtraction and no bias. Input (..., H), output the same shape.

What the checks hold you to: eps is self.eps (the checks change it); float64 inputs are
computed in float64; inputs of any rank (..., H); H = 1 works; gradients flow through the
RMS; x is not modified in place.

Check it with: paper2code exercise check rms_norm THIS_FILE
"""

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))  # g

    def forward(self, x):
        raise NotImplementedError("write RMSNorm.forward")
