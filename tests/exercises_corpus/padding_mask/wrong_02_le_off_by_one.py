"""MISTAKE: uses <= lengths, so each sequence also attends to its first padded position."""
r"""Exercise `padding_mask`: hide the padded key positions.

lengths: (B,) integer lengths; t_k: the padded length.
Return a bool tensor of shape (B, 1, 1, t_k), True = may attend (a real
token), so that it broadcasts against scores of shape (B, h, T_q, T_k).

Check it with: paper2code exercise check padding_mask THIS_FILE
"""

import torch


def padding_mask(lengths, t_k):
    pos = torch.arange(t_k, device=lengths.device)
    return (pos.unsqueeze(0) <= lengths.unsqueeze(1))[:, None, None, :]
