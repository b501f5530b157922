r"""Scaled dot-product and multi-head attention.

Paper: Vaswani et al., *Attention Is All You Need*, 2017,
<https://arxiv.org/abs/1706.03762>, Section 3.2.

Equation (1):

$$
\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V
$$

Multi-head attention (Section 3.2.2):
$\mathrm{MultiHead}(Q, K, V) = \mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h) W^O$ with
$\mathrm{head}_i = \mathrm{Attention}(Q W_i^Q, K W_i^K, V W_i^V)$.

Mask convention (one for the whole package): a boolean mask, broadcastable to
``(B, h, T_q, T_k)``, where ``True`` means *may attend*. A 2-D mask is
``(T_q, T_k)``; a 3-D mask is ``(B, T_q, T_k)``. ``torch.nn.MultiheadAttention``
uses the opposite convention (``True`` = blocked): invert a mask before
passing it there.

Differences from the paper: a query row whose keys are all masked (a padded
query, say) gets zero attention weights and a zero output instead of the NaN
that a softmax over ``-inf`` gives. Optional dropout on the attention weights
(``dropout_p``) is not in the paper: Section 5.4 applies dropout only to each
sub-layer's output and to the embedding sums. It is what ``dropout_p`` of
``torch.nn.functional.scaled_dot_product_attention`` does; it is off by default.

Dimension legend: B batch, T_q / T_k query / key length, h heads,
d_k = d_model / h per-head width.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "MultiHeadAttention",
    "causal_mask",
    "padding_mask",
    "scaled_dot_product_attention",
]


# --8<-- [start:masks]
def causal_mask(t_q: int, t_k: int | None = None, device: torch.device | None = None) -> Tensor:
    """Lower-triangular mask: query i may attend to keys 0..i (``True`` = may attend).

    With ``t_k > t_q`` (cached keys before the queries) query i sees keys up to
    ``i + t_k - t_q``.

    Examples:
        >>> causal_mask(3).int()
        tensor([[1, 0, 0],
                [1, 1, 0],
                [1, 1, 1]], dtype=torch.int32)
    """
    t_k = t_q if t_k is None else t_k
    return torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril(diagonal=t_k - t_q)


def padding_mask(lengths: Tensor, t_k: int) -> Tensor:
    """Mask of shape ``(B, 1, 1, T_k)`` that hides the key positions past each length.

    Examples:
        >>> padding_mask(torch.tensor([2, 3]), 4).int().squeeze()
        tensor([[1, 1, 0, 0],
                [1, 1, 1, 0]], dtype=torch.int32)
    """
    positions = torch.arange(t_k, device=lengths.device)
    return (positions[None, :] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, T_k)
# --8<-- [end:masks]


# --8<-- [start:sdpa]
def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    dropout_p: float = 0.0,
    training: bool = False,
) -> tuple[Tensor, Tensor]:
    r"""Equation (1): $\mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$.

    Args:
        q: Queries, ``(..., T_q, d_k)``.
        k: Keys, ``(..., T_k, d_k)``.
        v: Values, ``(..., T_k, d_v)``.
        mask: Boolean, broadcastable to ``(..., T_q, T_k)``; ``True`` = may attend.
        dropout_p: Dropout on the attention weights (not in the paper, whose
            Section 5.4 has residual and embedding dropout only), training only.
        training: Whether dropout is active.

    Returns:
        ``(output, weights)``: ``(..., T_q, d_v)`` and ``(..., T_q, T_k)``.
        A fully masked query row has zero weights and a zero output.
    """
    d_k = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
        # softmax of an all -inf row is 0/0 = NaN, in the forward and the backward
        # pass. Give such rows finite scores, then zero their weights: they attend
        # to nothing.
        empty = ~mask.any(dim=-1, keepdim=True)  # (..., T_q, 1)
        scores = scores.masked_fill(empty, 0.0)
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = weights.masked_fill(empty, 0.0)
    if dropout_p > 0.0 and training:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights  # (..., T_q, d_v), (..., T_q, T_k)
# --8<-- [end:sdpa]


# --8<-- [start:mha]
class MultiHeadAttention(nn.Module):
    """Multi-head attention (Section 3.2.2), for self- and cross-attention.

    Args:
        d_model: Model width; the input and output size.
        n_heads: Number of heads h; ``d_model`` must be divisible by it.
        dropout: Dropout on the attention weights.
        bias: Whether the four projections have biases.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, d_model // n_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)  # W^Q for all heads at once
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)  # W^K
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)  # W^V
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)  # W^O

    def _split_heads(self, x: Tensor) -> Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.n_heads, self.d_k).transpose(1, 2)  # (B, h, T, d_k)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        mask: Tensor | None = None,
        return_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Attend from ``query`` (B, T_q, d_model) to ``key``/``value`` (B, T_k, d_model).

        Args:
            query: ``(B, T_q, d_model)``.
            key: ``(B, T_k, d_model)``; the same tensor as ``query`` for self-attention.
            value: ``(B, T_k, d_model)``.
            mask: Boolean, broadcastable to ``(B, h, T_q, T_k)``, ``True`` = may attend;
                a 3-D mask ``(B, T_q, T_k)`` is applied to every head.
            return_weights: Also return the attention weights ``(B, h, T_q, T_k)``.

        Returns:
            ``(B, T_q, d_model)``, and the weights if asked for.
        """
        if mask is not None and mask.dim() == 3:
            mask = mask.unsqueeze(1)  # (B, 1, T_q, T_k): same mask for every head
        q = self._split_heads(self.q_proj(query))  # (B, h, T_q, d_k)
        k = self._split_heads(self.k_proj(key))  # (B, h, T_k, d_k)
        v = self._split_heads(self.v_proj(value))  # (B, h, T_k, d_k)
        out, weights = scaled_dot_product_attention(
            q, k, v, mask, dropout_p=self.dropout, training=self.training
        )
        b, _, t_q, _ = out.shape
        out = out.transpose(1, 2).reshape(b, t_q, self.d_model)  # (B, T_q, h·d_k): Concat(heads)
        out = self.out_proj(out)  # (B, T_q, d_model)
        return (out, weights) if return_weights else out
# --8<-- [end:mha]
