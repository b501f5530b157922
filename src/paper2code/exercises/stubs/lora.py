r"""Exercise `lora`: a LoRA layer and its merged weight (Hu et al., 2021, Section 4.1).

h = W0 x + (alpha / r) B A x, with W0 (and its bias) frozen, A (r, k), B (d, r);
alpha None means alpha = r (scale 1).
delta_weight() returns (alpha / r) B A, shape (d, k) like W0.
merged() returns a plain nn.Linear with weight W0 + delta_weight() and the base
bias: the same outputs as forward, at no extra cost.
Keep the attribute names (base, A, B): the checker loads its weights into them.

Check it with: paper2code exercise check lora THIS_FILE
"""

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha=None):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        d, k = base.out_features, base.in_features
        self.r, self.scale = r, (alpha if alpha is not None else r) / r
        self.A = nn.Parameter(torch.randn(r, k) / r)
        self.B = nn.Parameter(torch.zeros(d, r))

    def forward(self, x):
        raise NotImplementedError("write LoRALinear.forward")

    def delta_weight(self):
        raise NotImplementedError("write LoRALinear.delta_weight")

    @torch.no_grad()
    def merged(self):
        raise NotImplementedError("write LoRALinear.merged")
