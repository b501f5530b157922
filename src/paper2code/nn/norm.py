r"""Normalisation layers and the residual connection around a sublayer.

LayerNorm — Ba, Kiros & Hinton, 2016, <https://arxiv.org/abs/1607.06450>, Section 3,
over the last dimension of size $H$:

$$
\mu = \frac{1}{H}\sum_i x_i, \quad
\sigma^2 = \frac{1}{H}\sum_i (x_i - \mu)^2, \quad
y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta
$$

RMSNorm — Zhang & Sennrich, 2019, <https://arxiv.org/abs/1910.07467>, Section 4:
$y = g \odot x / \mathrm{RMS}(x)$ with $\mathrm{RMS}(x) = \sqrt{\frac{1}{H}\sum_i x_i^2}$:
no mean subtraction and no bias.

Residual connection — Vaswani et al., 2017, Section 3.1 (*post-norm*):
$\mathrm{LayerNorm}(x + \mathrm{Dropout}(\mathrm{Sublayer}(x)))$; *pre-norm*,
$x + \mathrm{Dropout}(\mathrm{Sublayer}(\mathrm{LayerNorm}(x)))$, as used by
Wang et al., 2019 (<https://arxiv.org/abs/1906.01787>) and Baevski & Auli, 2019
(<https://arxiv.org/abs/1809.10853>), and analysed by Xiong et al., 2020
(<https://arxiv.org/abs/2002.04745>).

Differences from the papers: $\epsilon$ is not in the RMSNorm paper's formula;
like every implementation we add it under the square root, so that a zero
input does not divide by zero. Our RMSNorm's default $\epsilon$ is ``1e-6``
(as in LLaMA's code); ``torch.nn.RMSNorm``'s default (``eps=None``) is the
machine epsilon of the input's dtype (1.19e-7 in float32), so pass ``eps``
explicitly when you compare the two. The variance is the biased one
($1/H$), as in the LayerNorm paper and ``torch.nn.LayerNorm``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

__all__ = ["LayerNorm", "RMSNorm", "Residual"]


# --8<-- [start:layernorm]
class LayerNorm(nn.Module):
    """Layer normalisation over the last dimension (Ba et al., Section 3)."""

    def __init__(self, d: int, eps: float = 1e-5, bias: bool = True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))  # γ
        self.bias = nn.Parameter(torch.zeros(d)) if bias else None  # β

    def forward(self, x: Tensor) -> Tensor:
        mu = x.mean(dim=-1, keepdim=True)  # μ
        var = (x - mu).pow(2).mean(dim=-1, keepdim=True)  # σ², biased (1/H)
        y = (x - mu) / torch.sqrt(var + self.eps) * self.weight
        return y + self.bias if self.bias is not None else y
# --8<-- [end:layernorm]


# --8<-- [start:rmsnorm]
class RMSNorm(nn.Module):
    """Root-mean-square normalisation (Zhang & Sennrich, Section 4): rescale, never recentre."""

    def __init__(self, d: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))  # g

    def forward(self, x: Tensor) -> Tensor:
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # RMS(x)
        return x / rms * self.weight
# --8<-- [end:rmsnorm]


# --8<-- [start:residual]
class Residual(nn.Module):
    """A residual connection with its normalisation, before or after the sublayer.

    Args:
        d_model: Width of the normalised features.
        dropout: Dropout on the sublayer's output (Vaswani et al., Section 5.4).
        norm_first: ``False`` is the paper's post-norm,
            ``LayerNorm(x + Dropout(f(x)))``; ``True`` is pre-norm,
            ``x + Dropout(f(LayerNorm(x)))``, which trains without warm-up at
            depth but needs a final LayerNorm after the last block.
        norm: The normalisation class (``LayerNorm`` or ``RMSNorm``).

    Examples:
        >>> block = Residual(4, norm_first=True)
        >>> x = torch.randn(2, 3, 4)
        >>> torch.equal(block(x, lambda h: torch.zeros_like(h)), x)  # f = 0: identity
        True
    """

    def __init__(
        self,
        d_model: int,
        dropout: float = 0.0,
        norm_first: bool = False,
        norm: type[nn.Module] = LayerNorm,
    ):
        super().__init__()
        self.norm = norm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, x: Tensor, sublayer: Callable[[Tensor], Tensor]) -> Tensor:
        if self.norm_first:
            return x + self.dropout(sublayer(self.norm(x)))  # pre-norm
        return self.norm(x + self.dropout(sublayer(x)))  # post-norm (Section 3.1)
# --8<-- [end:residual]
