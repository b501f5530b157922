r"""Residual networks and their plain counterparts, from scratch.

Paper: He, Zhang, Ren & Sun, *Deep Residual Learning for Image Recognition*,
2015, <https://arxiv.org/abs/1512.03385>.

* Eq. (1), the building block with an identity shortcut:
  $y = \mathcal{F}(x, \{W_i\}) + x$, then the ReLU $\sigma(y)$ after the
  addition (Section 3.2, Fig. 2).
* Eq. (2), a projection shortcut where the dimensions change:
  $y = \mathcal{F}(x, \{W_i\}) + W_s x$, $W_s$ a 1×1 convolution (option B,
  Section 3.3); or option A, the identity with zero-padded channels.
* The basic block (two 3×3) and the bottleneck block (1×1, 3×3, 1×1, with
  4× expansion), Fig. 5; the ImageNet stages of Table 1; the CIFAR-10 layout
  of Section 4.2 (one 3×3 conv, then 3 stages of $2n$ layers).
* BatchNorm right after each convolution and before the activation
  (Section 3.4). A *plain* net is the same stack with no shortcuts.

Differences from the paper: in the bottleneck block the stride-2 of
``conv3_1``, ``conv4_1``, ``conv5_1`` goes on the 3×3 convolution by default,
as torchvision's "ResNet v1.5" does; the released Caffe model of the paper
puts it on the first 1×1 (``stride_on="1x1"``). The parameter count is the
same; the multiply-adds are not (see the case study).
Initialisation: He et al. 2015 (the paper's [13]), fan-out, as torchvision.

Dimension legend: B batch, C channels, H×W the feature map.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "ResNetConfig",
    "cifar_resnet",
    "resnet18",
    "resnet34",
    "resnet50",
]


# --8<-- [start:config]
@dataclass(frozen=True)
class ResNetConfig:
    """The architecture: Table 1 (ImageNet) or Section 4.2 (CIFAR-10)."""

    block: str = "basic"  # "basic": two 3×3; "bottleneck": 1×1, 3×3, 1×1
    layers: tuple[int, ...] = (2, 2, 2, 2)  # blocks per stage
    widths: tuple[int, ...] = (64, 128, 256, 512)  # 3×3 filters per stage
    stem: str = "imagenet"  # 7×7/2 conv + 3×3/2 max pool; "cifar": 3×3 conv
    in_channels: int = 3
    num_classes: int = 1000
    residual: bool = True  # False: the plain net (no shortcuts)
    shortcut: str = "B"  # when dims change: "A" zero-pad, "B" projection
    stride_on: str = "3x3"  # bottleneck stride: "3x3" (v1.5) or "1x1" (Caffe)
# --8<-- [end:config]


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    """A k×k convolution (no bias: BN follows) and its BatchNorm."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(c_out),
    )


