r"""Exercise `attention`: scaled dot-product attention with a mask.

Vaswani et al., 2017, Eq. (1): Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V.

Shapes: q (..., T_q, d_k), k (..., T_k, d_k), v (..., T_k, d_v).
mask: boolean, broadcastable to (..., T_q, T_k); True = may attend.
A query whose keys are all masked gets zero weights and a zero output (not NaN).
Return (output (..., T_q, d_v), weights (..., T_q, T_k)).

What the checks hold you to: any number of leading batch dims (a mask may differ per
batch element); d_v may differ from d_k; float64 inputs are computed in float64 (float32
arithmetic inside is refused); masked keys get exactly zero weight even when their scores
are the largest; gradients flow to q, k and v; q, k, v and mask are not modified.

Check it with: paper2code exercise check attention THIS_FILE
"""

import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    raise NotImplementedError("write scaled_dot_product_attention")
