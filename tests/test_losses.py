"""Losses against PyTorch, independent references, and behaviour."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from paper2code.losses import (
    discounted_returns,
    gaussian_kl,
    label_smoothed_cross_entropy,
    nt_xent,
    reinforce_loss,
    vae_loss,
)

TOL = {"rtol": 1e-10, "atol": 1e-12}


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_label_smoothing_matches_torch(eps):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(20, 7, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 7, (20,), generator=g)
    target[::5] = -100  # padding
    ours = label_smoothed_cross_entropy(logits, target, eps)
    ref = F.cross_entropy(logits, target, label_smoothing=eps, ignore_index=-100)
    torch.testing.assert_close(ours, ref, **TOL)
    (g1,) = torch.autograd.grad(ours, logits)
    (g2,) = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(g1, g2, **TOL)


def test_label_smoothing_comparison_catches_k_minus_1_convention():
    # Spreading eps over the K-1 wrong classes only is another convention; not PyTorch's.
    logits = torch.randn(10, 5, dtype=torch.float64)
    target = torch.randint(0, 5, (10,))
    eps, k = 0.1, 5
    q = torch.full((10, k), eps / (k - 1), dtype=torch.float64)
    q.scatter_(1, target[:, None], 1 - eps)
    other = -(q * logits.log_softmax(-1)).sum(-1).mean()
    assert not torch.allclose(other, label_smoothed_cross_entropy(logits, target, eps), **TOL)


def nt_xent_loop(z1, z2, tau):
    """SimCLR Eq. (1) written anchor by anchor, as the paper's Algorithm 1 does."""
    z = torch.cat([z1, z2])
    n2 = z.size(0)
    n = n2 // 2
    cos = lambda a, b: (a @ b) / (a.norm() * b.norm())  # noqa: E731
    total = 0.0
    for i in range(n2):
        j = (i + n) % n2
        num = torch.exp(cos(z[i], z[j]) / tau)
        den = sum(torch.exp(cos(z[i], z[k]) / tau) for k in range(n2) if k != i)
        total = total - torch.log(num / den)
    return total / n2


def test_nt_xent_matches_an_anchor_by_anchor_reference():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(2, 6, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(nt_xent(z1, z2, 0.5), nt_xent_loop(z1, z2, 0.5), **TOL)


def test_nt_xent_is_low_when_views_agree():
    z = torch.randn(8, 16, dtype=torch.float64)
    assert nt_xent(z, z, 0.1) < nt_xent(z, torch.randn(8, 16, dtype=torch.float64), 0.1)


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 3, generator=g, dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=g, dtype=torch.float64)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    torch.testing.assert_close(gaussian_kl(mu, logvar), ref, **TOL)


def test_vae_loss_adds_reconstruction_and_weighted_kl():
    x = torch.rand(4, 10, dtype=torch.float64).round()
    logits, mu, logvar = torch.randn(4, 10, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64), torch.zeros(4, 2, dtype=torch.float64)
    loss, recon, kl = vae_loss(logits, x, mu, logvar, beta=0.5)
    torch.testing.assert_close(loss, recon + 0.5 * kl, **TOL)
    assert kl.item() == pytest.approx(0.5 * mu.pow(2).sum().item() / 4)  # σ = 1: KL = μ²/2


def test_discounted_returns_match_the_definition():
    r = torch.tensor([[1.0, 0.0, 2.0, 3.0]], dtype=torch.float64)
    gamma = 0.9
    expected = [sum(gamma ** (k - t) * r[0, k].item() for k in range(t, 4)) for t in range(4)]
    assert discounted_returns(r, gamma)[0].tolist() == pytest.approx(expected)


def train_bandit(loss_fn, steps=300, seed=0):
    """Two arms paying 0.2 and 0.8 on average; returns P(best arm) after training."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([logits], lr=0.1)
    means = torch.tensor([0.2, 0.8])
    for _ in range(steps):
        probs = logits.softmax(-1)
        actions = torch.multinomial(probs.detach(), 32, replacement=True, generator=g)
        rewards = means[actions] + 0.1 * torch.randn(32, generator=g)
        log_probs = probs.log()[actions]
        loss = loss_fn(log_probs, rewards, rewards.mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return logits.softmax(-1)[1].item()


def test_reinforce_improves_the_policy_on_a_bandit():
    assert train_bandit(reinforce_loss) > 0.95


def test_the_bandit_test_catches_a_sign_error():
    flipped = lambda lp, ret, b: -reinforce_loss(lp, ret, b)  # noqa: E731
    assert train_bandit(flipped) < 0.05


def test_baseline_is_not_trained():
    lp = torch.zeros(3, requires_grad=True)
    baseline = torch.ones(3, requires_grad=True)
    reinforce_loss(lp, torch.tensor([1.0, 2.0, 3.0]), baseline, normalize=False).backward()
    assert baseline.grad is None
    assert lp.grad is not None and math.isclose(lp.grad.sum().item(), -1.0)


def test_reinforce_loss_is_the_equation_without_normalize_and_standardises_by_default():
    g = torch.Generator().manual_seed(0)
    log_probs, returns = torch.randn(2, 8, generator=g, dtype=torch.float64)
    adv = returns - 5.0
    by_hand = -(adv * log_probs).mean()
    assert abs(reinforce_loss(log_probs, returns, 5.0, normalize=False).item() - by_hand.item()) < 1e-12
    standardised = (adv - adv.mean()) / (adv.std() + 1e-8)
    default = reinforce_loss(log_probs, returns, 5.0).item()
    assert abs(default - (-(standardised * log_probs).mean()).item()) < 1e-12
    # the batch mean is subtracted: a constant baseline changes nothing
    assert abs(default - reinforce_loss(log_probs, returns, 0.0).item()) < 1e-12
