"""Exercises from the ResNet case study: the shortcut and the basic block."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from paper2code.exercises.common import build, gen, randn
from paper2code.exercises.engine import Bug, Case, Spec, as_tensors
from paper2code.models.resnet import BasicBlock, ResNetConfig, Shortcut

RESNET = "Deep Residual Learning § The implementation"


# --- ResNet: the shortcut and the basic block ----------------------------------------------------


def _run_module(reference_cls):
    def run(impl, c: Case) -> list[Tensor]:
        *args, x = c.args
        module = build(impl, reference_cls, *args).eval()  # BN uses its (loaded) running statistics
        return as_tensors(module(x))

    return run


def _shortcut_cases() -> list[Case]:
    g = gen(14)
    x = randn(g, 2, 4, 6, 6)
    return [Case("same shape: identity", (4, 4, 1, "A", x)), Case("option A, 4 -> 8 channels, stride 2", (4, 8, 2, "A", x)),
            Case("option B, 4 -> 8 channels, stride 2", (4, 8, 2, "B", x)), Case("option B, same shape", (4, 4, 1, "B", x)),
            Case("option A, 1 x 1 input", (4, 8, 2, "A", x[:, :, :1, :1])),
            Case("option A, 3 -> 7 channels, stride 3", (3, 7, 3, "A", x[:, :3])),
            Case("option A, 4 -> 6 channels, stride 1", (4, 6, 1, "A", x)),
            Case("option B, 4 -> 6 channels, stride 3", (4, 6, 3, "B", x))]


def _shortcut(step=True, zeros_last=True, offset=0, symmetric=False, pad_by_c_in=False, stride2=False):
    class Buggy(Shortcut):
        def forward(self, x):
            if self.proj is not None:
                return self.proj(x)
            if x.shape[1] == self.c_out and self.stride == 1:
                return x
            s = 2 if stride2 else self.stride
            x = x[:, :, offset::s, offset::s] if step else x
            extra = x.shape[1] if pad_by_c_in else self.c_out - x.shape[1]
            if symmetric:
                return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))
            return F.pad(x, (0, 0, 0, 0, 0, extra) if zeros_last else (0, 0, 0, 0, extra, 0))

    return Buggy


def _shortcut_hints(case, got, want, diff) -> list[str]:
    c_in, c_out, stride, option, x = case.args
    g, w = got[0], want[0]
    if option == "B" and (c_in != c_out or stride != 1):
        return ["option B is W_s x = self.proj(x): the strided 1x1 convolution and its BatchNorm, both"]
    if g.shape != w.shape:
        if g.dim() == 4 and g.shape[2] != g.shape[3] and w.shape[2] == w.shape[3]:
            return ["height and width differ: subsample both, x[:, :, ::stride, ::stride]"]
        return []
    if g.dtype == w.dtype and torch.equal(g[:, c_in:], w[:, c_in:]) and not torch.allclose(g[:, :c_in], w[:, :c_in]):
        return ["the zero channels are right and the input's channels are not: option A keeps "
                "x[:, :, ::stride, ::stride] as it is (every stride-th pixel from 0; no pooling, no offset)"]
    return []


SHORTCUT = Spec(
    name="shortcut",
    reference=Shortcut,
    cases=_shortcut_cases,
    run=_run_module(Shortcut),
    bugs=(
        Bug("option A does not subsample: the stride is ignored", RESNET, _shortcut(step=False)),
        Bug("option A puts the zero channels first, before the input's", RESNET, _shortcut(zeros_last=False)),
        Bug("option A subsamples from pixel 1 (x[..., 1::2, 1::2]); the strided conv reads pixels 0, 2, ...",
            RESNET, _shortcut(offset=1)),
        Bug("option A pads half the zero channels before and half after (the CIFAR 'LambdaLayer'); "
            "the paper's option A appends them", RESNET, _shortcut(symmetric=True)),
        Bug("option A pads c_in zero channels (assumes c_out = 2 c_in) instead of c_out - c_in", RESNET,
            _shortcut(pad_by_c_in=True)),
        Bug("option A subsamples with stride 2 whatever self.stride is", RESNET, _shortcut(stride2=True)),
    ),
    outputs=("out",),
    diagnose=_shortcut_hints,
    inputs=("c_in", "c_out", "stride", "option", "x"),
)


def _block_cases() -> list[Case]:
    g = gen(15)
    x = randn(g, 2, 4, 6, 6)
    return [Case("4 -> 4, stride 1", (4, 4, 1, ResNetConfig(), x)),
            Case("4 -> 8, stride 2, option A", (4, 8, 2, ResNetConfig(shortcut="A"), x)),
            Case("4 -> 8, stride 2, option B", (4, 8, 2, ResNetConfig(shortcut="B"), x)),
            Case("plain block (residual=False)", (4, 4, 1, ResNetConfig(residual=False), x))]


def _block(relu_before_add=False, relu_after=True, double_relu=False):
    class Buggy(BasicBlock):
        def forward(self, x):
            f = self.residual_fn(x)
            if double_relu or relu_before_add:
                f = F.relu(f)
            if self.shortcut is None:
                return F.relu(f)
            y = f + self.shortcut(x)
            return y if relu_before_add or not relu_after else F.relu(y)

    return Buggy


BASIC_BLOCK = Spec(
    name="basic_block",
    reference=BasicBlock,
    cases=_block_cases,
    run=_run_module(BasicBlock),
    bugs=(
        Bug("ReLU before the addition and none after: relu(F(x)) + x", RESNET, _block(relu_before_add=True)),
        Bug("no ReLU after the addition: F(x) + x", RESNET, _block(relu_after=False)),
        Bug("a ReLU on F(x) as well as after the addition", RESNET, _block(double_relu=True)),
    ),
)

SPECS = (SHORTCUT, BASIC_BLOCK)
