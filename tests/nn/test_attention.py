"""Attention against PyTorch's own, and the properties a mask must have."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from paper2code.diagnostics.reference import assert_matches_reference
from paper2code.nn.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/attention_is_all_you_need.yaml")

# float64 throughout: the reference and ours then agree to ~1e-12, so a real
# bug cannot hide inside the tolerance.
TOL = {"rtol": 1e-10, "atol": 1e-12}


def qkv(b=2, h=3, t_q=5, t_k=7, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, h, t, d, generator=g, dtype=torch.float64) for t in (t_q, t_k, t_k)]


def masks(b=2, t_q=5, t_k=7):
    g = torch.Generator().manual_seed(1)
    random = torch.rand(b, 1, t_q, t_k, generator=g) > 0.3
    random[..., 0] = True  # no fully masked rows: the reference gives NaN there
    return {
        "none": None,
        "causal": causal_mask(t_q, t_k),
        "padding": padding_mask(torch.tensor([4, 7]), t_k),
        "random": random,
    }


def compare_with_torch_sdpa(sdpa, mask_name):
    q, k, v = qkv()
    mask = masks()[mask_name]
    ours, _ = sdpa(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # bool: True = attend
    torch.testing.assert_close(ours, ref, **TOL)


@pytest.mark.paper("eq-1")
@pytest.mark.parametrize("mask_name", ["none", "causal", "padding", "random"])
def test_sdpa_matches_torch(mask_name):
    compare_with_torch_sdpa(scaled_dot_product_attention, mask_name)


@pytest.mark.paper("eq-1")
def test_sdpa_comparison_catches_a_wrong_scale():
    # The classic slip: dividing the scores by d_k instead of sqrt(d_k).
    def wrong_scale(q, k, v, mask):
        return scaled_dot_product_attention(q / math.sqrt(q.size(-1)), k, v, mask)

    with pytest.raises(AssertionError):
        compare_with_torch_sdpa(wrong_scale, "none")


def test_sdpa_gradcheck():
    q, k, v = (x[:1, :1, :3, :4].clone().requires_grad_() for x in qkv())
    mask = causal_mask(3, 3)
    assert torch.autograd.gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v, mask)[0], (q, k, v))


def test_fully_masked_row_gives_zeros_not_nan():
    q, k, v = (x.clone().requires_grad_() for x in qkv())
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[2] = False  # query 2 may attend to nothing
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert not out.isnan().any() and not weights.isnan().any()
    assert torch.equal(out[:, :, 2], torch.zeros_like(out[:, :, 2]))
    out.sum().backward()
    assert all(not t.grad.isnan().any() for t in (q, k, v))


def test_dropout_only_in_training():
    q, k, v = qkv()
    a, _ = scaled_dot_product_attention(q, k, v, dropout_p=0.5, training=False)
    b, _ = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(a, b, **TOL)
    c, _ = scaled_dot_product_attention(q, k, v, dropout_p=0.5, training=True)
    assert not torch.allclose(c, b)


# --- multi-head attention against torch.nn.MultiheadAttention ------------------------

D, H = 16, 4


def mha_name_map(d=D):
    """Our four projections <- the reference's fused in_proj and out_proj."""
    return {
        "q_proj.weight": lambda s: s["in_proj_weight"][:d],
        "k_proj.weight": lambda s: s["in_proj_weight"][d : 2 * d],
        "v_proj.weight": lambda s: s["in_proj_weight"][2 * d :],
        "q_proj.bias": lambda s: s["in_proj_bias"][:d],
        "k_proj.bias": lambda s: s["in_proj_bias"][d : 2 * d],
        "v_proj.bias": lambda s: s["in_proj_bias"][2 * d :],
        "out_proj.weight": "out_proj.weight",
        "out_proj.bias": "out_proj.bias",
    }


def compare_with_torch_mha(ours, t_q=5, t_k=5, mask=None):
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
    torch.nn.init.normal_(ref.in_proj_bias)  # non-zero biases, so a bias mix-up shows
    g = torch.Generator().manual_seed(2)
    query = torch.randn(2, t_q, D, generator=g, dtype=torch.float64)
    memory = torch.randn(2, t_k, D, generator=g, dtype=torch.float64)
    attn_mask = None if mask is None else ~mask  # PyTorch: True = blocked
    assert_matches_reference(
        ours.double(),
        ref,
        [query, memory],
        mha_name_map(),
        call_ours=lambda q, m: ours(q, m, m, mask),
        call_reference=lambda q, m: ref(q, m, m, attn_mask=attn_mask, need_weights=False)[0],
        **TOL,
    )


@pytest.mark.paper("sec-3.2.2-multi-head")
def test_mha_self_attention_matches_torch_forward_and_gradients():
    compare_with_torch_mha(MultiHeadAttention(D, H))


def test_mha_causal_self_attention_matches_torch():
    compare_with_torch_mha(MultiHeadAttention(D, H), mask=causal_mask(5))


@pytest.mark.paper("sec-3.2.2-multi-head")
def test_mha_cross_attention_matches_torch():
    compare_with_torch_mha(MultiHeadAttention(D, H), t_q=3, t_k=6)


def test_mha_comparison_catches_a_wrong_head_split():
    class WrongSplit(MultiHeadAttention):
        def _split_heads(self, x):
            b, t, _ = x.shape
            return x.view(b, self.n_heads, t, self.d_k)  # reshaped, not transposed

    # nn.MultiheadAttention applies its weights with F.linear, not by calling
    # its submodules, so no reference layer can be compared on the way.
    with pytest.raises(AssertionError, match="outputs differ"):
        compare_with_torch_mha(WrongSplit(D, H))


@pytest.mark.paper("sec-3.2.3-causal")
def test_causal_mask_does_not_leak():
    torch.manual_seed(0)
    mha = MultiHeadAttention(D, H).double()
    t = 6
    x = torch.randn(1, t, D, dtype=torch.float64, requires_grad=True)
    leaky = torch.ones(t, t, dtype=torch.bool).tril(diagonal=1)  # sees one token ahead
    for mask, leaks in ((causal_mask(t), False), (leaky, True)):
        jac = torch.autograd.functional.jacobian(lambda x, mask=mask: mha(x, x, x, mask), x)  # (1,T,D,1,T,D)
        influence = jac.abs().sum(dim=(0, 2, 3, 5))  # (T_out, T_in)
        future = influence.triu(diagonal=1)
        # Right mask: d out_t / d x_s is exactly 0 for every s > t. Leaky mask: not.
        assert (future.count_nonzero() > 0) == leaks


def test_mha_rejects_indivisible_width():
    with pytest.raises(ValueError, match="not divisible"):
        MultiHeadAttention(10, 3)
