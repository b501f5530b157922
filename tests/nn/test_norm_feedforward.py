"""Normalisation and feed-forward blocks against PyTorch and their formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from paper2code.nn.feedforward import PositionwiseFeedForward, SwiGLU, gelu
from paper2code.nn.norm import LayerNorm, Residual, RMSNorm

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/attention_is_all_you_need.yaml")

TOL = {"rtol": 1e-10, "atol": 1e-12}  # float64


def randomise(module):
    with torch.no_grad():
        for p in module.parameters():
            p.normal_()
    return module


def test_layernorm_matches_torch():
    torch.manual_seed(0)
    ours = randomise(LayerNorm(12)).double()
    ref = torch.nn.LayerNorm(12, eps=1e-5, dtype=torch.float64)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(3, 5, 12, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    torch.testing.assert_close(ours(x), ref(x_ref), **TOL)
    ours(x).pow(2).sum().backward()
    ref(x_ref).pow(2).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, **TOL)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad, **TOL)


def test_layernorm_comparison_catches_unbiased_variance():
    x = torch.randn(4, 12, dtype=torch.float64)
    ref = F.layer_norm(x, (12,), eps=1e-5)
    mu = x.mean(-1, keepdim=True)
    wrong = (x - mu) / torch.sqrt(x.var(-1, keepdim=True, unbiased=True) + 1e-5)
    assert not torch.allclose(wrong, ref, **TOL)


def test_rmsnorm_matches_torch():
    torch.manual_seed(0)
    ours = randomise(RMSNorm(12, eps=1e-6)).double()
    ref = torch.nn.RMSNorm(12, eps=1e-6, dtype=torch.float64)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(3, 5, 12, dtype=torch.float64)
    torch.testing.assert_close(ours(x), ref(x), **TOL)


def test_rmsnorm_does_not_recentre():
    x = torch.full((1, 8), 3.0, dtype=torch.float64)
    torch.testing.assert_close(RMSNorm(8, eps=0.0).double()(x), torch.ones_like(x), **TOL)
    torch.testing.assert_close(LayerNorm(8, eps=0.0).double()(x + torch.arange(8.0)).mean(), torch.tensor(0.0, dtype=torch.float64), **TOL)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch(approximate):
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    torch.testing.assert_close(gelu(x, approximate), F.gelu(x, approximate=approximate), **TOL)


@pytest.mark.paper("eq-2")
def test_ffn_is_equation_2():
    torch.manual_seed(0)
    ffn = PositionwiseFeedForward(8, 32).double()
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    W1, b1, W2, b2 = ffn.linear1.weight.T, ffn.linear1.bias, ffn.linear2.weight.T, ffn.linear2.bias
    expected = torch.clamp(x @ W1 + b1, min=0) @ W2 + b2  # max(0, xW1 + b1)W2 + b2
    torch.testing.assert_close(ffn(x), expected, **TOL)


def test_ffn_is_position_wise():
    ffn = PositionwiseFeedForward(8, 32).double()
    x = torch.randn(1, 5, 8, dtype=torch.float64)
    torch.testing.assert_close(ffn(x)[:, 2], ffn(x[:, 2:3])[:, 0], **TOL)


def test_swiglu_matches_its_formula():
    torch.manual_seed(0)
    block = SwiGLU(8, 16).double()
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    W, V, W2 = block.gate_proj.weight.T, block.up_proj.weight.T, block.down_proj.weight.T
    torch.testing.assert_close(block(x), (F.silu(x @ W) * (x @ V)) @ W2, **TOL)


@pytest.mark.paper("sec-3.1-post-norm")
def test_residual_post_and_pre_norm():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    f = torch.nn.Linear(8, 8).double()
    post, pre = Residual(8).double(), Residual(8, norm_first=True).double()
    torch.testing.assert_close(post(x, f), post.norm(x + f(x)), **TOL)
    torch.testing.assert_close(pre(x, f), x + f(pre.norm(x)), **TOL)


def test_gradcheck_layernorm_and_rmsnorm():
    x = torch.randn(2, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(LayerNorm(6).double(), (x,))
    assert torch.autograd.gradcheck(RMSNorm(6).double(), (x,))


def test_gelu_tanh_is_close_to_exact():
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    assert (gelu(x, "tanh") - gelu(x)).abs().max().item() < 1e-3
    assert gelu(torch.tensor(1.0, dtype=torch.float64)).item() == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))))
