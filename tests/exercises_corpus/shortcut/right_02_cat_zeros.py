"""CORRECT: explicit identity branch; option A with torch.cat of a zeros block."""
r"""Exercise `shortcut`: ResNet's shortcut (He et al., 2016, Eqs. 1-2, Section 3.3).

Same shape (c_in == c_out, stride 1): identity. Otherwise, option "A": subsample
by stride (x[:, :, ::stride, ::stride]) and pad the new channels with zeros
after the input's; option "B": W_s x, a strided 1x1 convolution and BatchNorm
(self.proj, built below). Input (B, c_in, H, W), output (B, c_out, H/stride, W/stride).

Check it with: paper2code exercise check shortcut THIS_FILE
"""

import torch.nn.functional as F
from torch import nn


class Shortcut(nn.Module):
    def __init__(self, c_in, c_out, stride, option):
        super().__init__()
        self.c_out, self.stride = c_out, stride
        identity = (c_in == c_out and stride == 1) or option == "A"
        self.proj = None if identity else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
        )

    def forward(self, x):
        import torch
        if self.proj is not None:
            return self.proj(x)
        if x.shape[1] == self.c_out and self.stride == 1:
            return x
        sub = x[:, :, :: self.stride, :: self.stride]
        b, c, h, w = sub.shape
        zeros = torch.zeros(b, self.c_out - c, h, w, dtype=sub.dtype, device=sub.device)
        return torch.cat([sub, zeros], dim=1)
