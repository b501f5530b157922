r"""Exercise `layer_norm`: layer normalisation (Ba et al., 2016, Section 3).

Over the last dimension of size H:
    mu = mean(x), sigma^2 = mean((x - mu)^2)  (biased: 1/H),
    y = weight * (x - mu) / sqrt(sigma^2 + eps) + bias.

Input (..., H), output the same shape. Keep the parameter names.

What the checks hold you to: bias=False works (self.bias is None: add nothing); eps is
self.eps (the checks change it); float64 inputs are computed in float64 (float32 arithmetic
inside is refused), accurate even for a mean of 1e8 with unit spread (a centred variance,
not E[x^2] - E[x]^2); H = 1 works; gradients flow through the mean and the variance;
x is not modified in place.

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
        raise NotImplementedError("write LayerNorm.forward")
