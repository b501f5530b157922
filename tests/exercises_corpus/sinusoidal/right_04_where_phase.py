"""CORRECT: one angle per column (pair index from col // 2) and torch.where to choose sin or cos."""
r"""Exercise `sinusoidal`: the sinusoidal position table (Vaswani et al., 2017, Section 3.5).

PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)).

Return a float32 tensor of shape (max_len, d_model), positions 0..max_len-1.

Check it with: paper2code exercise check sinusoidal THIS_FILE
"""

import torch


def sinusoidal_table(max_len, d_model, base=10000.0):
    col = torch.arange(d_model)
    pair = torch.div(col, 2, rounding_mode="floor").to(torch.float64)
    angle = torch.arange(max_len, dtype=torch.float64)[:, None] / torch.pow(torch.tensor(base, dtype=torch.float64), 2 * pair / d_model)
    pe = torch.where((col % 2 == 0)[None, :], torch.sin(angle), torch.cos(angle))
    return pe.to(dtype=torch.float32)
