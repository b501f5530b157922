"""MISTAKE: drops eps entirely (divides by the bare standard deviation)."""
r"""Exercise `layer_norm`: layer normalisation (Ba et al., 2016, Section 3).

Over the last dimension of size H:
    mu = mean(x), sigma^2 = mean((x - mu)^2)  (biased: 1/H),
    y = weight * (x - mu) / sqrt(sigma^2 + eps) + bias.

Input (..., H), output the same shape. Keep the parameter names.

Check it with: paper2code exercise check layer_norm THIS_FILE
"""

import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, d, eps=1e-5, bias=True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))  # gamma
        self.bias = nn.Parameter(torch.zeros(d)) if bias else None  # beta

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        y = (x - mu) * torch.rsqrt(var)
        y = self.weight * y
        return y if self.bias is None else y + self.bias
