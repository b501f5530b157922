"""DDPM: the schedule, Eq. 4, Eqs. 6-7, Eq. 11, Eq. 14, Algorithms 1 and 2.

Statistical checks state their tolerance in standard errors (5, so that a
correct implementation fails with probability below 1e-6 per comparison) and
use fixed seeds. Exact checks run in float64.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from paper2code.case_studies.ddpm import (
    l_simple,
    linear_schedule,
    p_mean,
    posterior,
    prior_kl_bits,
    q_chain,
    q_sample,
    sample,
    snr,
)

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/ddpm.yaml")

SCHED = linear_schedule()  # T = 1000, β_1 = 1e-4, β_T = 0.02


class GaussianOracle(nn.Module):
    """The exact ε-predictor E[ε | x_t] for data x_0 ~ N(mu, sd² I)."""

    def __init__(self, mu: float, sd: float):
        super().__init__()
        self.mu, self.sd = mu, sd

    def forward(self, x, t):
        ab = SCHED.alpha_bar.to(x.dtype)[t][:, None]  # (B, 1)
        return (1 - ab).sqrt() * (x - ab.sqrt() * self.mu) / (ab * self.sd**2 + 1 - ab)


@pytest.mark.paper("hp-schedule", "conv-index")
def test_schedule_is_indexed_by_the_papers_t():
    T = SCHED.T
    assert T == 1000 and len(SCHED.beta) == T + 1
    assert SCHED.beta[0] == 0 and SCHED.alpha_bar[0] == 1 and SCHED.beta_tilde[0] == 0
    assert math.isclose(SCHED.beta[1].item(), 1e-4, rel_tol=1e-12)  # β_1
    assert math.isclose(SCHED.beta[T].item(), 0.02, rel_tol=1e-12)  # β_T
    assert math.isclose(SCHED.alpha_bar[1].item(), 1 - 1e-4, rel_tol=1e-12)  # ᾱ_1 = α_1
    for t in (1, 2, 500, T):  # ᾱ_t = Π_{s=1}^t (1 - β_s), written out
        assert math.isclose(SCHED.alpha_bar[t].item(), math.prod(1 - b for b in SCHED.beta[1 : t + 1].tolist()), rel_tol=1e-12)
    assert SCHED.beta_tilde[1] == 0  # (1 - ᾱ_0) = 0: the last reverse step is deterministic


@pytest.mark.paper("hp-schedule", "num-alpha-bar-T", "num-snr", "num-prior-kl")
def test_numbers_the_schedule_implies(paper_result):
    ab_T = SCHED.alpha_bar[SCHED.T].item()
    assert math.isclose(ab_T, 4.036e-5, rel_tol=1e-3)  # Π (1 - β_t), computed
    s = snr(SCHED)
    assert math.isclose(s[0].item(), 9999, rel_tol=1e-9)  # (1 - β_1) / β_1 at t = 1
    assert math.isclose(s[-1].item(), ab_T / (1 - ab_T), rel_tol=1e-12)
    assert (s[1:] < s[:-1]).all()  # the SNR falls at every step
    # Section 4: L_T ≈ 1e-5 bits per dimension, for data in [-1, 1]. Uniform pixels: E[x²] = 1/3.
    assert 0.5e-5 < prior_kl_bits(SCHED, 1 / 3) < 2e-5
    paper_result("num-alpha-bar-T", ab_T)
    paper_result("num-snr", s[0].item())
    paper_result("num-prior-kl", prior_kl_bits(SCHED, 1 / 3))


@pytest.mark.paper("eq-4", "conv-index")
def test_closed_form_matches_iterating_the_chain():
    # Eq. 4 against T steps of Eq. 2, from a fixed x_0, n = 8,000 chains of 4; mean and
    # variance within 5 standard errors.
    x0 = torch.tensor([-1.0, -0.3, 0.4, 1.0], dtype=torch.float64)
    n, g = 8000, torch.Generator().manual_seed(0)  # 32,000 values: one thread
    x, done = x0.expand(n, 4), 0
    for t in (1, 2, 10, 100, 400, 1000):
        x, done = q_chain(SCHED, x, t, g, start=done), t  # steps done+1..t of Eq. 2
        eps = torch.randn(n, 4, generator=g, dtype=torch.float64)
        closed = q_sample(SCHED, x0.expand(n, 4), torch.full((n,), t), eps)
        ab = SCHED.alpha_bar[t].item()
        mean, var = math.sqrt(ab) * x0, 1 - ab  # Eq. 4
        for draws in (x, closed):
            assert ((draws.mean(0) - mean).abs() <= 5 * math.sqrt(var / n)).all(), t
            assert ((draws.var(0) - var).abs() <= 5 * var * math.sqrt(2 / n)).all(), t


@pytest.mark.paper("eq-7")
def test_posterior_matches_the_chain_one_step_back():
    # Draw x_{t-1} ~ q(x_{t-1} | x_0) (Eq. 4), then x_t from it (Eq. 2). The residual
    # x_{t-1} − μ̃_t(x_t, x_0) must be N(0, β̃_t) and uncorrelated with x_t (Eqs. 6-7).
    n, g = 16_000, torch.Generator().manual_seed(1)
    x0 = torch.full((n, 1), 0.7, dtype=torch.float64)
    for t in (2, 10, 500, 1000):
        tt = torch.full((n,), t)
        x_prev = q_sample(SCHED, x0, tt - 1, torch.randn(n, 1, generator=g, dtype=torch.float64))
        x_t = q_chain(SCHED, x_prev, t, g, start=t - 1)
        mean, var = posterior(SCHED, x0, x_t, tt)
        r = (x_prev - mean).squeeze(1)
        bt = SCHED.beta_tilde[t].item()
        assert abs(r.mean().item()) <= 5 * math.sqrt(bt / n), t
        assert abs(r.var().item() - bt) <= 5 * bt * math.sqrt(2 / n), t
        corr = torch.corrcoef(torch.stack([r, x_t.squeeze(1)]))[0, 1].item()
        assert abs(corr) <= 5 / math.sqrt(n), t
        assert torch.equal(var[:, 0], torch.full((n,), bt, dtype=torch.float64))


@pytest.mark.paper("eq-11")
def test_reverse_mean_with_the_true_noise_is_the_posterior_mean():
    # Eq. 11 with ε_θ = the ε that made x_t equals Eq. 7's μ̃_t(x_t, x_0), exactly
    # (float64, 1e-12), at every t including t = 1, where it is x_0 itself.
    g = torch.Generator().manual_seed(2)
    t = torch.arange(1, SCHED.T + 1)
    x0 = torch.randn(SCHED.T, 3, generator=g, dtype=torch.float64)
    eps = torch.randn(SCHED.T, 3, generator=g, dtype=torch.float64)
    x_t = q_sample(SCHED, x0, t, eps)
    mu_tilde, _ = posterior(SCHED, x0, x_t, t)
    torch.testing.assert_close(p_mean(SCHED, x_t, t, eps), mu_tilde, rtol=0, atol=1e-12)
    torch.testing.assert_close(mu_tilde[0], x0[0], rtol=0, atol=1e-12)


class RecordSteps(nn.Module):
    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x, t):
        self.seen.append(t.clone())
        return torch.zeros_like(x)


@pytest.mark.paper("eq-14", "alg-1", "conv-index")
def test_l_simple_draws_t_from_1_to_T_and_has_the_bayes_value_for_gaussian_data():
    g = torch.Generator().manual_seed(3)
    rec = RecordSteps()
    loss = l_simple(rec, SCHED, torch.zeros(50_000, 1), g)
    t = rec.seen[0]
    assert t.min() == 1 and t.max() == SCHED.T  # Algorithm 1, line 3: Uniform({1, ..., T})
    assert abs(loss.item() - 1) <= 5 * math.sqrt(2 / 50_000)  # ε_θ = 0: E‖ε‖²/d = 1
    # With the exact E[ε | x_t] for x_0 ~ N(0.5, 0.3²), each term of Eq. 14 has mean
    # r_t = ᾱ_t s² / (ᾱ_t s² + 1 − ᾱ_t) and variance 2 r_t²; t is uniform on 1..T.
    n, sd = 20_000, 0.3
    x0 = 0.5 + sd * torch.randn(n, 1, generator=g, dtype=torch.float64)
    loss = l_simple(GaussianOracle(0.5, sd), SCHED, x0, g).item()
    ab = SCHED.alpha_bar[1:]
    r = ab * sd**2 / (ab * sd**2 + 1 - ab)
    expected, var = r.mean().item(), (3 * r**2).mean().item() - r.mean().item() ** 2
    assert abs(loss - expected) <= 5 * math.sqrt(var / n)


@pytest.mark.paper("alg-2", "conv-index")
def test_sampling_visits_T_down_to_1_and_the_last_step_adds_no_noise():
    rec = RecordSteps()
    sample(rec, SCHED, 1, torch.Generator().manual_seed(0), dim=1)
    assert [int(t[0]) for t in rec.seen] == list(range(SCHED.T, 0, -1))
    # Data at a single point 0.5: the exact ε-predictor makes step 1 land on it, unless
    # noise is added at t = 1 (σ_1 = √β_1 = 0.01).
    x = sample(GaussianOracle(0.5, 0.0), SCHED, 100, torch.Generator().manual_seed(0), "beta", dim=1)
    torch.testing.assert_close(x, torch.full_like(x, 0.5), rtol=0, atol=1e-4)


@pytest.mark.paper("alg-2")
@pytest.mark.parametrize("variance", ["beta", "beta_tilde"])
def test_sampling_with_the_exact_noise_predictor_recovers_gaussian_data(variance):
    # Algorithm 2 driven by the exact E[ε | x_t] for x_0 ~ N(0.5, 0.3²) must return that
    # distribution: mean within 0.03 (6 standard errors at n = 4,000), std within 6%
    # (σ² = β̃ gives about 1.3% less in the exact-predictor limit; the standard error is 1.1%).
    n, sd = 4000, 0.3
    x = sample(GaussianOracle(0.5, sd), SCHED, n, torch.Generator().manual_seed(4), variance, dim=1)
    assert abs(x.mean().item() - 0.5) <= 0.03
    assert abs(x.std().item() / sd - 1) <= 0.06
