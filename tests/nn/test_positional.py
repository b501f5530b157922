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


@pytest.mark.paper("sec-3.5-sinusoids")
def test_sinusoid_table_matches_the_closed_form():
    max_len, d = 50, 16
    table = sinusoidal_table(max_len, d)
    for pos in range(max_len):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert table[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_sinusoid_closed_form_check_catches_swapped_sin_cos():
    table = sinusoidal_table(10, 8)
    swapped = table.clone()
    swapped[:, 0::2], swapped[:, 1::2] = table[:, 1::2], table[:, 0::2]
    assert swapped[1, 0].item() != pytest.approx(math.sin(1.0), abs=1e-6)


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


def test_rope_comparison_catches_rotate_half_layout():
    # "Rotate half" pairs dimension i with i + d/2: a valid RoPE, but not the paper's layout.
    x = torch.randn(1, 10, 16, dtype=torch.float64)
    positions = torch.arange(10)
    half = torch.cat([x[..., 0::2], x[..., 1::2]], dim=-1)  # de-interleave
    wrong = apply_rotary(half, positions)
    assert not torch.allclose(wrong, rope_complex(x, positions), atol=1e-3)


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
