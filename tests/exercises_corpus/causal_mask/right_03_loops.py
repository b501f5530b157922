"""CORRECT: explicit Python loops over queries filling a zeros tensor."""
r"""Exercise `causal_mask`: the causal (look-ahead) mask.

Return a bool tensor of shape (t_q, t_k), True = may attend: query i sees keys
0..i. With t_k > t_q (keys cached before the queries), the queries are the
last t_q positions: query i sees keys 0..i + t_k - t_q. t_k defaults to t_q.

Check it with: paper2code exercise check causal_mask THIS_FILE
"""

import torch


def causal_mask(t_q, t_k=None):
    if t_k is None:
        t_k = t_q
    mask = torch.zeros((t_q, t_k), dtype=torch.bool)
    for i in range(t_q):
        last = i + t_k - t_q
        for j in range(t_k):
            if j <= last:
                mask[i, j] = True
    return mask
