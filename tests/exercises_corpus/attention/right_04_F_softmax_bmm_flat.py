"""CORRECT: flattens the batch dims and uses torch.baddbmm/bmm plus F.softmax, reshaping back at the end."""
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
    import torch.nn.functional as F
    *bq, t_q, d_k = q.shape
    *bk, t_k, _ = k.shape
    d_v = v.shape[-1]
    batch = torch.broadcast_shapes(tuple(bq), tuple(bk), tuple(v.shape[:-2]))
    qf = q.expand(*batch, t_q, d_k).reshape(-1, t_q, d_k)
    kf = k.expand(*batch, t_k, d_k).reshape(-1, t_k, d_k)
    vf = v.expand(*batch, t_k, d_v).reshape(-1, t_k, d_v)
    scores = torch.bmm(qf, kf.transpose(1, 2)) / d_k ** 0.5
    scores = scores.reshape(*batch, t_q, t_k)
    if mask is not None:
        keep = torch.broadcast_to(mask, scores.shape)
        scores = scores.masked_fill(~keep, torch.finfo(scores.dtype).min)
    weights = F.softmax(scores, dim=-1)
    if mask is not None:
        weights = weights * keep
    out = torch.bmm(weights.reshape(-1, t_q, t_k), vf).reshape(*batch, t_q, d_v)
    return out, weights
