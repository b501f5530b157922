"""CORRECT: double Python loop with math.sin/math.cos, then a float32 tensor."""
r"""Exercise `sinusoidal`: the sinusoidal position table (Vaswani et al., 2017, Section 3.5).

PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)).

Return a float32 tensor of shape (max_len, d_model), positions 0..max_len-1.

Check it with: paper2code exercise check sinusoidal THIS_FILE
"""

import torch


def sinusoidal_table(max_len, d_model, base=10000.0):
    import math
    rows = []
    for pos in range(max_len):
        row = []
        for col in range(d_model):
            two_i = col - (col % 2)
            angle = pos / (base ** (two_i / d_model))
            row.append(math.sin(angle) if col % 2 == 0 else math.cos(angle))
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32).reshape(max_len, d_model)
