"""MISTAKE: returns a 0/1 uint8 (byte) mask, the pre-1.2 PyTorch habit, instead of bool."""
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
    return torch.ones(t_q, t_k, dtype=torch.uint8).tril(diagonal=t_k - t_q)
