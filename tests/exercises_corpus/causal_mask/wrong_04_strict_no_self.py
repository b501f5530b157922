"""MISTAKE: uses a strict inequality j < i, so a query cannot attend to its own position."""
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
    i = torch.arange(t_q).unsqueeze(1) + (t_k - t_q)
    j = torch.arange(t_k).unsqueeze(0)
    return j < i
