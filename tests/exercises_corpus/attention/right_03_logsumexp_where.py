"""CORRECT: log-sum-exp normalisation with torch.where guards for all-masked rows."""
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
    d_k = q.shape[-1]
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / d_k ** 0.5)
    if mask is None:
        weights = torch.exp(scores - torch.logsumexp(scores, dim=-1, keepdim=True))
    else:
        m = mask.expand_as(scores) if mask.dim() == scores.dim() else torch.broadcast_to(mask, scores.shape)
        neg = torch.finfo(scores.dtype).min
        s = torch.where(m, scores, torch.full_like(scores, neg))
        lse = torch.logsumexp(s, dim=-1, keepdim=True)
        w = torch.exp(s - lse)
        any_key = m.any(dim=-1, keepdim=True)
        weights = torch.where(m & any_key, w, torch.zeros_like(w))
    return torch.matmul(weights, v), weights
