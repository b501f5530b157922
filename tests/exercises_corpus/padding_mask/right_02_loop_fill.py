"""CORRECT: zeros mask filled by a Python loop over the batch."""
r"""Exercise `padding_mask`: hide the padded key positions.

lengths: (B,) integer lengths; t_k: the padded length.
Return a bool tensor of shape (B, 1, 1, t_k), True = may attend (a real
token), so that it broadcasts against scores of shape (B, h, T_q, T_k).

Check it with: paper2code exercise check padding_mask THIS_FILE
"""

import torch


def padding_mask(lengths, t_k):
    B = lengths.shape[0]
    mask = torch.zeros(B, 1, 1, t_k, dtype=torch.bool, device=lengths.device)
    for b in range(B):
        mask[b, 0, 0, : int(lengths[b])] = True
    return mask
