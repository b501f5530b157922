"""first_nonfinite finds where a NaN is born; saved_tensor_bytes measures checkpointing."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from paper2code.numerics import first_nonfinite, saved_tensor_bytes


class NaiveSoftmax(nn.Module):
    def forward(self, s):
        e = s.exp()  # overflows in float16 above s ≈ 11.1
        return e / e.sum(-1, keepdim=True)


class StableSoftmax(nn.Module):
    def forward(self, s):
        return torch.softmax(s, dim=-1)


def model(softmax):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), softmax, nn.Linear(8, 2))
    with torch.no_grad():
        m[0].weight.mul_(40)  # large scores
    return m


def test_names_the_module_that_creates_the_nan_in_float16():
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    found = first_nonfinite(model(NaiveSoftmax()).half(), x.half())
    assert (found.name, found.module, found.dtype) == ("1", "NaiveSoftmax", torch.float16)
    assert first_nonfinite(model(NaiveSoftmax()), x) is None  # float32: finite
    assert first_nonfinite(model(StableSoftmax()).half(), x.half()) is None


def test_a_module_fed_a_nan_is_not_blamed():
    m = nn.Sequential(nn.Identity(), nn.Linear(2, 2))
    assert first_nonfinite(m, torch.tensor([[float("nan"), 1.0]])) is None


def blocks():
    torch.manual_seed(0)
    return nn.ModuleList(nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 16)) for _ in range(3))


def test_checkpointing_saves_only_block_inputs_and_keeps_gradients():
    net, x = blocks(), torch.randn(8, 16, requires_grad=True)

    def run(x, ckpt):
        for b in net:
            x = x + (checkpoint(b, x, use_reentrant=False) if ckpt else b(x))
        return x.pow(2).mean()

    plain = saved_tensor_bytes(run, x, False, exclude=net.parameters())
    saved = saved_tensor_bytes(run, x, True, exclude=net.parameters())
    f32 = 4
    # per block: its input (8×16), the pre-GELU and GELU outputs (8×64 each); then pow's input
    assert plain == f32 * (3 * (8 * 16 + 2 * 8 * 64) + 8 * 16)
    assert saved == f32 * (3 * 8 * 16 + 8 * 16)
    grads = [torch.autograd.grad(run(x, c), [x, *net.parameters()]) for c in (False, True)]
    assert all(torch.equal(a, b) for a, b in zip(*grads, strict=True))
