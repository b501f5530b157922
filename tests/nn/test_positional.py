"""Positional encodings against their closed forms, and RoPE's relative property."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paper2code.nn.positional import (
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    apply_rotary,
    sinusoidal_table,
)

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/attention_is_all_you_need.yaml")


def check_sinusoid_table(table: torch.Tensor) -> None:
    """Raise AssertionError unless ``table`` is Section 3.5's closed form, to 1e-6."""
    max_len, d = table.shape
    for pos in range(max_len):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert table[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


@pytest.mark.paper("sec-3.5-sinusoids")
def test_sinusoid_table_matches_the_closed_form():
    check_sinusoid_table(sinusoidal_table(50, 16))


def test_sinusoid_closed_form_check_catches_swapped_sin_cos_and_i_over_d():
    table = sinusoidal_table(10, 8)
    swapped = table.clone()
    swapped[:, 0::2], swapped[:, 1::2] = table[:, 1::2], table[:, 0::2]
    with pytest.raises(AssertionError):
        check_sinusoid_table(swapped)
    # the other common slip: exponent i/d instead of 2i/d (a table with d/2 "pairs")
    slip = sinusoidal_table(10, 16)[:, :8]
    with pytest.raises(AssertionError):
        check_sinusoid_table(slip)


def test_positional_encoding_module_adds_the_table():
    pe = SinusoidalPositionalEncoding(8, max_len=10)
    x = torch.zeros(2, 4, 8)
    torch.testing.assert_close(pe(x), sinusoidal_table(4, 8).expand(2, 4, 8))
    with pytest.raises(ValueError, match="exceeds max_len"):
        pe(torch.zeros(1, 11, 8))


def rope_complex(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """An independent RoPE: pairs as complex numbers, multiplied by e^{i m θ}."""
    d = x.size(-1)
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    z = torch.view_as_complex(x.to(torch.float64).reshape(*x.shape[:-1], d // 2, 2).contiguous())
    rotated = z * torch.polar(torch.ones_like(theta), positions[:, None].double() * theta)
    return torch.view_as_real(rotated).reshape(x.shape).to(x.dtype)


def test_rope_matches_the_complex_formulation():
    x = torch.randn(2, 3, 10, 16, dtype=torch.float64)
    positions = torch.arange(10)
    torch.testing.assert_close(apply_rotary(x, positions), rope_complex(x, positions), rtol=1e-6, atol=1e-6)


def rope_rotate_half(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """GPT-NeoX / Llama layout: dimension i is paired with i + d/2."""
    d = x.size(-1)
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angle = positions[:, None].double() * theta  # (T, d/2)
    cos, sin = torch.cat([angle.cos()] * 2, -1), torch.cat([angle.sin()] * 2, -1)
    x1, x2 = x[..., : d // 2], x[..., d // 2 :]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


def test_rope_matches_the_complex_formulation_far_out_in_float64_angles():
    # Positions near 4000: angles ~4000 rad. In float64 they agree with the complex
    # formulation to 1e-9; angles computed in float32 miss by ~1e-4 (ulp 2.4e-4 rad).
    x = torch.randn(2, 8, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    positions = torch.arange(3996, 4004)
    torch.testing.assert_close(apply_rotary(x, positions), rope_complex(x, positions), rtol=0, atol=1e-9)


def test_rotate_half_is_the_paper_layout_up_to_a_permutation_and_differs_without_it():
    # Same input for both layouts. Rotate half applied to de-interleaved dimensions,
    # re-interleaved afterwards, equals the paper's adjacent-pairs RoPE (1e-12);
    # on the same dimensions without the permutation it differs at every position > 0,
    # and agrees at position 0 (both are the identity there).
    d = 16
    x = torch.randn(1, 10, d, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    positions = torch.arange(10)
    perm = torch.cat([torch.arange(0, d, 2), torch.arange(1, d, 2)])  # (0, 2, ..., 1, 3, ...)
    inverse = torch.argsort(perm)
    via_half = rope_rotate_half(x[..., perm], positions)[..., inverse]
    torch.testing.assert_close(via_half, apply_rotary(x, positions), rtol=0, atol=1e-12)
    plain = rope_rotate_half(x, positions) - apply_rotary(x, positions)
    torch.testing.assert_close(plain[:, 0], torch.zeros_like(plain[:, 0]), rtol=0, atol=1e-12)
    assert plain[:, 1:].abs().amax(dim=-1).min().item() > 1e-3


def test_rope_changes_the_scores_and_they_depend_on_the_offset():
    # An identity "RoPE" passes the relative-position property; it must fail this.
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 16, generator=g, dtype=torch.float64)

    def score(pm, pn):
        return (apply_rotary(q[None], torch.tensor([pm])) * apply_rotary(k[None], torch.tensor([pn]))).sum().item()

    assert abs(score(3, 7) - score(3, 8)) > 1e-3
    assert abs(score(3, 7) - (q @ k).item()) > 1e-3
    assert score(3, 3) == pytest.approx((q @ k).item(), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(0, 500),
    n=st.integers(0, 500),
    shift=st.integers(0, 1000),
    seed=st.integers(0, 2**16),
    half_dim=st.integers(1, 16),
)
def test_rope_scores_depend_only_on_relative_position(m, n, shift, seed, half_dim):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, 2 * half_dim, generator=g, dtype=torch.float64)
    def score(pm, pn):
        qm = apply_rotary(q[None], torch.tensor([pm]))
        kn = apply_rotary(k[None], torch.tensor([pn]))
        return (qm * kn).sum().item()
    assert score(m, n) == pytest.approx(score(m + shift, n + shift), rel=1e-4, abs=1e-4)


@settings(max_examples=30, deadline=None)
@given(pos=st.integers(0, 4096), seed=st.integers(0, 2**16))
def test_rope_is_a_rotation(pos, seed):
    x = torch.randn(1, 32, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    y = apply_rotary(x, torch.tensor([pos]))
    assert torch.linalg.vector_norm(y).item() == pytest.approx(torch.linalg.vector_norm(x).item(), rel=1e-9)


def test_rotary_embedding_rotates_queries_and_keys_by_their_positions():
    rope = RotaryEmbedding(8)
    q = torch.randn(1, 2, 3, 8, dtype=torch.float64)
    k = torch.randn(1, 2, 5, 8, dtype=torch.float64)
    q_rot, k_rot = rope(q, k, offset=4)
    # keys at positions 4..8; the 3 queries are the last three of them, 6..8
    torch.testing.assert_close(k_rot, apply_rotary(k, torch.arange(4, 9)))
    torch.testing.assert_close(q_rot, apply_rotary(q, torch.arange(6, 9)))
