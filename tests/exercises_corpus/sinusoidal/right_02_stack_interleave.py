"""CORRECT: torch.stack([sin, cos], -1).flatten(-2) to interleave, trimmed to d_model."""
r"""Exercise `sinusoidal`: the sinusoidal position table (Vaswani et al., 2017, Section 3.5).

PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)).

Return a float32 tensor of shape (max_len, d_model), positions 0..max_len-1.

Check it with: paper2code exercise check sinusoidal THIS_FILE
"""

import torch


def sinusoidal_table(max_len, d_model, base=10000.0):
    n_pairs = (d_model + 1) // 2
    i = torch.arange(n_pairs, dtype=torch.float64)
    angle = torch.outer(torch.arange(max_len, dtype=torch.float64), base ** (-2.0 * i / d_model))
    pe = torch.stack((angle.sin(), angle.cos()), dim=-1).flatten(start_dim=-2)
    return pe[:, :d_model].float()
