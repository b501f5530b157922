"""CORRECT: expand lengths over the key axis and compare with torch.gt."""
r"""Exercise `padding_mask`: hide the padded key positions.

lengths: (B,) integer lengths; t_k: the padded length.
Return a bool tensor of shape (B, 1, 1, t_k), True = may attend (a real
token), so that it broadcasts against scores of shape (B, h, T_q, T_k).

Check it with: paper2code exercise check padding_mask THIS_FILE
"""

import torch


def padding_mask(lengths, t_k):
    B = lengths.numel()
    L = lengths.reshape(B, 1, 1, 1).expand(B, 1, 1, t_k)
    pos = torch.arange(t_k, device=lengths.device).reshape(1, 1, 1, t_k)
    return torch.gt(L, pos)
