"""MISTAKE: concatenates all sines then all cosines ([sin | cos], tensor2tensor layout) instead of interleaving them."""
r"""Exercise `sinusoidal`: the sinusoidal position table (Vaswani et al., 2017, Section 3.5).

PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)).

Return a float32 tensor of shape (max_len, d_model), positions 0..max_len-1.

Check it with: paper2code exercise check sinusoidal THIS_FILE
"""

import torch


def sinusoidal_table(max_len, d_model, base=10000.0):
    half = d_model // 2
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    inv = base ** (-torch.arange(half, dtype=torch.float32) * 2 / d_model)
    angle = pos * inv[None, :]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)
