r"""Position-wise feed-forward networks and their activations.

Vaswani et al., 2017, <https://arxiv.org/abs/1706.03762>, Equation (2), applied
to each position separately:

$$
\mathrm{FFN}(x) = \max(0,\, xW_1 + b_1)\,W_2 + b_2
$$

GELU — Hendrycks & Gimpel, 2016, <https://arxiv.org/abs/1606.08415>:
$\mathrm{GELU}(x) = x\,\Phi(x) = \tfrac{x}{2}\left(1 + \mathrm{erf}(x/\sqrt{2})\right)$,
and its tanh approximation
$\tfrac{x}{2}\left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)$.

SwiGLU — Shazeer, 2020, <https://arxiv.org/abs/2002.05202>, Section 2:
$\mathrm{FFN}_{\mathrm{SwiGLU}}(x) = (\mathrm{Swish}_1(xW) \otimes xV)\,W_2$,
with $\mathrm{Swish}_1(z) = z\,\sigma(z)$ and no biases.

Differences from the papers: the optional ``dropout`` on the hidden
activations is not in Eq. (2) (the paper applies dropout only to each
sublayer's output); it defaults to 0.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["PositionwiseFeedForward", "SwiGLU", "gelu"]


# --8<-- [start:gelu]
def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    r"""GELU, exact ($x\Phi(x)$ via erf) or with the paper's tanh approximation."""
    if approximate == "none":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
# --8<-- [end:gelu]


# --8<-- [start:ffn]
class PositionwiseFeedForward(nn.Module):
    """Equation (2): two linear maps with a ReLU (or GELU) between them.

    Args:
        d_model: Input and output width (512 in the base model).
        d_ff: Hidden width (2048 in the base model).
        dropout: Dropout on the hidden activations (not in the paper; default 0).
        activation: ``"relu"`` (the paper) or ``"gelu"``.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        self.linear1 = nn.Linear(d_model, d_ff)  # W1, b1
        self.linear2 = nn.Linear(d_ff, d_model)  # W2, b2
        self.dropout = nn.Dropout(dropout)
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        h = self.linear1(x)  # (B, T, d_ff): x W1 + b1
        h = F.relu(h) if self.activation == "relu" else gelu(h)  # max(0, ·)
        return self.linear2(self.dropout(h))  # (B, T, d_model): · W2 + b2
# --8<-- [end:ffn]


# --8<-- [start:swiglu]
class SwiGLU(nn.Module):
    """Shazeer's SwiGLU feed-forward (Section 2): ``(swish(x W) * (x V)) W2``, no biases.

    To keep the parameter count of a ReLU FFN of width ``d_ff``, the paper
    shrinks the hidden width to ``2/3 · d_ff`` (three matrices instead of two).
    """

    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        self.gate_proj = nn.Linear(d_model, d_hidden, bias=False)  # W
        self.up_proj = nn.Linear(d_model, d_hidden, bias=False)  # V
        self.down_proj = nn.Linear(d_hidden, d_model, bias=False)  # W2

    def forward(self, x: Tensor) -> Tensor:
        gate = self.gate_proj(x)
        return self.down_proj(gate * torch.sigmoid(gate) * self.up_proj(x))  # Swish_1(xW) ⊗ xV
# --8<-- [end:swiglu]
