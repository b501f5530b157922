"""CORRECT: one_hot(lengths) cumulative sum marks the padded tail; its complement is the mask."""
r"""Exercise `padding_mask`: hide the padded key positions.

lengths: (B,) integer lengths; t_k: the padded length.
Return a bool tensor of shape (B, 1, 1, t_k), True = may attend (a real
token), so that it broadcasts against scores of shape (B, h, T_q, T_k).

Check it with: paper2code exercise check padding_mask THIS_FILE
"""

import torch


def padding_mask(lengths, t_k):
    import torch.nn.functional as F
    tail = F.one_hot(lengths.long(), num_classes=t_k + 1).cumsum(dim=-1)[:, :t_k]  # 1 from position L on
    return (tail == 0).unsqueeze(1).unsqueeze(1)
