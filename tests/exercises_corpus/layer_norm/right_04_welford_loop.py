"""CORRECT: Welford's running mean/M2 over the features in a Python loop (numerically stable, differentiable)."""
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
        H = x.shape[-1]
        mean = torch.zeros_like(x[..., 0])
        m2 = torch.zeros_like(x[..., 0])
        for n in range(H):
            xi = x[..., n]
            delta = xi - mean
            mean = mean + delta / (n + 1)
            m2 = m2 + delta * (xi - mean)
        var = m2 / H
        y = (x - mean.unsqueeze(-1)) / torch.sqrt(var.unsqueeze(-1) + self.eps)
        y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y
