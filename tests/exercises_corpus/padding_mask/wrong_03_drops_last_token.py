"""MISTAKE: compares with lengths - 1 (thinking of the last index), hiding each sequence's last real token."""
r"""Exercise `padding_mask`: hide the padded key positions.

lengths: (B,) integer lengths; t_k: the padded length.
Return a bool tensor of shape (B, 1, 1, t_k), True = may attend (a real
token), so that it broadcasts against scores of shape (B, h, T_q, T_k).

Check it with: paper2code exercise check padding_mask THIS_FILE
"""

import torch


def padding_mask(lengths, t_k):
    last = lengths - 1
    pos = torch.arange(t_k, device=lengths.device)
    return (pos[None] < last[:, None]).reshape(len(lengths), 1, 1, t_k)
