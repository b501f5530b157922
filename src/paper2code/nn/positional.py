r"""Positional encodings: sinusoidal (absolute) and rotary (relative).

Sinusoidal — Vaswani et al., 2017, <https://arxiv.org/abs/1706.03762>, Section 3.5:

$$
PE_{(pos, 2i)} = \sin\!\left(pos / 10000^{2i/d_{model}}\right), \qquad
PE_{(pos, 2i+1)} = \cos\!\left(pos / 10000^{2i/d_{model}}\right)
$$

Rotary (RoPE) — Su et al., *RoFormer*, 2021, <https://arxiv.org/abs/2104.09864>,
Section 3.2.2 (general form, Eq. 15): each pair of dimensions $(x_{2i}, x_{2i+1})$ of a query or key at
position $m$ is rotated by the angle $m\theta_i$, with
$\theta_i = 10000^{-2i/d}$ for $i = 0, \dots, d/2 - 1$ (the paper counts $i$
from 1 and writes $-2(i-1)/d$). Because rotations compose,
$\langle R_m q, R_n k\rangle = \langle q, R_{n-m} k\rangle$: the score depends
only on the offset $n - m$.

Differences from the papers: none in the math. RoPE here pairs *adjacent*
dimensions, as the paper does; many codebases (GPT-NeoX, Llama) pair dimension
$i$ with $i + d/2$ instead ("rotate half"). Both are valid, but weights trained
with one layout do not work with the other.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = [
    "RotaryEmbedding",
    "SinusoidalPositionalEncoding",
    "apply_rotary",
    "rope_angles",
    "sinusoidal_table",
]


# --8<-- [start:sinusoidal]
def sinusoidal_table(max_len: int, d_model: int, base: float = 10000.0) -> Tensor:
    """The ``(max_len, d_model)`` table of Section 3.5; even columns sin, odd cos.

    Examples:
        >>> sinusoidal_table(4, 6)[0]  # position 0: sin 0 = 0, cos 0 = 1
        tensor([0., 1., 0., 1., 0., 1.])
    """
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (T, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d/2,): 2i
    angle = pos / base ** (two_i / d_model)  # (T, d/2): pos / 10000^(2i/d_model)
    table = torch.empty(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)  # PE(pos, 2i)
    table[:, 1::2] = torch.cos(angle)  # PE(pos, 2i+1)
    return table.float()


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the sinusoid table to a ``(B, T, d_model)`` input, then dropout (Section 5.4)."""

    def __init__(self, d_model: int, max_len: int = 4096, dropout: float = 0.0):
        super().__init__()
        self.register_buffer("table", sinusoidal_table(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        t = x.size(1)
        if t > self.table.size(0):
            raise ValueError(f"sequence length {t} exceeds max_len {self.table.size(0)}")
        return self.dropout(x + self.table[:t].to(x.dtype))  # (B, T, d) + (T, d)
# --8<-- [end:sinusoidal]


# --8<-- [start:rope]
def rope_angles(positions: Tensor, head_dim: int, base: float = 10000.0) -> Tensor:
    r"""Angles $m\theta_i$, shape ``(*positions.shape, head_dim / 2)``, in float64.

    float64 on purpose: at position 4000 the angle is ~4000 rad, and float32
    (let alone bf16) loses several digits of it before the sine is taken.
    """
    if head_dim % 2:
        raise ValueError(f"head_dim must be even, got {head_dim}")
    i = torch.arange(head_dim // 2, dtype=torch.float64, device=positions.device)
    theta = base ** (-2.0 * i / head_dim)  # θ_i = 10000^(-2i/d)
    return positions.to(torch.float64)[..., None] * theta  # m·θ_i


def apply_rotary(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    r"""Rotate each adjacent pair of the last dimension of ``x`` by $m\theta_i$.

    Args:
        x: Queries or keys, ``(..., T, head_dim)``.
        positions: Integer positions ``m``, shape ``(T,)`` or broadcastable to
            ``x.shape[:-1]``.
        base: The 10000 of $\theta_i$.

    Returns:
        A tensor of ``x``'s shape and dtype.
    """
    angle = rope_angles(positions, x.size(-1), base)  # (..., T, d/2), float64
    cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]  # the pair (x_2i, x_2i+1)
    # [x_2i, x_2i+1] -> [x_2i cos - x_2i+1 sin, x_2i sin + x_2i+1 cos]   (RoFormer, Section 3.4.2)
    rotated = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1)
    return rotated.flatten(-2)  # (..., T, d/2, 2) -> (..., T, d), pairs interleaved again


class RotaryEmbedding(nn.Module):
    """RoPE for queries and keys of shape ``(B, h, T, head_dim)``.

    Call it on *both* q and k, after their projections and before the scores.
    Values are not rotated.
    """

    def __init__(self, head_dim: int, base: float = 10000.0):
        super().__init__()
        if head_dim % 2:
            raise ValueError(f"head_dim must be even, got {head_dim}")
        self.head_dim, self.base = head_dim, base

    def forward(self, q: Tensor, k: Tensor, offset: int = 0) -> tuple[Tensor, Tensor]:
        """Rotate ``q`` and ``k``; ``offset`` is the position of their first token."""
        t_q, t_k = q.size(-2), k.size(-2)
        # Queries are the last t_q positions of the t_k keys (t_q < t_k with a cache).
        pos_k = torch.arange(offset, offset + t_k, device=k.device)
        pos_q = pos_k[t_k - t_q :]
        return apply_rotary(q, pos_q, self.base), apply_rotary(k, pos_k, self.base)
# --8<-- [end:rope]