# --8<-- [start:shortcut]
class Shortcut(nn.Module):
    """The shortcut of Eq. (1) or (2); ``None`` as ``proj`` means identity.

    Option A pads the new channels with zeros and subsamples by ``stride``;
    option B is $W_s$ of Eq. (2): a strided 1×1 convolution and its BN.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, option: str):
        super().__init__()
        self.c_out, self.stride = c_out, stride
        same = c_in == c_out and stride == 1
        identity = same or option == "A"
        self.proj = None if identity else conv_bn(c_in, c_out, 1, stride)

    def forward(self, x: Tensor) -> Tensor:
        if self.proj is not None:
            return self.proj(x)  # W_s x   (Eq. 2)
        x = x[:, :, :: self.stride, :: self.stride]  # (B, C_in, H/s, W/s)
        return F.pad(x, (0, 0, 0, 0, 0, self.c_out - x.shape[1]))  # zeros
# --8<-- [end:shortcut]


# --8<-- [start:blocks]
class BasicBlock(nn.Module):
    r"""Two 3×3 convolutions (Fig. 5, left).

    The residual function is $\mathcal{F} = W_2 \sigma(W_1 x)$ (Section 3.2).
    """

    expansion = 1

    def __init__(self, c_in, width, stride, cfg: ResNetConfig):
        super().__init__()
        self.conv_a = conv_bn(c_in, width, 3, stride)  # strided if downsampling
        self.conv_b = conv_bn(width, width, 3)
        self.shortcut = None  # plain net
        if cfg.residual:
            self.shortcut = Shortcut(c_in, width, stride, cfg.shortcut)

    def residual_fn(self, x: Tensor) -> Tensor:
        return self.conv_b(F.relu(self.conv_a(x)))  # F(x, {W_i})

    def forward(self, x: Tensor) -> Tensor:
        if self.shortcut is None:  # plain net: y = F(x)
            return F.relu(self.residual_fn(x))
        # y = F(x, {W_i}) + x (Eq. 1) or + W_s x (Eq. 2); σ after the addition
        return F.relu(self.residual_fn(x) + self.shortcut(x))


class Bottleneck(BasicBlock):
    """1×1 (reduce), 3×3, 1×1 (expand ×4) (Fig. 5, right)."""

    expansion = 4

    def __init__(self, c_in, width, stride, cfg: ResNetConfig):
        nn.Module.__init__(self)
        c_out = 4 * width
        s1, s3 = (stride, 1) if cfg.stride_on == "1x1" else (1, stride)
        self.conv_a = conv_bn(c_in, width, 1, s1)  # 1×1 reduce
        self.conv_b = conv_bn(width, width, 3, s3)  # 3×3
        self.conv_c = conv_bn(width, c_out, 1)  # 1×1 expand
        self.shortcut = None  # plain net
        if cfg.residual:
            self.shortcut = Shortcut(c_in, c_out, stride, cfg.shortcut)

    def residual_fn(self, x: Tensor) -> Tensor:
        h = F.relu(self.conv_b(F.relu(self.conv_a(x))))
        return self.conv_c(h)  # F(x, {W_i}), three layers
# --8<-- [end:blocks]


# --8<-- [start:resnet]
class ResNet(nn.Module):
    """Stem, stages ``conv2_x`` … (named as in Table 1), pool, fc."""

    def __init__(self, cfg: ResNetConfig):
        super().__init__()
        self.cfg = cfg
        block = Bottleneck if cfg.block == "bottleneck" else BasicBlock
        if cfg.stem == "imagenet":  # conv1: 7×7, 64, stride 2; max pool
            self.stem = conv_bn(cfg.in_channels, cfg.widths[0], 7, 2)
            self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        else:  # Section 4.2: "The first layer is 3×3 convolutions"
            self.stem = conv_bn(cfg.in_channels, cfg.widths[0], 3)
            self.pool = nn.Identity()
        c_in, stages = cfg.widths[0], {}
        for i, (n, width) in enumerate(zip(cfg.layers, cfg.widths,
                                           strict=True)):
            blocks = []
            for j in range(n):  # downsample in the first block of stages 2+
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(block(c_in, width, stride, cfg))
                c_in = width * block.expansion
            stages[f"conv{i + 2}_x"] = nn.Sequential(*blocks)
        self.stages = nn.ModuleDict(stages)
        self.fc = nn.Linear(c_in, cfg.num_classes)
        for m in self.modules():  # He init [13], fan-out; BN: γ = 1, β = 0
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out",
                                        nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        h = self.pool(F.relu(self.stem(x)))  # (B, C_1, H/4, W/4) on ImageNet
        for stage in self.stages.values():
            h = stage(h)  # each stage after the first halves H and W
        h = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)  # (B, C): global pool
        return self.fc(h)  # (B, num_classes)
# --8<-- [end:resnet]


# --8<-- [start:factories]
def resnet18(**kw) -> ResNet:
    """ResNet-18 of Table 1: basic blocks, [2, 2, 2, 2]."""
    return ResNet(ResNetConfig(block="basic", layers=(2, 2, 2, 2), **kw))


def resnet34(**kw) -> ResNet:
    """ResNet-34 of Table 1: basic blocks, [3, 4, 6, 3]."""
    return ResNet(ResNetConfig(block="basic", layers=(3, 4, 6, 3), **kw))


def resnet50(**kw) -> ResNet:
    """ResNet-50 of Table 1: bottleneck blocks, [3, 4, 6, 3]."""
    return ResNet(ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3), **kw))


def cifar_resnet(n: int, width: int = 16, **kw) -> ResNet:
    """The 6n+2-layer CIFAR-10 net of Section 4.2: widths {w, 2w, 4w}.

    The paper uses option A shortcuts there, so residual and plain nets have
    the same parameters; that is the default here too.
    """
    kw = {"shortcut": "A", "num_classes": 10, **kw}
    return ResNet(ResNetConfig(block="basic", layers=(n, n, n),
                               widths=(width, 2 * width, 4 * width),
                               stem="cifar", **kw))
# --8<-- [end:factories]
