"""Optimisers and schedules against torch.optim and their closed forms."""

from __future__ import annotations

import copy

import pytest
import torch

from paper2code.optim import Adam, AdamW, cosine_with_warmup, transformer_lr


def run_pair(ours_cls, ref_cls, steps=100, **kw):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    ref_net = copy.deepcopy(net)
    ours = ours_cls(net.parameters(), **kw)
    ref = ref_cls(ref_net.parameters(), foreach=False, **kw)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(16, 6, generator=g), torch.randn(16, 2, generator=g)
        for model, opt in ((net, ours), (ref_net, ref)):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    return net, ref_net


def assert_params_equal(a, b, atol=1e-6):
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=atol)


@pytest.mark.parametrize("kw", [{}, {"lr": 1e-2, "betas": (0.8, 0.99)}, {"weight_decay": 0.1}])
def test_adam_matches_torch_over_100_steps(kw):
    assert_params_equal(*run_pair(Adam, torch.optim.Adam, **kw))


@pytest.mark.parametrize("kw", [{"weight_decay": 0.1}, {"weight_decay": 0.5, "lr": 3e-3}])
def test_adamw_matches_torch_over_100_steps(kw):
    assert_params_equal(*run_pair(AdamW, torch.optim.AdamW, **kw))


def test_the_comparison_catches_a_missing_bias_correction():
    class NoBiasCorrection(Adam):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    s = self.state[p]
                    if not s:
                        s["m"], s["v"] = torch.zeros_like(p), torch.zeros_like(p)
                    s["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                    s["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                    p.sub_(group["lr"] * s["m"] / (s["v"].sqrt() + group["eps"]))

    with pytest.raises(AssertionError):
        assert_params_equal(*run_pair(NoBiasCorrection, torch.optim.Adam))


def test_adamw_is_not_adam_with_l2():
    a, _ = run_pair(AdamW, torch.optim.AdamW, weight_decay=0.5)
    b, _ = run_pair(Adam, torch.optim.Adam, weight_decay=0.5)
    assert any(not torch.allclose(p, q, atol=1e-4) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_transformer_schedule_peaks_at_warmup_steps():
    lrs = [transformer_lr(s, 512, 4000) for s in range(1, 20001)]
    assert max(range(len(lrs)), key=lrs.__getitem__) + 1 == 4000
    assert lrs[3999] == pytest.approx(512**-0.5 * 4000**-0.5)
    assert transformer_lr(100) == pytest.approx(512**-0.5 * 100 * 4000**-1.5)  # linear rise
    assert transformer_lr(16000) == pytest.approx(transformer_lr(4000) / 2)  # 1/sqrt decay


def test_cosine_with_warmup_matches_torch_schedulers():
    base, warmup, total, min_lr, start = 0.1, 10, 50, 0.001, 0.01
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=start, total_iters=warmup),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr),
        ],
        milestones=[warmup],
    )
    for step in range(total + 1):
        ours = cosine_with_warmup(step, base, warmup, total, min_lr, warmup_start_factor=start)
        assert opt.param_groups[0]["lr"] == pytest.approx(ours, rel=1e-9, abs=1e-12), step
        opt.step()
        sched.step()


def test_invalid_hyperparameters_are_refused():
    with pytest.raises(ValueError):
        Adam([torch.nn.Parameter(torch.zeros(1))], betas=(1.0, 0.999))
    with pytest.raises(ValueError):
        transformer_lr(0)
