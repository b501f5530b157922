"""CORRECT: matmul + masked_fill(-inf) + softmax, then masked_fill(0) which also clears fully masked (NaN) rows."""
r"""Exercise `attention`: scaled dot-product attention with a mask.

Vaswani et al., 2017, Eq. (1): Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V.

Shapes: q (..., T_q, d_k), k (..., T_k, d_k), v (..., T_k, d_v).
mask: boolean, broadcastable to (..., T_q, T_k); True = may attend.
A query whose keys are all masked gets zero weights and a zero output (not NaN).
Return (output (..., T_q, d_v), weights (..., T_q, T_k)).

Check it with: paper2code exercise check attention THIS_FILE
"""

import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / (q.size(-1) ** 0.5)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights
