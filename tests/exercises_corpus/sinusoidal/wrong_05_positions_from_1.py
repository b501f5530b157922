"""MISTAKE: numbers the positions 1..max_len instead of 0..max_len-1."""
r"""Exercise `sinusoidal`: the sinusoidal position table (Vaswani et al., 2017, Section 3.5).

PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)).

Return a float32 tensor of shape (max_len, d_model), positions 0..max_len-1.

Check it with: paper2code exercise check sinusoidal THIS_FILE
"""

import torch


def sinusoidal_table(max_len, d_model, base=10000.0):
    import math
    pos = torch.arange(1, max_len + 1, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(base) / d_model))
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe
