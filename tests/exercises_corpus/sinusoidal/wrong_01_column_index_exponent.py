"""MISTAKE: uses the column index j in the exponent (base^(j/d_model)) for every column instead of the pair index 2i."""
r"""Exercise `sinusoidal`: the sinusoidal position table (Vaswani et al., 2017, Section 3.5).

PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)).

Return a float32 tensor of shape (max_len, d_model), positions 0..max_len-1.

Check it with: paper2code exercise check sinusoidal THIS_FILE
"""

import torch


def sinusoidal_table(max_len, d_model, base=10000.0):
    pos = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    j = torch.arange(d_model, dtype=torch.float32).unsqueeze(0)
    angle = pos / base ** (j / d_model)
    pe = torch.empty(max_len, d_model)
    pe[:, 0::2] = torch.sin(angle[:, 0::2])
    pe[:, 1::2] = torch.cos(angle[:, 1::2])
    return pe
