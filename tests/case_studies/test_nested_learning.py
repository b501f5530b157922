"""Nested Learning: the DGD update is the minimiser; CMS levels update on schedule."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paper2code.case_studies.nested_learning import (
    ContinuumMemory,
    dgd_minimiser,
    dgd_objective,
    dgd_update,
)

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/nested_learning.yaml")


@pytest.mark.paper("dgd-update")
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), eta=st.floats(1e-3, 10.0), d_out=st.integers(1, 6), d_in=st.integers(1, 8))
def test_dgd_update_is_the_exact_minimiser(seed, eta, d_out, d_in):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(d_out, d_in, generator=g, dtype=torch.float64)
    x = torch.randn(d_in, generator=g, dtype=torch.float64)
    x = x / x.norm()
    grad_y = torch.randn(d_out, generator=g, dtype=torch.float64)
    W_next = dgd_update(W, x, grad_y, eta)
    torch.testing.assert_close(W_next, dgd_minimiser(W, x, grad_y, eta), rtol=1e-9, atol=1e-9)
    Wv = W_next.clone().requires_grad_()
    dgd_objective(Wv, W, x, grad_y, eta).backward()
    assert Wv.grad.abs().max().item() < 1e-8


@pytest.mark.paper("dgd-normalised-keys")
def test_dgd_needs_normalised_keys():
    W, x, grad_y = torch.eye(3, dtype=torch.float64), torch.tensor([2.0, 0.0, 0.0], dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    assert not torch.allclose(dgd_update(W, x, grad_y, 1.0), dgd_minimiser(W, x, grad_y, 1.0))


@pytest.mark.paper("cms-schedule")
def test_each_level_changes_exactly_on_its_schedule():
    torch.manual_seed(0)
    periods = (1, 2, 5)
    cms = ContinuumMemory(d=6, periods=periods, hidden=8)
    for t in range(1, 21):
        before = [[p.clone() for p in level.parameters()] for level in cms.levels]
        cms(torch.randn(4, 6)).pow(2).mean().backward()
        updated = cms.step()
        assert updated == [i for i, c in enumerate(periods) if t % c == 0]
        for i, level in enumerate(cms.levels):
            changed = any(not torch.equal(a, b) for a, b in zip(before[i], level.parameters(), strict=True))
            assert changed == (t % periods[i] == 0), (t, i)


@pytest.mark.paper("cms-aggregation")
def test_a_slow_level_steps_with_the_mean_gradient_of_its_chunk():
    torch.manual_seed(0)
    cms = ContinuumMemory(d=4, periods=(1, 3), hidden=5, lr=0.1)
    slow = cms.levels[1]
    before = [p.clone() for p in slow.parameters()]
    grads = []
    for _ in range(3):
        cms(torch.randn(2, 4)).pow(2).mean().backward()
        grads.append([p.grad.clone() for p in slow.parameters()])
        cms.step()
    for p, p0, *g in zip(slow.parameters(), before, *grads, strict=True):
        torch.testing.assert_close(p, p0 - 0.1 * sum(g) / 3)


def test_a_level_applies_the_mean_of_its_gradients_over_its_period():
    # Over its period a level must move by -lr * (mean of the gradients it saw), each
    # gradient computed separately here. Float64, atol 1e-12. Using only the last
    # gradient, or the sum instead of the mean, misses by ~5e-3 and ~1e-2.
    torch.manual_seed(0)
    cms = ContinuumMemory(d=5, periods=(1, 3), hidden=7, lr=0.05).double()
    fast, slow = (list(level.parameters()) for level in cms.levels)
    slow_start = [p.detach().clone() for p in slow]
    slow_grads = []
    for _ in range(3):
        fast_start = [p.detach().clone() for p in fast]
        loss = cms(torch.randn(4, 5, dtype=torch.float64)).pow(2).mean()
        *g_slow, = torch.autograd.grad(loss, slow, retain_graph=True)
        g_fast = torch.autograd.grad(loss, fast, retain_graph=True)
        slow_grads.append(g_slow)
        loss.backward()
        cms.step()
        for p, p0, g in zip(fast, fast_start, g_fast, strict=True):  # period 1: every step
            torch.testing.assert_close(p.detach() - p0, -cms.lr * g, rtol=0, atol=1e-12)
    for j, p in enumerate(slow):  # period 3: once, the mean of three gradients
        mean = sum(g[j] for g in slow_grads) / 3
        torch.testing.assert_close(p.detach() - slow_start[j], -cms.lr * mean, rtol=0, atol=1e-12)
