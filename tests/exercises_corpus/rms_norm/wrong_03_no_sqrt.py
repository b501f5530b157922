"""MISTAKE: divides by the mean square instead of its square root."""
r"""Exercise `rms_norm`: RMSNorm (Zhang & Sennrich, 2019, Section 4).

y = weight * x / RMS(x), RMS(x) = sqrt(mean(x^2) + eps) over the last dimension.
No mean subtraction and no bias. Input (..., H), output the same shape.

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
        ms = x.pow(2).mean(dim=-1, keepdim=True) + self.eps
        return self.weight * (x / ms)
