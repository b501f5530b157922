"""CORRECT: einsum scores, finite fill value, hand-written max-subtracted softmax, weights multiplied by the mask."""
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
    import math
    scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        m = torch.broadcast_to(mask, scores.shape)
        scores = torch.where(m, scores, torch.full_like(scores, torch.finfo(scores.dtype).min))
    z = scores - scores.amax(dim=-1, keepdim=True).detach()
    e = torch.exp(z)
    if mask is not None:
        e = e * m.to(e.dtype)
    denom = e.sum(dim=-1, keepdim=True)
    weights = e / torch.where(denom > 0, denom, torch.ones_like(denom))
    out = torch.einsum("...qk,...kd->...qd", weights, v)
    return out, weights
