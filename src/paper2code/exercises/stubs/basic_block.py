r"""Exercise `basic_block`: ResNet's basic block (He et al., 2016, Fig. 5 left, Eq. 1).

F(x) = BN(conv3x3(ReLU(BN(conv3x3(x)))))  (self.residual_fn)
y = ReLU(F(x) + shortcut(x)); a plain block (cfg.residual False) has no shortcut: y = ReLU(F(x)).

Input (B, c_in, H, W), output (B, width, H/stride, W/stride).

Check it with: paper2code exercise check basic_block THIS_FILE
"""

import torch.nn.functional as F
from torch import nn

from paper2code.models.resnet import Shortcut, conv_bn


class BasicBlock(nn.Module):
    def __init__(self, c_in, width, stride, cfg):
        super().__init__()
        self.conv_a = conv_bn(c_in, width, 3, stride)
        self.conv_b = conv_bn(width, width, 3)
        self.shortcut = Shortcut(c_in, width, stride, cfg.shortcut) if cfg.residual else None

    def residual_fn(self, x):
        return self.conv_b(F.relu(self.conv_a(x)))

    def forward(self, x):
        raise NotImplementedError("write BasicBlock.forward")
