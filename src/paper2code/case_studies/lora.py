r"""Case study: *LoRA: Low-Rank Adaptation of Large Language Models* (Hu et al., 2021, arXiv:2106.09685).

A frozen weight $W_0 \in \mathbb{R}^{d \times k}$ is adapted by a low-rank
update (Section 4.1, Eq. 3):

$$
h = W_0 x + \Delta W x = W_0 x + \frac{\alpha}{r} B A x,
\qquad B \in \mathbb{R}^{d \times r},\; A \in \mathbb{R}^{r \times k}
$$

$A$ is initialised with a random Gaussian and $B$ with zeros, so
$\Delta W = 0$ and the adapted model starts equal to the base model. Only
$A$ and $B$ are trained; after training, $W = W_0 + \frac{\alpha}{r} BA$ is
merged into one matrix, and inference costs nothing extra.

Differences from the paper: none in the update. $A$'s Gaussian here has
standard deviation $1/r$ (the paper does not give it). The official code
uses Kaiming-uniform ($a = \sqrt5$, standard deviation $1/\sqrt{3k}$), so with
unit-variance inputs its $Ax$ has standard deviation $0.58$ where ours has
$\sqrt{k}/r$ (111 for GPT-3's $k = 12288$ at $r = 1$): a larger effective
learning rate for $B$.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["LoRALinear", "gpt3_trainable_parameters"]


# --8<-- [start:lora]
class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable rank-``r`` update, scaled by ``alpha / r``."""

    def __init__(self, base: nn.Linear, r: int, alpha: float | None = None):
        super().__init__()
        if r < 1:
            raise ValueError(f"rank must be at least 1, got {r}")
        self.base = base
        self.base.requires_grad_(False)  # W0 (and its bias) stay frozen
        d, k = base.out_features, base.in_features
        self.r, self.scale = r, (alpha if alpha is not None else r) / r  # α/r
        self.A = nn.Parameter(torch.randn(r, k) / r)  # (r, k): Gaussian
        self.B = nn.Parameter(torch.zeros(d, r))  # (d, r): zero, so ΔW = BA = 0 at the start

    def forward(self, x: Tensor) -> Tensor:
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale  # W0 x + (α/r)·B A x

    def delta_weight(self) -> Tensor:
        return self.B @ self.A * self.scale  # (d, k)

    @torch.no_grad()
    def merged(self) -> nn.Linear:
        """A plain ``nn.Linear`` with ``W0 + (α/r)·BA``: the same outputs, no extra cost."""
        w = self.base.weight
        out = nn.Linear(w.size(1), w.size(0), bias=self.base.bias is not None, dtype=w.dtype, device=w.device)
        out.weight.copy_(self.base.weight + self.delta_weight())
        if self.base.bias is not None:
            out.bias.copy_(self.base.bias)
        return out
# --8<-- [end:lora]


# --8<-- [start:count]
def gpt3_trainable_parameters(rank: int, d_model: int = 12_288, n_layers: int = 96,
                              adapted: tuple[str, ...] = ("query", "value")) -> int:
    """LoRA's trainable parameters for GPT-3 175B: ``r·(d + k)`` per adapted ``d×d`` matrix.

    Examples:
        >>> gpt3_trainable_parameters(rank=1), gpt3_trainable_parameters(rank=8)
        (4718592, 37748736)
    """
    per_matrix = rank * (d_model + d_model)  # A: r × d_model, B: d_model × r
    return n_layers * len(adapted) * per_matrix
# --8<-- [end:count]
