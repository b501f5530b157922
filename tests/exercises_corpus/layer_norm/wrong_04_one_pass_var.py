"""MISTAKE: computes the variance as E[x^2] - E[x]^2, which cancels catastrophically for inputs with a large offset."""
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
        var = (x * x).mean(-1, keepdim=True) - mu * mu
        y = (x - mu) / torch.sqrt(var + self.eps)
        y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y
